"""Start-up of the console script: a run loads only what it needs, and the garbage collector,
off while the start-up imports load (`launch.py`), is on again for the run and in every
process forked to scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.sources.sample import SAMPLE_SINCE, SAMPLE_UNTIL, sample_path

# Runs the console script's entry point in a fresh interpreter and prints, as the last line
# of stderr, what was loaded and whether the collector was on at each stage.
PROBE = """
import atexit, gc, json, os, shutil, sys, tempfile
import analyzer.audit.run as run
import analyzer.entry.prestart as prestart
import analyzer.sources.pool as pool

seen = {}
workers = tempfile.mkdtemp()
begin, collect, work = prestart.begin, run.AuditRun.collect, pool._work

def probe_begin(argv):
    seen["imports"] = gc.isenabled()
    seen["openblas"] = os.environ.get("OPENBLAS_NUM_THREADS")
    seen["numpy before"] = "numpy" in sys.modules
    begin(argv)

def probe_collect(self, *args, **kwargs):
    seen["run"] = gc.isenabled()
    return collect(self, *args, **kwargs)

def probe_work(*args, **kwargs):
    with open(os.path.join(workers, str(os.getpid())), "w") as out:
        out.write(str(gc.isenabled()))
    with open(os.path.join(workers, f"{os.getpid()}.pool"), "w") as out:
        out.write(os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "-"))  # what Arrow will read
    return work(*args, **kwargs)

prestart.begin, run.AuditRun.collect, pool._work = probe_begin, probe_collect, probe_work

def report():
    found = os.listdir(workers)
    seen["workers"] = [open(os.path.join(workers, f)).read() for f in found if "." not in f]
    seen["worker pools"] = [open(os.path.join(workers, f)).read() for f in found if "." in f]
    shutil.rmtree(workers)
    import pyarrow
    seen["pool"] = pyarrow.default_memory_pool().backend_name
    seen["modules"] = sorted(sys.modules)
    print(json.dumps(seen), file=sys.stderr)

