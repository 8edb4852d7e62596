"""What `pip install` gives a user: declared floors that are the tested ones, a wheel that
carries the sample trail (so the no-credentials hint works from any folder), and a notebook
extra that can open, run and refresh the notebook."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from analyzer.domain.errors import Remedy
from analyzer.entry.cli import REMEDIES
from tests.conftest import hermetic_env
from tests.entry.test_cli import SAMPLE

ROOT = Path(__file__).resolve().parent.parent
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]


def requirements(*groups: str) -> list[Requirement]:
    found = [Requirement(r) for r in PROJECT["dependencies"]] if "runtime" in groups else []
    for group in groups:
        found += [Requirement(r) for r in EXTRAS.get(group, [])]
    return found


def names(*groups: str) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements(*groups)}


def lowest_pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_dependency_has_a_floor_and_the_lowest_run_pins_exactly_it() -> None:
    pins = lowest_pins()
    declared = requirements("runtime", "notebook", "test")
    for req in declared:
        floors = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert len(floors) == 1, f"{req}: one >= floor"
        assert pins.get(canonicalize_name(req.name)) == floors[0], (
            f"{req}: constraints/lowest.txt must pin {req.name}=={floors[0]}"
        )
    build = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "build-system"]["requires"]]  # fmt: skip
    for req in build:
        assert [Version(s.version) for s in req.specifier] == [pins[canonicalize_name(req.name)]]
    assert set(pins) <= {canonicalize_name(r.name) for r in [*declared, *build]}, (
        "constraints/lowest.txt pins something pyproject.toml does not declare"
    )


def test_every_third_party_import_of_the_package_is_declared() -> None:
    """A module imported by `analyzer` must come from a runtime dependency (matplotlib, for the
    plot helpers, from the notebook extra), not by luck through another package."""
    owners = packages_distributions()
    runtime, notebook = names("runtime"), names("notebook")
    for path in (ROOT / "analyzer").rglob("*.py"):
        for top in imported_modules(path.read_text()):
            if top == "analyzer" or top in sys.stdlib_module_names:
                continue
            dists = {canonicalize_name(d) for d in owners.get(top, [top])}
            allowed = runtime | (notebook if top == "matplotlib" else set())
            assert dists & allowed, f"{path.relative_to(ROOT)} imports {top}, not declared"


def imported_modules(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_notebook_extra_is_enough_to_open_run_and_refresh_the_notebook() -> None:
    """`pip install '.[notebook]'`: a Jupyter front end, the kernel, and every third-party
    module the notebook's cells and `scripts/refresh_notebook.py` import."""
    notebook = json.loads((ROOT / "notebooks" / "signin_exploration.ipynb").read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"  # what ipykernel installs
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    sources.append((ROOT / "scripts" / "refresh_notebook.py").read_text())
    owners = packages_distributions()
    available = names("runtime", "notebook")
    for source in sources:
        for top in imported_modules(source):
            if top == "analyzer" or top in sys.stdlib_module_names:
                continue
            dists = {canonicalize_name(d) for d in owners.get(top, [top])}
            assert dists & available, f"{top} is not in the runtime or notebook dependencies"
    assert {"ipykernel", "jupyterlab", "nbclient", "nbformat", "matplotlib"} <= names("notebook")
    # what CI runs the notebook with stays in the test extra
    assert {"ipykernel", "nbclient", "nbformat", "matplotlib"} <= names("test")


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built as `pip install .` builds it, unpacked into a folder of its
    own (its dependencies come from the test environment)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300, cwd=out,
    )  # fmt: skip
    [wheel] = out.glob("signin_analyzer-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def from_wheel(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
        env=hermetic_env(PYTHONPATH=str(site)),
    )  # fmt: skip


@pytest.mark.slow
def test_wheel_carries_the_sample_trail_byte_for_byte(installed_wheel: Path) -> None:
    shipped = installed_wheel / "analyzer" / "sample_logs"
    assert shipped.is_dir()
    assert not shipped.is_symlink()
    expected = {p.relative_to(SAMPLE): p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}
    actual = {p.relative_to(shipped): p.read_bytes() for p in shipped.rglob("*") if p.is_file()}
    assert actual == expected


@pytest.mark.slow
def test_no_credentials_hint_is_a_command_that_works_from_any_folder(
    installed_wheel: Path, tmp_path: Path
) -> None:
    hint = re.search(r"run (signin-report .+)$", REMEDIES[Remedy.try_without_aws])
    assert hint is not None
    argv = hint[1].split()[1:]
    assert "--logs" not in argv  # a relative path exists only in a checkout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    table = from_wheel(installed_wheel, elsewhere, *argv)
    assert table.returncode == 0, table.stderr
    assert "Summary" in table.stdout
    result = from_wheel(installed_wheel, elsewhere, *argv, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [read] = report["coverage"]["inputs"]
    assert Path(read).is_relative_to(installed_wheel)  # the installed copy, not the checkout
    checkout = subprocess.run(
        [sys.executable, "-m", "analyzer", "--logs", str(SAMPLE), *argv[1:], "--format", "json"],
        capture_output=True, text=True, timeout=120, check=True, env=hermetic_env(),
    )  # fmt: skip
    expected = json.loads(checkout.stdout)
    for part in ("summary", "users", "findings", "failures"):
        assert report[part] == expected[part], part
