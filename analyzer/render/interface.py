"""A renderer turns a SigninReport into text; adding a format is adding one class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TextIO

from analyzer.reports.report import SigninReport


class Renderer(ABC):
    @abstractmethod
    def render(self, report: SigninReport, out: TextIO, sections: Sequence[str]) -> None:
        """Write the chosen sections (names from SECTION_NAMES, in that order) to `out`."""
