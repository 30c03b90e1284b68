"""Scenario files: read a TOML overlay, follow its parents, validate every value, and resolve dated levers.

A scenario names a parent and lists only what differs from it (as OpenFisca/PolicyEngine reforms do). Lever
values are dated: a value holds from its date until the next one. Every resolved value remembers which file
set it. Every problem is raised as a ``UserInputError`` naming the file, the key and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
import numbers
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from zgcsim.errors import UserInputError
from zgcsim.inputs import levers as lever_catalogue
from zgcsim.inputs import parameters
from zgcsim.inputs.bundled import LIBRARY_PACKAGE, bundled_folder
from zgcsim.inputs.parks import PARK_KEYS, PARKS

LIBRARY = bundled_folder(LIBRARY_PACKAGE, "scenarios")  # the scenario library, also for parents
FIRST_DAY = dt.date(2018, 1, 1)
LAST_DAY = dt.date(2022, 12, 31)
TOP_KEYS = ("name", "title", "question", "parent", "levers", "events", "uncertain")
LEVER_KEYS = ("values", "reason", "reference")
EVENT_KEYS = ("kind", "start", "quarters", "magnitude", "sectors", "firms", "reason", "reference")
EVENT_KINDS = ("demand_shock", "export_control")
# demand_shock: relative change of the sectors' flows (-0.066 = 6.6 % lower) for its quarters;
# export_control: change of the named firms' yearly log growth from its date on (negative: they lose growth)
MAGNITUDE_BOUNDS = {"demand_shock": (-0.9, 0.5), "export_control": (-0.9, 0.0)}
UNUSED_EVENT_KEYS = {"demand_shock": ("firms",), "export_control": ("quarters",)}
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
    # lever -> park key -> dated values set for that park (levers.PARK_LEVERS only)
    park_lever_changes: Mapping[str, Mapping[str, tuple[LeverChange, ...]]] = field(default_factory=dict)

    def lever(self, name: str, on: dt.date) -> float:
        """Return the value of lever ``name`` in force on date ``on`` (before 2018: the lever's own history)."""
        lever = lever_catalogue.BY_NAME[name]
        value = lever.setting_2017 if on >= FIRST_DAY else lever.before_2018(on)
        for change in self.lever_changes.get(name, ()):
            if change.start <= on:
                value = change.value
        return value

    def levers_on(self, on: dt.date) -> dict[str, float]:
        """Return every lever's value in force on date ``on``."""
        return {name: self.lever(name, on) for name in lever_catalogue.BY_NAME}

    def park_levers_on(self, on: dt.date) -> dict[str, np.ndarray]:
        """Return each park lever's value in every park (in ``parks.PARK_KEYS`` order) in force on ``on``.

        A park without its own dated value in force takes the zone's value: as it is for rates and scales, and
        its share of the zone total (its 2017 firm share, data/parks.csv) for ``levers.PARK_TOTAL_LEVERS``.
        """
        values = {}
        for name in lever_catalogue.PARK_LEVERS:
            zone = self.lever(name, on)
            if name in lever_catalogue.PARK_TOTAL_LEVERS:
                by_park = np.array([zone * park.firm_share for park in PARKS])
            else:
                by_park = np.full(len(PARKS), zone)
            for key, changes in self.park_lever_changes.get(name, {}).items():
                in_force = [c for c in changes if c.start <= on]
                if in_force:
                    by_park[PARK_KEYS.index(key)] = in_force[-1].value
            values[name] = by_park
        return values

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
            raise UserInputError(f"unknown lever{closest(lever_name, tuple(lever_catalogue.BY_NAME))}", key=lever_name)
        check_lever_value(lever_catalogue.BY_NAME[lever_name], value, None, lever_name)
        kept = [c for c in merged.get(lever_name, ()) if c.start > start]
        merged[lever_name] = (LeverChange(start, float(value), "design"), *kept)
    return replace(scenario, name=name or scenario.name, lever_changes=merged)


def check_lever_value(lever: lever_catalogue.Lever, value: Any, path: Path | None, key: str) -> float:
    """Return ``value`` as a float if it is a finite number within the lever's bounds (whole where it must be).

    Any real number is accepted (numpy scalars from experimental designs included), but not a bool.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise UserInputError(f"expected a number, got {type(value).__name__} {value!r}", path=path, key=key)
    if not math.isfinite(value):
        raise UserInputError(f"expected a finite number, got {value!r}", path=path, key=key)
    if not lever.low <= value <= lever.high:
        raise UserInputError(
            f"{value:g} is outside the bounds [{lever.low:g}, {lever.high:g}] {lever.unit}", path=path, key=key
        )
    if lever.whole and value != int(value):
        raise UserInputError(f"expected a whole number ({lever.unit}), got {value:g}", path=path, key=key)
    return float(value)


def closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return " (did you mean 'x'?)" for the nearest valid choice, or the list of valid choices."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else f" (valid: {', '.join(sorted(choices))})"


_TOML_WHERE = re.compile(r"^(?P<msg>.*) \((?:at line (?P<line>\d+), column (?P<col>\d+)|at end of document)\)$")
_TOML_DUPLICATE = re.compile(r"Cannot declare \((?P<parts>.*)\) twice|Cannot overwrite|Duplicate|Cannot mutate")
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def _toml_error(err: tomllib.TOMLDecodeError, text: str, path: Path) -> UserInputError:
    """Turn a tomllib error into one line with the line, the column and, where we can tell, the key."""
    message = str(err)
    found = _TOML_WHERE.match(message)
    lines = text.splitlines() or [""]
    if found and found["line"]:
        line, col = int(found["line"]), int(found["col"])
    else:  # "at end of document": point at the last character
        line, col = len(lines), len(lines[-1]) + 1
    problem = found["msg"] if found else message
    key = _key_at(lines, line)
    duplicate = _TOML_DUPLICATE.search(problem)
    if duplicate:
        if duplicate["parts"]:
            key = ".".join(part.strip().strip("'\"") for part in duplicate["parts"].split(","))
        elif inner := re.search(r"Duplicate inline table key '(.*)'", problem):
            key = f"{key}.{inner[1]}" if key else inner[1]
        problem = f"duplicated key ({problem})"
    return UserInputError(f"malformed TOML at line {line}, column {col}: {problem}", path=path, key=key)


def _key_at(lines: list[str], line: int) -> str | None:
    """Best effort: the table header in force at ``line`` and the key written on that line."""
    header = ""
    for text in lines[: max(line - 1, 0)]:
        stripped = text.strip()
        if stripped.startswith("[") and "]" in stripped:
            header = stripped.strip("[]").strip()
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    own = current.split("=", 1)[0].strip() if "=" in current else ""
    if current.strip().startswith("["):
        own, header = current.strip().strip("[]").strip(), ""
    joined = ".".join(part for part in (header, own) if part)
    return joined[:80] or None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        if not path.exists():
            raise UserInputError("file not found", path=path)
        if not path.is_file():
            raise UserInputError("not a file", path=path)
        raw = path.read_bytes()
    except (OSError, ValueError) as err:  # unreadable, name too long, embedded NUL byte
        raise UserInputError(f"cannot read the file ({err.__class__.__name__}: {err})", path=path) from None
    if not raw.strip():
        raise UserInputError("the file is empty", path=path)
    try:
        text = raw.decode("utf-8-sig")  # tolerate the byte-order mark some Windows editors write
    except UnicodeDecodeError as err:
        raise UserInputError(f"not UTF-8 text (byte {err.start})", path=path) from None
    if not text.strip():
        raise UserInputError("the file is empty", path=path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _toml_error(err, text, path) from None


def _number(value: Any, path: Path, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserInputError(f"expected a number, got {type(value).__name__} {value!r}", path=path, key=key)
    if not math.isfinite(value):
        raise UserInputError(f"expected a finite number, got {value!r}", path=path, key=key)
    return float(value)


def _text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        raise UserInputError(f"expected text, got {type(value).__name__} {value!r}", path=path, key=key)
    return value


def _date(value: Any, path: Path, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, str):
        if not _DATE_TEXT.match(value):
            raise UserInputError(f"expected a date like 2019-07-22, got {value!r}", path=path, key=key)
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
            raise UserInputError(f"unknown key{closest(key, allowed)}", path=path, key=name)
    return table


def _parse_levers(
    table: Any, path: Path
) -> tuple[dict[str, list[LeverChange]], dict[str, dict[str, list[LeverChange]]]]:
    """The zone's dated lever values, and the park levers' dated values park by park (lever -> park -> values).

    A park lever (``levers.PARK_LEVERS``) may name parks next to ``values`` (or its synonym ``default``), each
    with a dated table or a plain number (in force from the first simulated day).
    """
    table = _check_keys(table, tuple(lever_catalogue.BY_NAME), path, "levers")
    parsed: dict[str, list[LeverChange]] = {}
    by_park: dict[str, dict[str, list[LeverChange]]] = {}
    for name, spec in table.items():
        key = f"levers.{name}"
        per_park = name in lever_catalogue.PARK_LEVERS
        if not isinstance(spec, dict):
            raise UserInputError(f"expected a table, got {type(spec).__name__}", path=path, key=key)
        if per_park:
            for sub in spec:
                if sub not in (*LEVER_KEYS, "default") and sub not in PARK_KEYS:
                    hint = closest(sub, (*PARK_KEYS, *LEVER_KEYS, "default"))
                    raise UserInputError(f"unknown park '{sub}'{hint}", path=path, key=f"{key}.{sub}")
        else:
            _check_keys(spec, LEVER_KEYS, path, key)
        if "values" in spec and "default" in spec:
            raise UserInputError("give 'values' or 'default' (the same thing), not both", path=path, key=key)
        zone = spec.get("values", spec.get("default"))
        parks = {sub: value for sub, value in spec.items() if sub in PARK_KEYS}
        if zone is None and not parks:
            what = "'values' (a table of date = value)" + (" or a park's values" if per_park else "")
            raise UserInputError(f"missing {what}", path=path, key=key)
        lever = lever_catalogue.BY_NAME[name]
        reason = _text(spec.get("reason", ""), path, f"{key}.reason")
        reference = _text(spec.get("reference", ""), path, f"{key}.reference")
        if zone is not None:
            where = f"{key}.{'values' if 'values' in spec else 'default'}"
            parsed[name] = _dated(zone, lever, path, where, reason, reference, per_park)
        for park, values in parks.items():
            by_park.setdefault(name, {})[park] = _dated(values, lever, path, f"{key}.{park}", reason, reference, True)
    return parsed, by_park


def _dated(
    values: Any,
    lever: lever_catalogue.Lever,
    path: Path,
    key: str,
    reason: str,
    reference: str,
    number_allowed: bool,
) -> list[LeverChange]:
    """A lever's dated values (a table of date = value; a plain number means from the first simulated day)."""
    if number_allowed and not isinstance(values, dict):
        values = {FIRST_DAY.isoformat(): values}
    if not isinstance(values, dict) or not values:
        raise UserInputError(
            f"'{key.rsplit('.', 1)[-1]}' must be a non-empty table of date = value", path=path, key=key
        )
    changes: list[LeverChange] = []
    for date_text, value in values.items():
        vkey = f"{key}.{date_text}"
        start = _date(date_text, path, vkey)
        number = check_lever_value(lever, value, path, vkey)
        if any(c.start == start for c in changes):
            raise UserInputError(f"duplicated date {start}", path=path, key=vkey)
        changes.append(LeverChange(start, number, str(path), reason, reference))
    return sorted(changes, key=lambda c: c.start)


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
                f"unknown event kind '{kind}'{closest(kind, EVENT_KINDS)}", path=path, key=f"{key}.kind"
            )
        magnitude = _number(spec["magnitude"], path, f"{key}.magnitude")
        low, high = MAGNITUDE_BOUNDS[kind]
        if not low <= magnitude <= high:
            raise UserInputError(
                f"{magnitude:g} is outside the bounds [{low:g}, {high:g}] for {kind}", path=path, key=f"{key}.magnitude"
            )
        for unused in UNUSED_EVENT_KEYS[kind]:
            if unused in spec:
                raise UserInputError(f"'{unused}' has no meaning for {kind}", path=path, key=f"{key}.{unused}")
        quarters = spec.get("quarters", 1)
        if isinstance(quarters, bool) or not isinstance(quarters, int) or not 1 <= quarters <= 20:
            raise UserInputError(
                f"expected a whole number of quarters from 1 to 20, got {quarters!r}", path=path, key=f"{key}.quarters"
            )
        sectors = spec.get("sectors", [])
        if not isinstance(sectors, list) or not all(isinstance(s, str) for s in sectors):
            raise UserInputError("expected a list of sector keys", path=path, key=f"{key}.sectors")
        from zgcsim.inputs.sectors import SECTOR_KEYS

        for s in sectors:
            if s not in SECTOR_KEYS:
                raise UserInputError(f"unknown sector '{s}'{closest(s, SECTOR_KEYS)}", path=path, key=f"{key}.sectors")
        firms = spec.get("firms", 0)
        fewest = 1 if kind == "export_control" else 0
        if isinstance(firms, bool) or not isinstance(firms, int) or not fewest <= firms <= 1000:
            raise UserInputError(
                f"expected a whole number of firms from {fewest} to 1000, got {firms!r}", path=path, key=f"{key}.firms"
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


def uncertain_limits(name: str) -> tuple[float, float]:
    """How far a scenario may widen an uncertain input: from half its stated low to twice its stated high.

    Narrowing is always allowed; widening is bounded so that a typo (an extra zero, a minus sign) cannot turn a
    stated range into an impossible 2017 zone (negative firms, a hundred times the employees).
    """
    p = next(p for p in parameters.PARAMETERS if p.name == name)
    return max(0.0, p.low / 2), 2 * p.high


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
        floor, ceiling = uncertain_limits(name)
        if low < floor or high > ceiling:
            raise UserInputError(
                f"[{low:g}, {high:g}] reaches outside the allowed [{floor:g}, {ceiling:g}] "
                "(half the stated low to twice the stated high)",
                path=path,
                key=key,
            )
        ranges[name] = (low, high)
    return ranges


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


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
    if not _NAME.match(name):
        raise UserInputError(f"expected 1-80 letters, digits, '_', '.' or '-', got {name!r}", path=path, key="name")
    title = _text(data.get("title", name), path, "title")
    question = _text(data.get("question", ""), path, "question")

    if "parent" in data:
        parent_name = _text(data["parent"], path, "parent")
        if not parent_name.strip() or "\x00" in parent_name:
            raise UserInputError(f"expected the name of a scenario file, got {parent_name!r}", path=path, key="parent")
        file_name = parent_name if parent_name.endswith(".toml") else f"{parent_name}.toml"
        parent_path = path.parent / file_name
        if not _is_file(parent_path) and _is_file(LIBRARY / file_name):
            parent_path = LIBRARY / file_name  # a planner's own file may build on a library scenario
        if not _is_file(parent_path):
            siblings = sorted(p.stem for p in path.parent.glob("*.toml") if p.stem != path.stem)
            hint = closest(parent_name, siblings) if siblings else ""
            raise UserInputError(f"parent '{parent_name}' not found at {parent_path}{hint}", path=path, key="parent")
        parent = load_scenario(parent_path, (*_chain, resolved_path))
    else:
        parent = Scenario(name="2017 settings", title="", question="", files=(), lever_changes={}, events=())

    own_levers, own_park_levers = _parse_levers(data.get("levers", {}), path)
    merged = _merge(parent.lever_changes, own_levers)
    # an omitted park keeps its parent's setting; a park the child names merges its dates with the parent's
    park_merged = {name: dict(by_park) for name, by_park in parent.park_lever_changes.items()}
    for lever_name, by_park in own_park_levers.items():
        park_merged[lever_name] = _merge(park_merged.get(lever_name, {}), by_park)

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
        park_lever_changes=park_merged,
    )


def _merge(
    parent: Mapping[str, tuple[LeverChange, ...]], child: Mapping[str, list[LeverChange]]
) -> dict[str, tuple[LeverChange, ...]]:
    """The parent's dated values with the child's added; the child's win on the same date."""
    merged: dict[str, tuple[LeverChange, ...]] = dict(parent)
    for name, changes in child.items():
        by_date = {c.start: c for c in merged.get(name, ())}
        by_date.update({c.start: c for c in changes})
        merged[name] = tuple(sorted(by_date.values(), key=lambda c: c.start))
    return merged


def resolve_scenario(spec: str | Path | Scenario) -> Scenario:
    """Accept a Scenario, a path to a TOML file, or the name of a scenario in the library (``scenarios/``)."""
    if isinstance(spec, Scenario):
        return spec
    path = Path(spec)
    if path.suffix == "" and not _exists(path):
        if not (LIBRARY / f"{path.name}.toml").exists():
            names = sorted(p.stem for p in LIBRARY.glob("*.toml"))
            raise UserInputError(
                f"no such file, and no library scenario of that name{closest(path.name, names)}", path=path
            )
        path = LIBRARY / f"{path.name}.toml"
    return load_scenario(path)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL byte
        return False
