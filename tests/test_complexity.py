"""No function in analyzer/ above cyclomatic complexity 20 (radon's measure): past that, a
function holds several decisions that deserve names and tests of their own."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

PACKAGE = Path(__file__).resolve().parents[1] / "analyzer"
LIMIT = 20


def complexities() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for block in cc_visit(path.read_text(encoding="utf-8")):
            name = (
                f"{block.classname}.{block.name}"
                if getattr(block, "classname", None)
                else block.name
            )
            found[f"{where}:{name}"] = int(block.complexity)
    return found


def test_the_measure_sees_the_cli_and_the_normalizer() -> None:
    found = complexities()
    assert "entry/cli.py:signin_report" in found
    assert "normalize/identity.py:identify" in found


def test_no_function_above_the_limit() -> None:
    over = {k: v for k, v in complexities().items() if v > LIMIT}
    assert over == {}
