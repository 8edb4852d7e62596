"""The `signin-report` console script. It imports only what starting a `--logs` scan needs,
starts it (`prestart`), and only then loads the CLI framework, so the scan's worker processes
run while typer loads and parses."""

from __future__ import annotations

import sys


def main() -> None:
    from analyzer.entry import prestart

    prestart.begin(sys.argv[1:])
    from analyzer.entry.cli import main as cli_main

    cli_main()
