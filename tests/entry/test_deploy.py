"""The deploy examples must work as written: every `signin-report` command in them uses
options the CLI has, with values it accepts."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import typer.main

from analyzer.entry.cli import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def commands() -> list[tuple[Path, list[str]]]:
    found = []
    for path in sorted(DEPLOY.rglob("*")):
        if not path.is_file() or path.suffix in {".json", ".md"}:
            continue
        text = path.read_text()
        for line in re.findall(r"signin-report( --[^\n]*)", text):
            found.append((path, shlex.split(line.replace("\\%", "%"))))
    return found


def test_every_deploy_command_uses_real_options() -> None:
    options = {
        opt for param in typer.main.get_command(app).params for opt in getattr(param, "opts", [])
    }
    seen = commands()
    assert {p.name for p, _ in seen} >= {"cron.txt", "signin-report.service", "signin-audit.yml"}
    for path, argv in seen:
        for word in argv:
            if word.startswith("--"):
                assert word in options, f"{path.name}: {word}"
        assert "--history" in argv, path.name
        assert argv[argv.index("--fail-on") + 1] in {"low", "medium", "high"}, path.name


def test_iam_policies_are_json() -> None:
    for path in (DEPLOY / "iam").glob("*.json"):
        policy = json.loads(path.read_text())
        assert policy["Version"] == "2012-10-17"
        assert policy["Statement"]


def test_lambda_handler_imports_neither_typer_nor_the_cli() -> None:
    """The handler builds the audit request itself: loading it must not load typer (nor the
    CLI module), and it must hand back a real handler function."""
    probe = (
        "import sys, inspect\n"
        "from analyzer.entry.lambda_handler import handler\n"
        "assert list(inspect.signature(handler).parameters) == ['event', 'context']\n"
        "print(sorted(m for m in sys.modules if m == 'typer' or m.startswith('typer.')"
        " or m == 'analyzer.entry.cli'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
