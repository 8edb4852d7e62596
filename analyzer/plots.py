"""`analyzer.plots`, the documented home of the notebook chart helpers; they live with the
other renderers in `analyzer.render.plots`."""

from analyzer.render.plots import (
    plot_endpoints,
    plot_mfa_status,
    plot_signins_per_day,
    plot_user_timeline,
)

__all__ = ["plot_endpoints", "plot_mfa_status", "plot_signins_per_day", "plot_user_timeline"]
