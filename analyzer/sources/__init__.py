"""Sources of raw CloudTrail records."""

from analyzer.sources.files import FileSource
from analyzer.sources.interface import RawRecord, Source

__all__ = ["FileSource", "RawRecord", "Source"]
