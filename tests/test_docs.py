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


def test_readme_80_column_excerpt_is_what_the_command_prints() -> None:
    """Every line of README's 80-column excerpt, in order, as the command prints it (the
    footer once wrapped to a second line the excerpt did not show)."""
    import shlex
    import subprocess

    from tests.conftest import hermetic_env
    from tests.entry.test_cli import command

    said = re.search(
        r"Excerpt of `(COLUMNS=80 signin-report[^`]+)`:\n\n```text\n(.*?)```", README, re.S
    )
    assert said is not None
    words = shlex.split(said.group(1).replace("\n", " "))
    result = subprocess.run(
        [*command(), *words[2:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=hermetic_env(COLUMNS="80"),
        cwd=ROOT,
    )
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    assert max(map(len, printed)) <= 80
    at = 0
    for line in (line.rstrip() for line in said.group(2).splitlines()):
        assert line in printed[at:], line
        at = printed.index(line, at) + 1
