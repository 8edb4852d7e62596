from __future__ import annotations

from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

import analyzer
from analyzer import plots
from tests.entry.test_cli import SAMPLE


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return analyzer.read_logs(SAMPLE, since="2026-11-02", until="2026-11-09")


def bars(patches: Iterable[object]) -> list[Rectangle]:
    return [p for p in patches if isinstance(p, Rectangle)]


def total(values: Iterable[float]) -> float:
    return float(sum(values))


def test_helpers_return_axes_with_the_data(frame: pd.DataFrame) -> None:
    per_day = plots.plot_signins_per_day(frame)
    assert (
        sum(bar.get_height() for bar in bars(per_day.patches))
        == analyzer.summary(frame)["sign_ins"]
    )
    mfa = plots.plot_mfa_status(frame)
    assert [t.get_text() for t in mfa.get_yticklabels()] == ["mfa", "no_mfa", "idp"]
    endpoints = plots.plot_endpoints(frame)
    logins = int((frame["event_kind"] == "login").sum())
    assert total(bar.get_width() for bar in bars(endpoints.patches)) == logins
    timeline = plots.plot_user_timeline(frame, "root")
    assert [t.get_text() for t in timeline.get_yticklabels()] == ["192.0.2.66", "198.51.100.10"]
    plt.close("all")


def test_helpers_draw_on_given_axes(frame: pd.DataFrame) -> None:
    _, ax = plt.subplots()
    assert plots.plot_signins_per_day(frame, ax=ax) is ax
    plt.close("all")


def test_a_user_with_no_event_is_said_on_the_plot_without_a_warning(
    frame: pd.DataFrame,
) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels" was one
        axes = plots.plot_user_timeline(frame, "nobody")
    assert axes.get_title() == "No sign-in event of nobody"
    assert axes.get_legend() is None
    plt.close("all")
