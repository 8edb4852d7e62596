"""README, the schema and .ci/run must stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.frame.schema import SCHEMA
from analyzer.reports import SECTION_NAMES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_schema_table_lists_every_column_in_order() -> None:
    documented = re.findall(r"^\| `([a-z_]+)` \| `[^`]+` \|", README, flags=re.M)
    assert documented == [c.name for c in SCHEMA]


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one() -> None:
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", README, flags=re.S)
    run_command, test_command = blocks[0].strip(), blocks[1].strip()
    assert "signin-report --logs sample_logs --since" in run_command
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_every_cli_option_and_section_is_documented() -> None:
    import typer.main

    from analyzer.entry.cli import app

    command = typer.main.get_command(app)
    for param in command.params:
        for option in getattr(param, "opts", []):
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in README, option
    for name in SECTION_NAMES:
        assert f"`{name}`" in README, name


def test_readme_states_the_json_lines_span_size_the_code_uses() -> None:
    """A file is cut from twice the span size (`FileSource._jobs`), into spans of about it."""
    from analyzer.sources.limits import MIB
    from analyzer.sources.spans import SPAN_BYTES

    text = " ".join(README.split())  # (the sentence wraps)
    assert (
        f"from {2 * SPAN_BYTES // MIB} MiB, or when it is larger than the limit, it is cut "
        f"into spans of about {SPAN_BYTES // MIB} MiB" in text
    )