atexit.register(report)
sys.argv = ["signin-report", *sys.argv[1:]]
from analyzer.entry.launch import main
main()
"""

HEAVY_FOR_JSON = ("rich", "boto3", "botocore", "jinja2", "matplotlib", "typer.rich_utils")


def _probe(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """A run over the packaged sample, with these arguments (and this environment)."""
    sample = ("--logs", str(sample_path()), "--since", SAMPLE_SINCE, "--until", SAMPLE_UNTIL)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *sample, *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen: dict[str, object] = json.loads(result.stderr.strip().splitlines()[-1])
    return seen


def _loaded(seen: dict[str, object], package: str) -> bool:
    modules = seen["modules"]
    assert isinstance(modules, list)
    return any(m == package or m.startswith(package + ".") for m in modules)


def _loaded_by_typer() -> set[str]:
    """What `import typer` loads by itself: typer 0.16, the lowest supported, loads rich at once,
    which nothing here can avoid (the newest releases do not)."""
    probe = "import json, sys, typer; print(json.dumps(sorted(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    modules = {"modules": json.loads(found.stdout)}
    return {package for package in HEAVY_FOR_JSON if _loaded(modules, package)}


def test_a_json_report_of_files_loads_no_terminal_aws_or_html_library(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    seen = _probe("--format", "json", "--output", str(output))
    assert json.loads(output.read_text())["summary"]["signin_events"] > 0
    ours = [p for p in HEAVY_FOR_JSON if _loaded(seen, p) and p not in _loaded_by_typer()]
    assert ours == []


def test_the_collector_is_off_for_the_imports_only(tmp_path: Path) -> None:
    """Off while the modules load, on for the run, on in the scan workers forked while it
    was off (a worker that never collected would keep every cycle it made)."""
    seen = _probe("--format", "csv", "--output", str(tmp_path / "report.csv"))
    assert seen["imports"] is False
    assert seen["run"] is True
    workers = seen["workers"]
    assert isinstance(workers, list)
    assert workers
    assert set(workers) == {"True"}


def test_openblas_gets_one_thread_unless_the_user_chose(tmp_path: Path) -> None:
    """Set before numpy loads (the start-up imports come after `prestart.begin`); a user's
    own setting is left as it is."""
    output = str(tmp_path / "report.json")
    settings = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    environment = {k: v for k, v in os.environ.items() if k not in settings}
    seen = _probe("--format", "json", "--output", output, env=environment)
    assert seen["openblas"] == "1"
    assert seen["numpy before"] is False  # set in time: numpy reads it when it loads
    chosen = {**environment, "OPENBLAS_NUM_THREADS": "2"}
    assert _probe("--format", "json", "--output", output, env=chosen)["openblas"] == "2"
    for other in ("GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        chosen = {**environment, other: "2"}
        assert _probe("--format", "json", "--output", output, env=chosen)["openblas"] is None


def test_arrow_allocates_with_the_system_allocator_unless_the_user_chose(tmp_path: Path) -> None:
    """mimalloc kept a history read's scratch resident (benchmarks/README.md); the choice is
    made before the workers fork, so they allocate with it too. A user's choice stands."""
    output = str(tmp_path / "report.json")
    environment = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    seen = _probe("--format", "json", "--output", output, env=environment)
    assert seen["pool"] == "system"
    assert seen["worker pools"]
    assert seen["worker pools"] == ["system"] * len(seen["worker pools"])  # type: ignore[arg-type]
    chosen = {**environment, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    seen = _probe("--format", "json", "--output", output, env=chosen)
    assert seen["pool"] == "mimalloc"
    assert seen["worker pools"]
    assert seen["worker pools"] == ["mimalloc"] * len(seen["worker pools"])  # type: ignore[arg-type]


# Runs the console script's entry point with what a process may hold at its end: an exit
# function registered before the command (it prints a last line), and a thread that works
# on once the main thread is done. Each leaves a mark in the folder given first.
ENDING = """
import atexit, sys, threading
from pathlib import Path

marks = Path(sys.argv[1])

def at_exit():
    marks.joinpath("exit function").write_text("ran")
    print("exit function ran")  # buffered: stdout is a pipe

atexit.register(at_exit)
if sys.argv[2] == "thread":
    def late():
        threading.main_thread().join()
        marks.joinpath("thread").write_text("done")
    threading.Thread(target=late).start()

sys.argv = ["signin-report", *sys.argv[3:]]
from analyzer.entry.launch import console
console()
"""


Ended = tuple[subprocess.CompletedProcess[str], set[str]]  # the run, and the marks it left


def _end(marks: Path, thread: bool, *args: str) -> Ended:
    sample = ("--logs", str(sample_path()), "--since", SAMPLE_SINCE, "--until", SAMPLE_UNTIL)
    ending = "thread" if thread else "-"
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as by default
    result = subprocess.run(
        [sys.executable, "-c", ENDING, str(marks), ending, *sample, *args],
        capture_output=True,
        text=True,
        check=False,
        env=buffered,
    )
    return result, {mark.name for mark in marks.iterdir()}


def test_a_run_that_ends_without_the_teardown_still_runs_exit_functions(tmp_path: Path) -> None:
    """The interpreter's teardown (0.03 s of freeing objects one by one, `launch._leave`) is
    skipped, not what comes before it: exit functions run, what they print is flushed, the
    report reaches a pipe whole."""
    result, marks = _end(tmp_path, False, "--format", "json")
    assert result.returncode == 0, result.stderr
    report, _, last = result.stdout.rstrip("\n").rpartition("\n")
    assert json.loads(report)["summary"]["signin_events"] > 0
    assert last == "exit function ran"
    assert marks == {"exit function"}


def test_the_usual_exit_waits_for_a_thread_still_running(tmp_path: Path) -> None:
    result, marks = _end(tmp_path, True, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert marks == {"exit function", "thread"}


def test_the_exit_status_is_the_command_s(tmp_path: Path) -> None:
    """A usage error, and a run whose findings reach --fail-on (1), keep their status."""
    result, marks = _end(tmp_path, False, "--days", "abc")
    assert result.returncode == 2
    assert "--days" in result.stderr
    assert marks == {"exit function"}
    result, _ = _end(tmp_path, False, "--format", "json", "--fail-on", "low")
    assert result.returncode == 1, result.stderr


def _script() -> list[str]:
    script = Path(sys.executable).parent / "signin-report"
    return [str(script)] if script.exists() else [sys.executable, "-c", LAUNCH_CONSOLE]


LAUNCH_CONSOLE = "from analyzer.entry.launch import console; console()"


def test_a_closed_stream_keeps_the_status(tmp_path: Path) -> None:
    """A stream closed at start (`>&-`, `2>&-`) is None in Python: flushing it raised
    AttributeError, and every status became 1."""
    sample = ["--sample", "--since", SAMPLE_SINCE, "--until", SAMPLE_UNTIL]
    output = str(tmp_path / "r.json")
    for closing, args, status in (
        (">&-", [*sample, "-o", output], 0),
        (">&-", ["--days", "abc"], 2),
        ("2>&-", [*sample, "-q", "-o", output, "--fail-on", "low"], 1),
        ("2>&-", ["--days", "abc"], 2),
    ):
        ran = subprocess.run(
            ["sh", "-c", f'"$@" {closing}', "sh", *_script(), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == status, (closing, args, ran.stderr)
        assert "Traceback" not in ran.stderr


WRAPPED = """
import sys
from analyzer.entry.launch import main
sys.argv = ["signin-report", *sys.argv[1:]]
try:
    main()
except SystemExit as ended:
    print("wrapper got status", ended.code)
"""


def test_code_that_calls_main_gets_its_status_back(tmp_path: Path) -> None:
    """Only the console script leaves without the teardown: a script that wraps `main`, or
    `python -m cProfile`, has its own work after the command."""
    sample = ["--sample", "--since", SAMPLE_SINCE, "--until", SAMPLE_UNTIL, "-q"]
    args = [*sample, "-o", str(tmp_path / "r.json")]
    wrapped = subprocess.run(
        [sys.executable, "-c", WRAPPED, *args], capture_output=True, text=True, check=False
    )
    assert wrapped.stdout == "wrapper got status 0\n", wrapped.stderr
    profile = tmp_path / "run.prof"
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "analyzer", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert profiled.returncode == 0, profiled.stderr
    assert profile.stat().st_size > 0


def test_a_profiled_console_script_writes_its_profile(tmp_path: Path) -> None:
    """Under a profiler the console script ends the usual way, so the profiler can write."""
    script = Path(sys.executable).parent / "signin-report"
    if not script.exists():
        pytest.skip("no console script in this environment")
    profile = tmp_path / "run.prof"
    sample = ["--sample", "--since", SAMPLE_SINCE, "--until", SAMPLE_UNTIL, "-q"]
    args = [*sample, "-o", str(tmp_path / "r.json")]
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), str(script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert profiled.returncode == 0, profiled.stderr
    assert profile.stat().st_size > 0
