"""Editing a scenario in the page: check lever inputs, derive the edited scenario, and write it as a TOML file.

The file is self-contained (no ``parent`` key): it lists every dated lever value, event and uncertain range of
the resolved scenario, so ``zgcsim validate`` accepts it wherever it is saved. Its header names the parent and
the levers the planner changed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import replace

import tomli_w

from zgcsim.inputs.levers import BY_NAME
from zgcsim.inputs.scenario import FIRST_DAY, UNUSED_EVENT_KEYS, Event, LeverChange, Scenario, with_levers
from zgcsim.reporting.labels import lever_unit, t

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


def check_lever_input(name: str, text: str, lang: str = "en") -> tuple[float | None, str | None]:
    """Parse what was typed for lever ``name``: (value, None), (None, None) when blank, or (None, message).

    A value outside the lever's bounds is refused with a message naming the bounds and the unit; so is a
    fraction for a lever that counts (offices, platforms) or switches (0/1).
    """
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None, t("err_not_number", lang, text=text)
    lever = BY_NAME[name]
    unit = lever_unit(name, lang)
    if not math.isfinite(value) or not lever.low <= value <= lever.high:
        return None, t("err_bounds", lang, value=text, low=f"{lever.low:g}", high=f"{lever.high:g}", unit=unit)
    if lever.whole and value != int(value):
        return None, t("err_whole", lang, value=text, unit=unit)
    return value, None


def valid_name(name: str, parent: str) -> bool:
    """Whether ``name`` can name an edited scenario: a safe file stem, not the parent's nor a library scenario's."""
    from zgcsim.dashboard.catalogue import library_names  # local: catalogue reads the library folder

    return bool(NAME_PATTERN.match(name or "")) and name != parent and name not in library_names()


def edit_scenario(parent: Scenario, values: Mapping[str, float], name: str, start: dt.date = FIRST_DAY) -> Scenario:
    """Return ``parent`` with each lever in ``values`` held at its value from ``start`` to the end of 2022.

    The parent's values before ``start`` stay; its later dated values of an edited lever are replaced (a planner
    who types a value means that value from then on). Bounds are checked by ``with_levers``.
    """
    edited = with_levers(parent, values, name=name, start=start)
    lever_changes = dict(edited.lever_changes)
    for lever_name, value in values.items():
        before = [c for c in parent.lever_changes.get(lever_name, ()) if c.start < start]
        lever_changes[lever_name] = (*before, LeverChange(start, float(value), "dashboard", "set in the dashboard"))
    return replace(edited, lever_changes=lever_changes)


def _joined(texts: list[str]) -> str:
    return "; ".join(dict.fromkeys(s for s in texts if s))


def _event_table(event: Event) -> dict:
    """An event as a TOML table, leaving out what the event's kind gives no meaning (as the parser requires)."""
    table = {"kind": event.kind, "start": event.start, "magnitude": event.magnitude}
    if "quarters" not in UNUSED_EVENT_KEYS.get(event.kind, ()):
        table["quarters"] = event.quarters
    if event.sectors:
        table["sectors"] = list(event.sectors)
    if "firms" not in UNUSED_EVENT_KEYS.get(event.kind, ()):
        table["firms"] = event.firms
    return {**table, "reason": event.reason, "reference": event.reference}


def _number(lever_name: str, value: float) -> float | int:
    """A lever value as the file should hold it: whole-number levers (counts, switches) as integers."""
    return int(value) if BY_NAME[lever_name].whole else value


def scenario_toml(scenario: Scenario, parent_name: str, changed: Mapping[str, float]) -> str:
    """Write ``scenario`` as a self-contained scenario file (TOML text) that ``zgcsim validate`` accepts."""
    levers = {}
    for lever_name, changes in sorted(scenario.lever_changes.items()):
        if not changes:
            continue
        levers[lever_name] = {
            "values": {c.start.isoformat(): _number(lever_name, c.value) for c in changes},
            "reason": _joined([c.reason for c in changes]) or "inherited from " + parent_name,
            "reference": _joined([c.reference for c in changes]) or BY_NAME[lever_name].reference,
        }
    document: dict = {
        "name": scenario.name,
        "title": scenario.title or scenario.name,
        "question": scenario.question,
    }
    if levers:
        document["levers"] = levers
    if scenario.events:
        document["events"] = [_event_table(e) for e in scenario.events]
    if scenario.uncertain_ranges:
        document["uncertain"] = {
            k: {"low": lo, "high": hi} for k, (lo, hi) in sorted(scenario.uncertain_ranges.items())
        }
    changes = ", ".join(f"{k} = {v:g}" for k, v in sorted(changed.items())) or "none"
    header = (
        f"# Scenario '{scenario.name}', edited in the zgcsim dashboard from '{parent_name}'.\n"
        f"# Levers changed in the page: {changes}.\n"
        "# Self-contained: every dated lever value, event and uncertain range of the parent is written out, so the\n"
        "# file validates wherever it is saved (zgcsim validate FILE).\n"
    )
    return header + tomli_w.dumps(document)


def titled(scenario: Scenario, parent: Scenario, changed: Mapping[str, float]) -> Scenario:
    """Give an edited scenario a title and question that say what was changed."""
    what = ", ".join(f"{k} = {v:g}" for k, v in sorted(changed.items()))
    return replace(
        scenario,
        title=f"{parent.title or parent.name}, with {what}",
        question=f"What changes against '{parent.name}' when {what}?",
    )
