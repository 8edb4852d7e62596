"""Findings: rules over the sign-in frame (and, for baselines, history), configured in TOML.

`config` is light (the CLI reads it before loading pandas); `engine` and `rules` need pandas.
"""
