"""The findings configuration file (TOML): which rules run, their severity and thresholds, and
suppressions. A wrong key, a wrong type or a value out of range is an error that names it,
not a silent default and not a Python exception.

Suppressions match user names, user agents and source addresses, and the first two are typed
by whoever is on the other side of the sign-in page. So an entry names the rules it may
silence, matches exactly (a user agent may end in `*` for a prefix of at least
`MIN_AGENT_PREFIX` characters), and entries that would match everything are refused. The
blanket `[allow]` table never silences the rules in `PROTECTED_RULES` nor a root sign-in.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from analyzer.findings.defaults import (
    MAXIMUM,
    PROTECTED_RULES,
    RULE_DEFAULTS,
    MemberRoot,
    RuleSettings,
)

SEVERITY_NAMES = ("low", "medium", "high")
SEVERITIES = {name: rank for rank, name in enumerate(SEVERITY_NAMES, start=1)}
ALLOW_KEYS = ("cidrs", "users", "user_agents")
SUPPRESS_KEYS = ("rules", *ALLOW_KEYS, "identity_types", "accounts", "reason")
# Whose names an administrator gives: a `users` entry matches these unless it names the
# identity types. A role session's name is chosen by whoever assumes the role (and a
# federated user's by the federation), so `users = ["alice"]` written for the IAM user
# alice must not silence a session someone named alice.
NAMED_BY_ADMINISTRATORS = frozenset({"IAMUser", "Root", "IdentityCenterUser"})
# `userIdentity.type` values a sign-in row can carry (Identity Center's portal events before
# July 2025 say Unknown, as do attempts with a user name that does not exist).
IDENTITY_TYPES = frozenset({
    *NAMED_BY_ADMINISTRATORS, "AssumedRole", "FederatedUser", "SAMLUser", "WebIdentityUser",
    "Unknown", "AWSAccount", "AWSService",
})  # fmt: skip
MIN_AGENT_PREFIX = 8
NARROWEST_ALLOWED = {4: 8, 6: 16}  # shortest prefix length accepted per IP version
_NESTING_SHOWN = 64  # brackets deep at which a value is named as the one nested too deeply
ACCOUNT_ID = re.compile(r"\d{12}")
_KEY_LINE = re.compile(r"\s*([^=\[#\s][^=#]*?)\s*=")
_TABLE_LINE = re.compile(r"\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """The message names the file and the key."""


@dataclass(frozen=True)
class Suppression:
    """One entry: rows match when every criterion it gives matches (user name exactly, of
    an identity type administrators name unless `identity_types` says which; user agent
    exactly or by a `*` prefix; source IP inside a network; identity type; account).
    `rules` None is the blanket `[allow]` form: every rule except `PROTECTED_RULES`, never a
    root row."""

    name: str
    rules: frozenset[str] | None
    users: frozenset[str] = frozenset()
    user_agents: tuple[str, ...] = ()
    cidrs: tuple[Network, ...] = ()
    identity_types: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    reason: str = ""

    @property
    def blanket(self) -> bool:
        return self.rules is None

    def applies_to(self, rule_id: str) -> bool:
        if self.rules is None:
            return rule_id not in PROTECTED_RULES
        return rule_id in self.rules

    @property
    def label(self) -> str:
        return f"{self.name} ({self.reason})" if self.reason else self.name


def _default_rules() -> dict[str, RuleSettings]:
    return dict(RULE_DEFAULTS)


@dataclass(frozen=True)
class FindingsConfig:
    rules: dict[str, RuleSettings] = field(default_factory=_default_rules)
    suppressions: tuple[Suppression, ...] = ()


_TOML_TYPES: dict[type, str] = {dict: "table", list: "array"}


def _type_name(value: Any) -> str:
    return _TOML_TYPES.get(type(value), type(value).__name__)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, not {_type_name(value)}")
    return value


def _check(value: Any, expected: Any, where: str) -> None:
    kind = type(expected)
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, not {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"{where} must be {kind.__name__}, not {_type_name(value)}")


def _setting(key: str, value: Any, default: Any, where: str) -> Any:
    _check(value, default, where)
    if key == "severity" and value not in SEVERITY_NAMES:
        raise ConfigError(f"{where} must be one of {', '.join(SEVERITY_NAMES)}")
    if key == "management_account" and not ACCOUNT_ID.fullmatch(value):
        raise ConfigError(f"{where} must be a 12-digit account ID")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ConfigError(f"{where} must be at least 1")
        if value > MAXIMUM[key]:
            raise ConfigError(f"{where} must be at most {MAXIMUM[key]}")
    return value


def _rule(rule_id: str, settings: Any, where: str) -> RuleSettings:
    if rule_id not in RULE_DEFAULTS:
        raise ConfigError(f"{where}: no such rule (rules: {', '.join(sorted(RULE_DEFAULTS))})")
    default = RULE_DEFAULTS[rule_id]
    allowed = [f.name for f in fields(default)]
    changes = {}
    for key, value in _table(settings, where).items():
        if key not in allowed:
            raise ConfigError(
                f"{where}.{key}: unknown setting (allowed: {', '.join(sorted(allowed))})"
            )
        changes[key] = _setting(key, value, getattr(default, key), f"{where}.{key}")
    return replace(default, **changes)


def _strings(value: Any, where: str) -> list[str]:
    """A present key must hold a non-empty list of non-blank strings: an empty entry would
    match nothing today and invite a catch-all tomorrow."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be an array of strings")
    if not value:
        raise ConfigError(f"{where} is empty: list values or remove the key")
    for text in value:
        if not text.strip():
            raise ConfigError(f"{where}: an empty string would match everything; refused")
    return value


