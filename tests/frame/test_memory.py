"""Handing freed memory back: `release_free_memory` is safe to call anywhere, and `Trimmer`
trims once per TRIM_BYTES made, however the bytes arrive (threads included), never for
small inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from analyzer.frame import memory
from analyzer.frame.memory import TRIM_BYTES, Trimmer, release_free_memory


def test_release_is_harmless() -> None:
    release_free_memory()
    release_free_memory()


def test_a_trim_per_threshold_made(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[None] = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: trims.append(None))
    trimmer = Trimmer()
    trimmer.made(TRIM_BYTES - 1)
    assert trims == []
    trimmer.made(1)
    assert len(trims) == 1
    trimmer.made(TRIM_BYTES // 2)
    assert len(trims) == 1  # counting starts again after a trim
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(trimmer.made, [TRIM_BYTES // 4] * 14))  # 3.5 + 0.5 thresholds
    assert len(trims) == 1 + 4


def test_small_inputs_never_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[None] = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: trims.append(None))
    trimmer = Trimmer()
    for _ in range(1000):
        trimmer.made(1024)
    assert trims == []


_POOL_AFTER = """
import pyarrow
from analyzer.frame.memory import use_system_allocator
use_system_allocator()
print(pyarrow.default_memory_pool().backend_name)
"""


@pytest.mark.parametrize(("chosen", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_the_allocator_once_pyarrow_is_loaded(chosen: str | None, expected: str) -> None:
    """Entered after pyarrow loaded (the CLI run in-process), the variable comes too late:
    pyarrow's default pool is set instead, unless the user chose one."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    env.update({"ARROW_DEFAULT_MEMORY_POOL": chosen} if chosen else {})
    done = subprocess.run(
        [sys.executable, "-c", _POOL_AFTER], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == expected
