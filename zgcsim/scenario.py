"""Scenario files: read a TOML overlay, follow its parents, validate every value, and resolve dated levers.

A scenario names a parent and lists only what differs from it (as OpenFisca/PolicyEngine reforms do). Lever
values are dated: a value holds from its date until the next one. Every resolved value remembers which file
set it. Every problem is raised as a ``UserInputError`` naming the file, the key and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zgcsim import levers as lever_catalogue
from zgcsim import parameters
from zgcsim.errors import UserInputError

FIRST_DAY = dt.date(2018, 1, 1)
LAST_DAY = dt.date(2022, 12, 31)
TOP_KEYS = ("name", "title", "question", "parent", "levers", "events", "uncertain")
LEVER_KEYS = ("values", "reason", "reference")
EVENT_KEYS = ("kind", "start", "quarters", "magnitude", "sectors", "firms", "reason", "reference")
EVENT_KINDS = ("demand_shock", "export_control")
UNCERTAIN_KEYS = ("low", "high")


@dataclass(frozen=True)
class LeverChange:
    """A lever value in force from ``start``, and the file that set it."""

    start: dt.date
    value: float
    source: str
    reason: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Event:
    """An exogenous event: a demand shock or export controls on named firms."""

    kind: str
    start: dt.date
    quarters: int
    magnitude: float
    sectors: tuple[str, ...]
    firms: int
    source: str
    reason: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: lever schedules, events and uncertain-input ranges, with provenance."""

    name: str
    title: str
    question: str
    files: tuple[str, ...]  # the file and its ancestors, child first
    lever_changes: Mapping[str, tuple[LeverChange, ...]]
    events: tuple[Event, ...]
    uncertain_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    uncertain_sources: Mapping[str, str] = field(default_factory=dict)

    def lever(self, name: str, on: dt.date) -> float:
        """Return the value of lever ``name`` in force on date ``on``."""
        value = lever_catalogue.BY_NAME[name].setting_2017
        for change in self.lever_changes.get(name, ()):
            if change.start <= on:
                value = change.value
        return value

    def levers_on(self, on: dt.date) -> dict[str, float]:
        """Return every lever's value in force on date ``on``."""
        return {name: self.lever(name, on) for name in lever_catalogue.BY_NAME}

    def fingerprint(self) -> str:
        """Return a SHA-256 of the scenario's files, child first, for manifests and caches."""
        digest = hashlib.sha256()
        for path in self.files:
            digest.update(Path(path).read_bytes())
        return digest.hexdigest()


def with_levers(
    scenario: Scenario, values: Mapping[str, float], name: str | None = None, start: dt.date = FIRST_DAY
) -> Scenario:
    """Return a copy of ``scenario`` with each lever in ``values`` set from ``start`` on (for sweeps and designs).

    Later dated values of the scenario still apply after ``start``; values are checked against the lever bounds.
    """
    merged = dict(scenario.lever_changes)
    for lever_name, value in values.items():
        if lever_name not in lever_catalogue.BY_NAME:
            raise UserInputError(f"unknown lever{_closest(lever_name, tuple(lever_catalogue.BY_NAME))}", key=lever_name)
        lever = lever_catalogue.BY_NAME[lever_name]
        if not lever.low <= value <= lever.high:
            raise UserInputError(f"{value:g} is outside the bounds [{lever.low:g}, {lever.high:g}]", key=lever_name)
        kept = [c for c in merged.get(lever_name, ()) if c.start > start]
        merged[lever_name] = (LeverChange(start, float(value), "design"), *kept)
    return replace(scenario, name=name or scenario.name, lever_changes=merged)


