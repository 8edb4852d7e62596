"""The findings configuration file (TOML): which rules run, their severity and thresholds, and
allow-lists. A wrong key or a wrong type is an error that names it, not a silent default."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzer.findings.defaults import RULE_DEFAULTS

SEVERITY_NAMES = ("low", "medium", "high")
SEVERITIES = {name: rank for rank, name in enumerate(SEVERITY_NAMES, start=1)}
ALLOW_KEYS = {"cidrs": list, "users": list, "user_agents": list}


class ConfigError(ValueError):
    """The message names the file and the key."""


@dataclass(frozen=True)
class FindingsConfig:
    rules: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {k: dict(v) for k, v in RULE_DEFAULTS.items()}
    )
    allow_cidrs: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allow_users: frozenset[str] = frozenset()
    allow_user_agents: tuple[str, ...] = ()


def _check(value: Any, expected: Any, where: str) -> None:
    kind = type(expected)
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, not {value!r}")
    if not isinstance(value, kind) and not (kind is float and isinstance(value, int)):
        raise ConfigError(f"{where} must be {kind.__name__}, not {type(value).__name__}")


def parse_config(data: dict[str, Any], source: str = "config") -> FindingsConfig:
    unknown = set(data) - {"rules", "allow"}
    if unknown:
        raise ConfigError(f"{source}: unknown key {sorted(unknown)[0]!r} (expected rules, allow)")
    rules = {k: dict(v) for k, v in RULE_DEFAULTS.items()}
    for rule_id, settings in (data.get("rules") or {}).items():
        where = f"{source}: rules.{rule_id}"
        if rule_id not in RULE_DEFAULTS:
            raise ConfigError(f"{where}: no such rule (rules: {', '.join(sorted(RULE_DEFAULTS))})")
        if not isinstance(settings, dict):
            raise ConfigError(f"{where} must be a table")
        for key, value in settings.items():
            if key not in RULE_DEFAULTS[rule_id]:
                allowed = ", ".join(sorted(RULE_DEFAULTS[rule_id]))
                raise ConfigError(f"{where}.{key}: unknown setting (allowed: {allowed})")
            _check(value, RULE_DEFAULTS[rule_id][key], f"{where}.{key}")
            if key == "severity" and value not in SEVERITY_NAMES:
                raise ConfigError(f"{where}.severity must be one of {', '.join(SEVERITY_NAMES)}")
            if isinstance(value, int) and not isinstance(value, bool) and value < 1:
                raise ConfigError(f"{where}.{key} must be at least 1")
            rules[rule_id][key] = value
    allow = data.get("allow") or {}
    if not isinstance(allow, dict):
        raise ConfigError(f"{source}: allow must be a table")
    for key, value in allow.items():
        if key not in ALLOW_KEYS:
            raise ConfigError(
                f"{source}: allow.{key}: unknown key (allowed: cidrs, users, user_agents)"
            )
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: allow.{key} must be a list of strings")
    cidrs = []
    for text in allow.get("cidrs", []):
        try:
            cidrs.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ConfigError(f"{source}: allow.cidrs: {text!r} is not a CIDR") from None
    return FindingsConfig(
        rules=rules,
        allow_cidrs=tuple(cidrs),
        allow_users=frozenset(allow.get("users", [])),
        allow_user_agents=tuple(allow.get("user_agents", [])),
    )


def load_config(path: Path | None) -> FindingsConfig:
    if path is None:
        return FindingsConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    return parse_config(data, str(path))


def with_management_account(config: FindingsConfig, account: str | None) -> FindingsConfig:
    """An organization run knows its management account: `member_root_signin` uses it unless
    the configuration names one."""
    settings = config.rules["member_root_signin"]
    if not account or settings["management_account"]:
        return config
    rules = {**config.rules, "member_root_signin": {**settings, "management_account": account}}
    return replace(config, rules=rules)
