"""`all_distinct` is the exact count's answer on every shape of column (differential)."""

from __future__ import annotations

import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from analyzer.frame import distinct
from analyzer.frame.distinct import all_distinct


def exact(values: pa.Array | pa.ChunkedArray) -> bool:
    return bool(pc.count_distinct(values, mode="all").as_py() == len(values))


def uuids(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [str(uuid.UUID(bytes=rng.bytes(16))) for _ in range(count)]


SHAPES = {
    "uuids": pa.array(uuids(5000, 1)),
    "one repeated uuid": pa.array([*uuids(3000, 2), uuids(1, 2)[0]]),
    "repeat far apart in chunks": pa.chunked_array(
        [pa.array(uuids(2000, 3)), pa.array(uuids(2000, 4)), pa.array(uuids(1, 3))]
    ),
    "chunks of two widths": pa.chunked_array(
        [pa.array(uuids(50, 16)), pa.array([f"{n:013d}" for n in range(50)])]
    ),
    "a null in a later chunk": pa.chunked_array(
        [pa.array(uuids(50, 17)), pa.array([None], pa.string())]
    ),
    "sliced chunks, repeat across them": pa.chunked_array(
        [
            pa.array(["a" * 36, *uuids(40, 18)]).slice(1),
            pa.array([*uuids(3, 19), uuids(40, 18)[5]]).slice(2),
        ]
    ),
    "sliced chunks": pa.chunked_array(
        [pa.array(uuids(41, 20)).slice(1), pa.array(uuids(9, 21)).slice(4, 3)]
    ),
    "an empty chunk": pa.chunked_array(
        [pa.array([], pa.string()), pa.array(uuids(30, 22)), pa.array([], pa.string())]
    ),
    "two lengths, the longer repeated": pa.array(["ab", "cde", "cde"]),
    "two lengths, the shorter repeated": pa.array(["cde", "ab", "ab"]),
    "width 512": pa.array([f"{n:0512d}" for n in range(40)]),
    "width 512 repeated": pa.array([f"{n % 39:0512d}" for n in range(40)]),
    "width 513": pa.array([f"{n:0513d}" for n in range(40)]),
    "width 513 repeated": pa.array([f"{n % 39:0513d}" for n in range(40)]),
    "width 520 repeated": pa.array([f"{n % 39:0520d}" for n in range(40)]),
    "sliced large_string with its repeat": pa.array(
        [*uuids(3, 23), uuids(3, 23)[1]], pa.large_string()
    ).slice(1),
    "sliced large_string": pa.array(
        [uuids(1, 24)[0], *uuids(3, 25), uuids(1, 24)[0]], pa.large_string()
    ).slice(1, 3),
    "mixed lengths": pa.array([*uuids(100, 5), "sha256:" + "a" * 64, "sha256:" + "b" * 64]),
    "mixed lengths repeated": pa.array([*uuids(100, 6), "x", "x"]),
    "a null": pa.array([*uuids(100, 7), None]),
    "two nulls": pa.array([*uuids(100, 8), None, None]),
    "sliced": pa.array(["dup", *uuids(500, 9), "dup"]).slice(1, 500),
    "sliced with its repeat": pa.array(["zz", *uuids(50, 10), *uuids(50, 10)]).slice(1),
    "large_string": pa.array(uuids(300, 11), pa.large_string()),
    "large_string repeated": pa.array(uuids(300, 12) * 2, pa.large_string()),
    "odd width": pa.array([f"{n:013d}" for n in range(4000)]),
    "odd width repeated": pa.array([f"{n % 3999:013d}" for n in range(4000)]),
    "one byte": pa.array(list("abcdefg")),
    "empty strings": pa.array(["", ""]),
    "long texts": pa.array(["y" * 700 + str(n % 10) for n in range(11)]),
    "one value": pa.array(["only"]),
    "nothing": pa.array([], pa.string()),
}


@pytest.fixture(params=["joined", "chunk by chunk"])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small chunked columns are joined first; with no size joined, each chunk is read
    where it lies (the path of a large column)."""
    if request.param == "chunk by chunk":
        monkeypatch.setattr(distinct, "JOIN_BYTES", -1)
    return str(request.param)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_same_answer_as_the_exact_count(name: str, layout: str) -> None:
    assert all_distinct(SHAPES[name]) == exact(SHAPES[name])


def test_a_collision_of_the_mixed_numbers_asks_the_exact_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Numbers that collide for distinct texts must not be read as a repeat."""
    values = pa.array(uuids(1000, 13))
    monkeypatch.setattr(distinct, "_MULTIPLIERS", np.zeros(64, dtype=np.uint64))
    assert all_distinct(values) is True
    assert all_distinct(pa.array([*uuids(10, 14), uuids(1, 14)[0]])) is False


def test_types_arrow_cannot_count_are_left_to_the_caller() -> None:
    assert all_distinct(pa.nulls(3)) is False
    assert all_distinct(pa.array(["a", "b"]).dictionary_encode()) is False


def test_a_slice_is_read_from_its_own_offset() -> None:
    """Values before the slice must not be mixed in: u1 repeats inside the slice."""
    u0, u1, u2 = uuids(3, 15)
    assert all_distinct(pa.array([u0, u1, u2, u1]).slice(1)) is False
    assert all_distinct(pa.array([u1, u0, u2, u1]).slice(1)) is True


@pytest.mark.parametrize(
    "name",
    ["uuids", "odd width", "sliced chunks", "large_string", "an empty chunk", "width 512"],
)
def test_distinct_texts_of_one_width_need_no_exact_count(
    name: str, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mixed numbers alone prove these distinct: every byte of a row, the last partial
    word's too, counts in its own place (a mix that loses bytes would collide and fall back)."""

    def no_exact_count(*args: object, **kwargs: object) -> None:
        raise AssertionError("the exact count was asked")

    monkeypatch.setattr(pc, "count_distinct", no_exact_count)
    assert all_distinct(SHAPES[name]) is True
