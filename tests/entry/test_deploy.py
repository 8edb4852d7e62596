"""The deploy examples must work as written: every `signin-report` command in them uses
options the CLI has, with values it accepts."""

from __future__ import annotations

import json
import re
import shlex
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


def test_lambda_handler_is_importable() -> None:
    from analyzer.entry.lambda_handler import handler

    assert callable(handler)