def _agent(pattern: str, where: str) -> str:
    if pattern.endswith("*") and len(pattern[:-1].strip()) < MIN_AGENT_PREFIX:
        raise ConfigError(
            f"{where}: {pattern!r} would match almost any user agent; a prefix pattern needs "
            f"at least {MIN_AGENT_PREFIX} characters before the *"
        )
    return pattern


def _network(text: str, where: str) -> Network:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a CIDR") from None
    narrowest = NARROWEST_ALLOWED[network.version]
    if network.prefixlen < narrowest:
        raise ConfigError(
            f"{where}: {text!r} is wider than /{narrowest} and would match a large part of "
            "the internet; refused"
        )
    return network


def _criteria(table: dict[str, Any], where: str) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if "users" in table:
        criteria["users"] = frozenset(_strings(table["users"], f"{where}.users"))
    if "user_agents" in table:
        agents = _strings(table["user_agents"], f"{where}.user_agents")
        criteria["user_agents"] = tuple(_agent(a, f"{where}.user_agents") for a in agents)
    if "cidrs" in table:
        cidrs = _strings(table["cidrs"], f"{where}.cidrs")
        criteria["cidrs"] = tuple(_network(c, f"{where}.cidrs") for c in cidrs)
    if "identity_types" in table:
        kinds = _strings(table["identity_types"], f"{where}.identity_types")
        for kind in kinds:
            if kind not in IDENTITY_TYPES:
                raise ConfigError(
                    f"{where}.identity_types: no identity type {kind!r} (known: "
                    + ", ".join(sorted(IDENTITY_TYPES))
                    + ")"
                )
        criteria["identity_types"] = frozenset(kinds)
    if "accounts" in table:
        accounts = _strings(table["accounts"], f"{where}.accounts")
        for account in accounts:
            if not ACCOUNT_ID.fullmatch(account):
                raise ConfigError(f"{where}.accounts: {account!r} is not a 12-digit account ID")
        criteria["accounts"] = frozenset(accounts)
    return criteria


