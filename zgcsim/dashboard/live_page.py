"""The live what-if card of the page: a switch, the paired table filling in as runs arrive, and its fan chart.

The page (``app.py``) passes the edit being typed (parent, lever values, start, name, seed, quick mode) and the
session's folder; this card starts a ``live`` job whenever the edit changes, cancelling the one before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import solara
import solara.lab

from zgcsim.dashboard import live
from zgcsim.dashboard.ensemble import QUICK_PARAMETERS, SessionFolder
from zgcsim.dashboard.figures import fan_chart, figure_png
from zgcsim.dashboard.live_view import LiveView, fan_sets, make_view
from zgcsim.dashboard.tables import to_html
from zgcsim.errors import UserInputError
from zgcsim.model.indicators import TARGET_KEYS
from zgcsim.reporting.labels import t

log = logging.getLogger("zgcsim.dashboard")
# While runs arrive, redraw the fan chart at most this often (a redraw takes 0.15-0.5 s of the server's CPU, which the
# model's workers need); the last one is always drawn.
FAN_SECONDS = 4.0
SNAPSHOT_SECONDS = 1.0  # the table is updated at most this often while runs arrive
FAN_DPI = 100  # for the screen (the compare card's chart, at 150 dpi, is the one to download)


@dataclasses.dataclass(frozen=True)
class LiveRequest:
    """One state of the edit: what a live job runs."""

    parent: str
    values: tuple[tuple[str, float], ...]
    start: dt.date
    name: str
    seed: int
    quick: bool


# Per-session state.
live_on = solara.reactive(False)
snapshot = solara.reactive(None)  # the current job's latest live.Snapshot
request_shown = solara.reactive(None)  # the LiveRequest of that snapshot
live_error = solara.reactive("")
live_job: solara.Reactive = solara.reactive(None)  # the running live.LiveJob (never read while rendering)


@cache
def _cache(root: str) -> live.EnsembleCache:
    """The server's one ensemble cache, in memory and under the results root (shared by every session)."""
    return live.EnsembleCache(Path(root) / live.CACHE_FOLDER)


@solara.lab.task
def live_task(request: LiveRequest, root: str, folder: Path) -> None:
    """Run (or take from the cache) the parent and the edited scenario, showing each snapshot as runs arrive."""
    task_started = time.time()
    try:
        pool = live.shared_pool()
        pool.warm()  # at once when the pool is warm; a new pool's workers import the model and calibration here
        if not live_task.is_current():
            return
        scenarios = live.live_scenarios(request.parent, dict(request.values), request.name, request.start, folder)
        params = dict(QUICK_PARAMETERS) if request.quick else None
        job = live.start_job(
            pool, _cache(root), scenarios, request.seed, live.LIVE_REPLICATES, params, previous=live_job.peek()
        )
        live_job.set(job)
        live_error.set("")

        def show(snap: live.Snapshot) -> None:
            request_shown.set(request)
            snapshot.set(snap)
            if snap.error:
                live_error.set(snap.error)

        last = live.follow(job, show, live_task.is_current, interval=SNAPSHOT_SECONDS)
        shown_at = time.time()
        print(
            f"zgcsim dashboard: {live.describe(job)}; task started at {task_started:.3f}, shown at {shown_at:.3f}"
            + ("" if last else " (stopped)"),
            file=sys.stderr,
            flush=True,
        )
    except live.LiveBusy:
        live_error.set("busy")
    except UserInputError as err:
        live_error.set(err.one_line())
    except Exception as err:  # the page must stay usable whatever a run raises; the log keeps the traceback
        log.exception("live what-if failed")
        live_error.set(f"{type(err).__name__}: {err}")


@solara.component
def LiveCard(
    lang: str,
    parent: str,
    values: Mapping[str, float],
    start: dt.date,
    name: str | None,
    seed: int | None,
    quick: bool,
    root: Path,
    session: Callable[[], SessionFolder],
    indicator: str = TARGET_KEYS[0],
) -> None:
    """The live what-if: with the switch on, every valid edit runs at once (paired with the cached parent)."""
    ready = bool(parent) and seed is not None and (not values or name is not None)
    request = (
        LiveRequest(parent, tuple(sorted(values.items())), start, name or "", seed, quick) if ready else None  # type: ignore[arg-type]
    )

    def start_or_stop() -> None:
        if not live_on.value:
            job = live_job.peek()
            if job is not None:
                job.cancel()
            return
        if request is not None:
            live_task(request, str(root), session().path / "live")

    solara.use_effect(start_or_stop, dependencies=[live_on.value, request])

    snap = snapshot.value
    shown = request_shown.value
    with solara.Card(t("live_card", lang, n=live.LIVE_REPLICATES), classes=["zgc-live"]):
        with solara.Div(classes=["zgc-live-switch"]):
            solara.Checkbox(label=t("live_switch", lang), value=live_on)
        if live_error.value:
            text = t("live_busy", lang) if live_error.value == "busy" else t("run_failed", lang) + live_error.value
            solara.Error(text, classes=["zgc-live-error"])
        child = shown.name if shown is not None and shown.values else None
        view = solara.use_memo(
            lambda: (
                None
                if snap is None or shown is None
                else make_view(snap, shown.parent, child, lang, shown.quick, shown.seed)
            ),
            dependencies=[id(snap), lang],
        )
        if not live_on.value or view is None:
            return
        if view.parent_runs < view.replicates:
            text = t("live_parent_progress", lang, done=view.parent_runs, total=view.replicates)
            done, tag = view.parent_runs, "parent"
        elif child is None:
            text = t("live_parent_done", lang, total=view.replicates)
            done, tag = view.parent_runs, "parent"
        else:
            text = t("live_progress", lang, done=view.pairs, total=view.replicates)
            done, tag = view.pairs, "pairs"
        state = "done" if view.finished else "running"
        # Classes say what is shown (tests and the benchmark wait on them): zgc-live-pairs-100 = all pairs in.
        solara.Text(text, classes=["zgc-live-progress", f"zgc-live-{state}", f"zgc-live-{tag}-{done}"])
        solara.ProgressLinear(100.0 * done / view.replicates)
        solara.Text(t("live_help", lang), style={"font-size": "12px", "color": "#555"})
        solara.HTML(unsafe_innerHTML=to_html(view.table, "live-table"), classes=["zgc-wide"])
        LiveFan(view, indicator, lang)


def _fan_png(view: LiveView, indicator: str, lang: str) -> bytes | None:
    sets = fan_sets(view, indicator)
    return figure_png(fan_chart(sets, indicator, lang), lang, dpi=FAN_DPI) if sets else None


@solara.component
def LiveFan(view: LiveView, indicator: str, lang: str) -> None:
    """The fan chart of the live runs, redrawn at most every ``FAN_SECONDS`` while they arrive, and at the end."""
    drawn = solara.use_ref((None, 0.0))  # (key drawn, when)
    now = time.monotonic()
    key = (view.job, view.pairs, view.parent_runs, indicator, lang)
    last_key, last_time = drawn.current
    fresh = last_key is None or last_key[0] != view.job or view.finished or now - last_time >= FAN_SECONDS
    png_key = key if fresh else last_key
    png = solara.use_memo(lambda: _fan_png(view, indicator, lang), dependencies=[png_key])
    if fresh:
        drawn.current = (key, now)
    if png is None:
        return
    # the runs the drawn chart shows
    tag = f"pairs-{png_key[1]}" if view.child is not None else f"parent-{png_key[2]}"
    with solara.Div(classes=["zgc-live-fan", f"zgc-live-fan-{tag}"]):
        solara.Image(png, width="100%")