def _closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else f" (valid: {', '.join(sorted(choices))})"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise UserInputError("file not found", path=path)
    if not path.is_file():
        raise UserInputError("not a file", path=path)
    raw = path.read_bytes()
    if not raw.strip():
        raise UserInputError("the file is empty", path=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserInputError(f"not UTF-8 text (byte {err.start})", path=path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UserInputError(f"malformed TOML: {err}", path=path) from None


def _number(value: Any, path: Path, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserInputError(f"expected a number, got {type(value).__name__} {value!r}", path=path, key=key)
    return float(value)


def _text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        raise UserInputError(f"expected text, got {type(value).__name__} {value!r}", path=path, key=key)
    return value


def _date(value: Any, path: Path, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise UserInputError(f"expected a date like 2019-07-22, got {value!r}", path=path, key=key) from None
    elif not isinstance(value, dt.date):
        raise UserInputError(f"expected a date like 2019-07-22, got {value!r}", path=path, key=key)
    if not FIRST_DAY <= value <= LAST_DAY:
        raise UserInputError(
            f"date {value} is outside the simulated period {FIRST_DAY} to {LAST_DAY}", path=path, key=key
        )
    return value


def _check_keys(table: Any, allowed: tuple[str, ...], path: Path, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise UserInputError(f"expected a table, got {type(table).__name__}", path=path, key=where or None)
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise UserInputError(f"unknown key{_closest(key, allowed)}", path=path, key=name)
    return table


def _parse_levers(table: Any, path: Path) -> dict[str, list[LeverChange]]:
    table = _check_keys(table, tuple(lever_catalogue.BY_NAME), path, "levers")
    parsed: dict[str, list[LeverChange]] = {}
    for name, spec in table.items():
        key = f"levers.{name}"
        spec = _check_keys(spec, LEVER_KEYS, path, key)
        if "values" not in spec:
            raise UserInputError("missing 'values' (a table of date = value)", path=path, key=key)
        values = spec["values"]
        if not isinstance(values, dict) or not values:
            raise UserInputError("'values' must be a non-empty table of date = value", path=path, key=key)
        lever = lever_catalogue.BY_NAME[name]
        reason = _text(spec.get("reason", ""), path, f"{key}.reason")
        reference = _text(spec.get("reference", ""), path, f"{key}.reference")
        changes = []
        for date_text, value in values.items():
            vkey = f"{key}.values.{date_text}"
            start = _date(date_text, path, vkey)
            number = _number(value, path, vkey)
            if not lever.low <= number <= lever.high:
                raise UserInputError(
                    f"{number:g} is outside the bounds [{lever.low:g}, {lever.high:g}] {lever.unit}",
                    path=path,
                    key=vkey,
                )
            changes.append(LeverChange(start, number, str(path), reason, reference))
        parsed[name] = sorted(changes, key=lambda c: c.start)
    return parsed


def _parse_events(items: Any, path: Path) -> list[Event]:
    if not isinstance(items, list):
        raise UserInputError("'events' must be an array of tables ([[events]])", path=path, key="events")
    events = []
    for i, spec in enumerate(items):
        key = f"events[{i}]"
        spec = _check_keys(spec, EVENT_KEYS, path, key)
        for required in ("kind", "start", "magnitude"):
            if required not in spec:
                raise UserInputError(f"missing '{required}'", path=path, key=key)
        kind = _text(spec["kind"], path, f"{key}.kind")
        if kind not in EVENT_KINDS:
            raise UserInputError(
                f"unknown event kind '{kind}'{_closest(kind, EVENT_KINDS)}", path=path, key=f"{key}.kind"
            )
        magnitude = _number(spec["magnitude"], path, f"{key}.magnitude")
        if not -0.9 <= magnitude <= 0.5:
            raise UserInputError(f"{magnitude:g} is outside the bounds [-0.9, 0.5]", path=path, key=f"{key}.magnitude")
        quarters = spec.get("quarters", 1)
        if isinstance(quarters, bool) or not isinstance(quarters, int) or not 1 <= quarters <= 20:
            raise UserInputError(
                f"expected a whole number of quarters from 1 to 20, got {quarters!r}", path=path, key=f"{key}.quarters"
            )
        sectors = spec.get("sectors", [])
        if not isinstance(sectors, list) or not all(isinstance(s, str) for s in sectors):
            raise UserInputError("expected a list of sector keys", path=path, key=f"{key}.sectors")
        from zgcsim.population import SECTOR_KEYS  # local import: population imports nothing from here

        for s in sectors:
            if s not in SECTOR_KEYS:
                raise UserInputError(f"unknown sector '{s}'{_closest(s, SECTOR_KEYS)}", path=path, key=f"{key}.sectors")
        firms = spec.get("firms", 0)
        if isinstance(firms, bool) or not isinstance(firms, int) or not 0 <= firms <= 1000:
            raise UserInputError(
                f"expected a whole number of firms from 0 to 1000, got {firms!r}", path=path, key=f"{key}.firms"
            )
        events.append(
            Event(
                kind,
                _date(spec["start"], path, f"{key}.start"),
                quarters,
                magnitude,
                tuple(sectors),
                firms,
                str(path),
                _text(spec.get("reason", ""), path, f"{key}.reason"),
                _text(spec.get("reference", ""), path, f"{key}.reference"),
            )
        )
    return events


def _parse_uncertain(table: Any, path: Path) -> dict[str, tuple[float, float]]:
    names = tuple(p.name for p in parameters.PARAMETERS if p.kind == "uncertain")
    table = _check_keys(table, names, path, "uncertain")
    ranges = {}
    for name, spec in table.items():
        key = f"uncertain.{name}"
        spec = _check_keys(spec, UNCERTAIN_KEYS, path, key)
        if set(spec) != set(UNCERTAIN_KEYS):
            raise UserInputError("needs both 'low' and 'high'", path=path, key=key)
        low, high = _number(spec["low"], path, f"{key}.low"), _number(spec["high"], path, f"{key}.high")
        if low > high:
            raise UserInputError(f"low {low:g} is above high {high:g}", path=path, key=key)
        ranges[name] = (low, high)
    return ranges


def load_scenario(path: str | Path, _chain: tuple[Path, ...] = ()) -> Scenario:
    """Read, validate and resolve the scenario at ``path`` with all its parents."""
    path = Path(path)
    resolved_path = path.resolve()
    if resolved_path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, resolved_path))
        raise UserInputError(f"parent cycle: {cycle}", path=_chain[0], key="parent")
    data = _read_toml(path)
    _check_keys(data, TOP_KEYS, path, "")
    name = _text(data.get("name", path.stem), path, "name")
    title = _text(data.get("title", name), path, "title")
    question = _text(data.get("question", ""), path, "question")

    if "parent" in data:
        parent_name = _text(data["parent"], path, "parent")
        parent_path = path.parent / (parent_name if parent_name.endswith(".toml") else f"{parent_name}.toml")
        if not parent_path.exists():
            raise UserInputError(f"parent '{parent_name}' not found at {parent_path}", path=path, key="parent")
        parent = load_scenario(parent_path, (*_chain, resolved_path))
    else:
        parent = Scenario(name="2017 settings", title="", question="", files=(), lever_changes={}, events=())

    own_levers = _parse_levers(data.get("levers", {}), path)
    merged: dict[str, tuple[LeverChange, ...]] = dict(parent.lever_changes)
    for lever_name, changes in own_levers.items():
        by_date = {c.start: c for c in merged.get(lever_name, ())}
        by_date.update({c.start: c for c in changes})  # the child's dated values win on the same date
        merged[lever_name] = tuple(sorted(by_date.values(), key=lambda c: c.start))

    ranges = dict(parent.uncertain_ranges)
    sources = dict(parent.uncertain_sources)
    for key, value in _parse_uncertain(data.get("uncertain", {}), path).items():
        ranges[key] = value
        sources[key] = str(path)

    return Scenario(
        name=name,
        title=title,
        question=question,
        files=(str(path), *parent.files),
        lever_changes=merged,
        events=(*parent.events, *_parse_events(data.get("events", []), path)),
        uncertain_ranges=ranges,
        uncertain_sources=sources,
    )