def _entry(value: Any, name: str, source: str) -> Suppression:
    where = f"{source}: {name}"
    entry = _table(value, where)
    unknown = sorted(set(entry) - set(SUPPRESS_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(SUPPRESS_KEYS)})"
        )
    if "rules" not in entry:
        raise ConfigError(f"{where}.rules: required (name the rules this entry may silence)")
    rules = _strings(entry["rules"], f"{where}.rules")
    for rule_id in rules:
        if rule_id not in RULE_DEFAULTS:
            raise ConfigError(f"{where}.rules: no such rule {rule_id!r}")
    reason = entry.get("reason", "")
    if not isinstance(reason, str):
        raise ConfigError(f"{where}.reason must be a string, not {_type_name(reason)}")
    criteria = _criteria(entry, where)
    if not set(criteria) & set(ALLOW_KEYS):  # a type or an account alone is too wide
        raise ConfigError(f"{where}: give users, user_agents or cidrs to match")
    return Suppression(name, frozenset(rules), reason=reason, **criteria)


def _suppressions(data: dict[str, Any], source: str) -> tuple[Suppression, ...]:
    """`[allow]` keys become one blanket entry each (their old either-or meaning);
    `[[suppress]]` entries follow in file order."""
    found = []
    allow = _table(data.get("allow", {}), f"{source}: allow")
    for key, value in allow.items():
        if key not in ALLOW_KEYS:
            raise ConfigError(
                f"{source}: allow.{key}: unknown key (allowed: {', '.join(ALLOW_KEYS)})"
            )
        found.append(
            Suppression(f"allow.{key}", None, **_criteria({key: value}, f"{source}: allow"))
        )
    entries = data.get("suppress", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: suppress must be an array of tables ([[suppress]])")
    found += [_entry(entry, f"suppress[{i}]", source) for i, entry in enumerate(entries)]
    return tuple(found)


def parse_config(data: dict[str, Any], source: str = "config") -> FindingsConfig:
    data = _table(data, source)
    unknown = sorted(set(data) - {"rules", "allow", "suppress"})
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r} (expected rules, allow, suppress)")
    rules = _default_rules()
    for rule_id, settings in _table(data.get("rules", {}), f"{source}: rules").items():
        rules[rule_id] = _rule(rule_id, settings, f"{source}: rules.{rule_id}")
    return FindingsConfig(rules=rules, suppressions=_suppressions(data, source))


def _key_where(text: str, too_much: re.Pattern[str]) -> str:
    """The key whose value holds what `tomllib` could not take (nested past Python's
    recursion limit, an integer past its digit limit), to name it in the error."""
    table, key, depth = "", "a value", 0
    for line in text.splitlines():
        body = line
        if depth == 0:
            header = _TABLE_LINE.match(line)
            if header is not None:
                table = header.group(1) + "."
                continue
            match = _KEY_LINE.match(line)
            if match is None:
                continue
            key, body = table + match.group(1).strip(), line[match.end() :]
        if too_much.search(body):
            return key
        for char in body:  # brackets inside strings are counted too: good enough to name it
            depth = max(0, depth + (char in "[{") - (char in "]}"))
            if depth >= _NESTING_SHOWN:
                return key
    return key


def load_config(path: Path | None) -> FindingsConfig:
    if path is None:
        return FindingsConfig()
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte {err.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    except RecursionError:
        key = _key_where(text, re.compile(r"(?!)"))
        raise ConfigError(f"{path}: {key}: nested too deeply") from None
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        key = _key_where(text, re.compile(r"\d{4300}"))
        raise ConfigError(f"{path}: {key}: not a usable value ({err})") from None
    return parse_config(data, str(path))


def with_management_account(config: FindingsConfig, account: str | None) -> FindingsConfig:
    """An organization run knows its management account: `member_root_signin` uses it unless
    the configuration names one."""
    settings = config.rules["member_root_signin"]
    if not account or not isinstance(settings, MemberRoot) or settings.management_account:
        return config
    rules = {**config.rules, "member_root_signin": replace(settings, management_account=account)}
    return replace(config, rules=rules)
