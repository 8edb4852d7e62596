"""Small matplotlib helpers for notebooks. Each takes the sign-in frame (and optionally an
Axes to draw on) and returns the Axes, so users can restyle, combine or save the figure.

matplotlib is an optional dependency (`pip install 'signin-analyzer[notebook]'`); it is
imported when a helper is called, so the CLI never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from analyzer.reports.activity import signins_per_day, user_timeline
from analyzer.reports.common import UNKNOWN_ENDPOINT, logins

if TYPE_CHECKING:
    from matplotlib.axes import Axes

OUTCOME_COLORS = {"success": "#2e7d32", "failure": "#c62828", "unknown": "#9e9e9e"}
MFA_COLORS = {"mfa": "#2e7d32", "no_mfa": "#c62828", "idp": "#1565c0", "unknown": "#9e9e9e"}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ImportError(
            "plots need matplotlib, in the notebook extra: pip install '.[notebook]' in a "
            "checkout of signin-analyzer ('signin-analyzer[notebook]' from a package index)"
        ) from err
    _, created = plt.subplots(figsize=(9, 3.5))
    return created


def plot_signins_per_day(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Stacked bars of sign-ins per UTC day by outcome."""
    axes = _axes(ax)
    table = signins_per_day(frame)
    bottom = pd.Series(0, index=table.index)
    labels = [day.strftime("%m-%d") for day in table.index]
    for outcome in table.columns:
        axes.bar(
            labels,
            table[outcome],
            bottom=bottom,
            label=outcome,
            color=OUTCOME_COLORS.get(str(outcome)),
        )
        bottom = bottom + table[outcome]
    axes.set_title("Sign-ins per day (UTC) by outcome")
    axes.set_ylabel("sign-ins")
    axes.legend()
    return axes


def plot_mfa_status(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Successful sign-ins by identity-aware MFA status (mfa / no_mfa / idp / unknown)."""
    axes = _axes(ax)
    attempts = logins(frame)
    succeeded = attempts[(attempts["outcome"] == "success").fillna(False).astype(bool)]
    counts = succeeded["mfa_status"].astype(object).value_counts()
    order = [status for status in MFA_COLORS if status in counts.index]
    axes.barh(order, [int(counts[s]) for s in order], color=[MFA_COLORS[s] for s in order])
    axes.invert_yaxis()
    axes.set_title("Successful sign-ins by MFA status")
    axes.set_xlabel("sign-ins")
    return axes


def plot_endpoints(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Sign-ins per (endpoint, logged region): global-endpoint sign-ins outside us-east-1
    stand out as their own bars."""
    axes = _axes(ax)
    attempts = logins(frame)
    keys = (
        attempts["endpoint"].astype(object).fillna(UNKNOWN_ENDPOINT)
        + "  @ "
        + attempts["region"].astype(object).fillna("?")
    )
    counts = keys.value_counts().sort_values()
    axes.barh(list(counts.index), list(counts.values), color="#455a64")
    axes.set_title("Sign-ins by endpoint @ logged region")
    axes.set_xlabel("sign-ins")
    return axes


def plot_user_timeline(frame: pd.DataFrame, user_name: str, ax: Axes | None = None) -> Axes:
    """One user's sign-in events over time, one row per source IP, colored by outcome."""
    axes = _axes(ax)
    events = user_timeline(frame, user_name).dropna(subset=["event_time"])
    addresses = sorted({str(ip) for ip in events["source_ip"].dropna()})
    position = {ip: index for index, ip in enumerate(addresses)}
    for outcome, color in OUTCOME_COLORS.items():
        if outcome == "unknown":
            chosen = events[events["outcome"].isna()]
        else:
            chosen = events[(events["outcome"] == outcome).fillna(False).astype(bool)]
        if chosen.empty:
            continue
        axes.scatter(
            pd.DatetimeIndex(chosen["event_time"].astype("datetime64[us, UTC]")).tz_convert(None),
            [position.get(str(ip), -1) for ip in chosen["source_ip"]],
            color=color,
            label=outcome,
            s=40,
        )
    axes.set_yticks(range(len(addresses)), addresses)
    if events.empty:  # a name with no event (a typo): said on the plot, not by a warning
        axes.set_title(f"No sign-in event of {user_name}")
        return axes
    axes.set_title(f"Sign-in events of {user_name} by source IP")
    axes.legend()
    return axes
