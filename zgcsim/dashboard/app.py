"""The dashboard page (Solara): pick and compare scenarios, edit levers, run paired ensembles, download files.

``zgcsim dashboard`` serves this module. It reads its configuration from two environment variables set by the
command: ``ZGCSIM_DASHBOARD_RESULTS`` (results folders, separated by ``os.pathsep``) and
``ZGCSIM_DASHBOARD_ROOT`` (the folder under which each page session gets its own folder). Module-level reactive
variables are per browser session in Solara, so two planners never see or change each other's runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
from functools import cache, lru_cache
from pathlib import Path

import solara
import solara.lab

from zgcsim.dashboard import catalogue
from zgcsim.dashboard.editing import check_lever_input, edit_scenario, scenario_toml, titled, valid_name
from zgcsim.dashboard.ensemble import MAX_REPLICATES, EditSpec, JobSpec, SessionFolder, run_job
from zgcsim.dashboard.figures import fan_chart, figure_png
from zgcsim.dashboard.live_page import LiveCard
from zgcsim.dashboard.optimisation import OptimisationCard
from zgcsim.dashboard.park_card import ParkCard
from zgcsim.dashboard.tables import attainment_table, paired_effect, to_html
from zgcsim.errors import UserInputError
from zgcsim.inputs.calibration_file import DEFAULT_PATH
from zgcsim.inputs.levers import LEVERS
from zgcsim.inputs.scenario import LIBRARY, Scenario, resolve_scenario
from zgcsim.model.indicators import AUX_KEYS, TARGET_KEYS
from zgcsim.reporting.labels import lever_name, lever_unit, t
from zgcsim.reporting.methods import reading_paragraphs
from zgcsim.reporting.style import indicator_name
from zgcsim.running.runs import RunCancelled

log = logging.getLogger("zgcsim.dashboard")

DEFAULT_SEED = 20180101
DEFAULT_REPLICATES = 10
YEARS = [2018, 2019, 2020, 2021, 2022]
LANG_LABELS = {"中文": "zh", "English": "en"}

CSS = """
.zgc-table { border-collapse: collapse; font-size: 12px; width: 100%; }
.zgc-table td:nth-child(2) { min-width: 150px; }
.zgc-table th, .zgc-table td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
.zgc-table th { background: #f2f4f7; }
.zgc-table td:nth-child(2), .zgc-table th:nth-child(2) { text-align: left; }
.zgc-table td.p-high { background: #d8f0d8; }
.zgc-table td.p-mid { background: #fff3c4; }
.zgc-table td.p-low { background: #f8d7d7; }
.zgc-scroll { max-height: 720px; overflow-y: auto; padding-top: 4px; }
.zgc-wide { overflow-x: auto; }
"""


@cache
def _results_folders() -> tuple[str, ...]:
    raw = os.environ.get("ZGCSIM_DASHBOARD_RESULTS", "")
    return tuple(p for p in raw.split(os.pathsep) if p)


@cache
def _results_root() -> Path:
    root = os.environ.get("ZGCSIM_DASHBOARD_ROOT")
    return Path(root) if root else Path(tempfile.mkdtemp(prefix="zgcsim-dashboard-"))


@cache
def _folder_sets() -> tuple[catalogue.ResultSet, ...]:
    """The result sets of the folders given on the command line (read once, shared read-only by sessions)."""
    folders = _results_folders()
    # A page run's folder is called 'results': name it with its run folder ('run-001/results').
    names = [Path(f).name if Path(f).name != "results" else f"{Path(f).parent.name}/results" for f in folders]
    sets = []
    for folder, name in zip(folders, names, strict=True):
        # Name a folder by its own name in the page, unless two folders share it.
        sets.extend(catalogue.load_results_folder(folder, name if names.count(name) == 1 else folder))
    return tuple(sets)


# Per-session state (Solara keeps one copy of each reactive variable per browser session).
lang = solara.reactive("en")
store = solara.reactive({rs.key: rs for rs in _folder_sets()})
selected = solara.reactive([rs.key for rs in _folder_sets()][:4])
library_pick = solara.reactive(["action_plan"] if "action_plan" in catalogue.library_names() else [])
replicates_text = solara.reactive(str(DEFAULT_REPLICATES))
seed_text = solara.reactive(str(DEFAULT_SEED))
quick = solara.reactive(False)
parent_name = solara.reactive("action_plan" if "action_plan" in catalogue.library_names() else "")
new_name = solara.reactive("")
from_year = solara.reactive(2018)
lever_texts = solara.reactive({})
progress = solara.reactive((0, 0))
message = solara.reactive(("", "", ""))  # (kind, text key, detail)
indicator_label = solara.reactive("")
session_folder = solara.reactive(None)
stop_event = solara.reactive(None)


def _library_scenario(name: str) -> Scenario:
    """A library scenario, read again only when its file changes (each lever field shows the parent's values)."""
    path = LIBRARY / f"{name}.toml"
    return _read_scenario(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _read_scenario(path: str, _mtime_ns: int) -> Scenario:
    return resolve_scenario(path)


def _parse_int(text: str, low: int, high: int | None) -> int | None:
    try:
        value = int(text.strip())
    except (ValueError, AttributeError):
        return None
    if value < low or (high is not None and value > high):
        return None
    return value


def _lever_values(lang_code: str) -> tuple[dict[str, float], dict[str, str]]:
    """The levers typed in the page: values that pass, and a message for each that does not."""
    values, errors = {}, {}
    for name, text in lever_texts.value.items():
        value, error = check_lever_input(name, text, lang_code)
        if error:
            errors[name] = error
        elif value is not None:
            values[name] = value
    return values, errors


def _edited_name() -> str:
    return new_name.value.strip() or f"{parent_name.value}_edited"


@solara.lab.task
def run_task(spec: JobSpec) -> None:
    """Run a job in a background thread, reporting progress; keep its results or show its error."""
    _session()
    stop = threading.Event()
    stop_event.set(stop)
    progress.set((0, 0))
    try:
        sets, out = run_job(spec, session_folder.value, lambda d, n: progress.set((d, n)), stop.is_set)
    except RunCancelled:
        message.set(("info", "run_cancelled", ""))
    except UserInputError as err:
        message.set(("error", "run_failed", err.one_line()))
    except Exception as err:  # the page must stay usable whatever a run raises; the log keeps the traceback
        log.exception("dashboard run failed")
        message.set(("error", "run_failed", f"{type(err).__name__}: {err}"))
    else:
        store.set({**store.value, **{rs.key: rs for rs in sets}})
        # Show the new run beside the results folders being compared; earlier page runs stay one click away.
        folder_keys = {rs.key for rs in _folder_sets()}
        kept = [k for k in selected.value if k in folder_keys]
        selected.set(list(dict.fromkeys([*kept, *(rs.key for rs in sets)])))
        message.set(("success", "run_saved", str(out)))


def _start(spec: JobSpec) -> None:
    if run_task.pending:
        message.set(("warning", "busy", ""))
        return
    message.set(("", "", ""))
    run_task(spec)


def _ensemble_settings() -> tuple[int | None, int | None]:
    return _parse_int(replicates_text.value, 1, MAX_REPLICATES), _parse_int(seed_text.value, 0, None)


@solara.component
def EnsembleCard() -> None:
    """Runs per scenario, seed and the clearly labelled quick mode, shared by both run buttons."""
    lg = lang.value
    reps, seed = _ensemble_settings()
    with solara.Card(t("ensemble_card", lg)):
        with solara.Row():
            solara.InputText(
                t("replicates", lg),
                value=replicates_text,
                error=t("err_replicates", lg, max=MAX_REPLICATES) if reps is None else False,
                continuous_update=True,
                classes=["zgc-replicates"],
            )
            solara.InputText(
                t("seed", lg),
                value=seed_text,
                error=t("err_seed", lg) if seed is None else False,
                continuous_update=True,
                classes=["zgc-seed"],
            )
        solara.Checkbox(label=t("quick", lg), value=quick)
        if not quick.value:
            solara.Text(t("full_scale_note", lg), style={"font-size": "12px", "color": "#555"})


@solara.component
def LibraryCard() -> None:
    """Pick library scenarios and run them as they are."""
    lg = lang.value
    reps, seed = _ensemble_settings()
    with solara.Card(t("run_card", lg)):
        solara.SelectMultiple(
            t("library_label", lg),
            values=library_pick.value,
            all_values=catalogue.library_names(),
            on_value=library_pick.set,
            classes=["zgc-library"],
        )
        ready = bool(library_pick.value) and reps is not None and seed is not None and not run_task.pending

        def run() -> None:
            _start(JobSpec(scenarios=tuple(library_pick.value), replicates=reps, seed=seed, quick=quick.value))

        solara.Button(
            t("run_library", lg), on_click=run, disabled=not ready, color="primary", classes=["zgc-run-library"]
        )


@solara.component
def LeverInput(name: str) -> None:
    """One lever: the parent's schedule, bounds and unit, and a field whose out-of-bounds values are refused."""
    lg = lang.value
    lever = next(lv for lv in LEVERS if lv.name == name)
    text = lever_texts.value.get(name, "")
    _, error = check_lever_input(name, text, lg)
    parent = _library_scenario(parent_name.value) if parent_name.value else None
    schedule = "2017: " + f"{lever.setting_2017:g}"
    if parent is not None and parent.lever_changes.get(name):
        schedule += "; " + "; ".join(f"{c.start}: {c.value:g}" for c in parent.lever_changes[name])
    unit = lever_unit(name, lg)
    hint = f"{t('parent_value', lg)} {schedule} · {t('bounds', lg)} [{lever.low:g}, {lever.high:g}] {unit}"

    def on_value(value: str | None) -> None:
        lever_texts.set({**lever_texts.value, name: value or ""})

    with solara.Column(gap="2px", style={"margin-bottom": "10px"}):
        solara.Text(f"{lever_name(name, lg)} ({name})", style={"font-size": "13px", "font-weight": "500"})
        solara.InputText(
            unit,
            value=text,
            on_value=on_value,
            error=error or False,
            message=hint,
            dense=True,
            # Update on every keystroke: a value must count before the user's next click (the run buttons
            # are disabled until some lever is changed, and a disabled button ignores the click).
            continuous_update=True,
            classes=[f"zgc-lever-{name}"],
        )


@solara.component
def EditCard() -> None:
    """Start from a library scenario, change levers, run it paired with its parent, or download it."""
    lg = lang.value
    names = catalogue.library_names()
    values, errors = _lever_values(lg)
    name = _edited_name()
    name_ok = valid_name(name, parent_name.value)
    reps, seed = _ensemble_settings()
    with solara.Card(t("edit_card", lg)):
        with solara.Row():
            solara.Select(t("parent", lg), values=names, value=parent_name, classes=["zgc-parent"])
            solara.Select(t("from_year", lg), values=YEARS, value=from_year)
        solara.InputText(
            t("new_name", lg),
            value=new_name,
            placeholder=name,
            error=False if name_ok else t("err_name", lg),
            continuous_update=True,
            classes=["zgc-new-name"],
        )
        solara.Text(t("lever_help", lg), style={"font-size": "12px", "color": "#555"})
        with solara.Div(classes=["zgc-scroll"]):
            for lever in LEVERS:
                LeverInput(lever.name)
        problems = bool(errors) or not name_ok or reps is None or seed is None
        if errors or not name_ok:
            # Name every field at fault: the lever list scrolls, so a red field may be out of sight.
            faults = [f"{lever_name(k, lg)} ({k}): {msg}" for k, msg in errors.items()]
            if not name_ok:
                faults.insert(0, f"{name}: {t('err_name', lg)}")
            with solara.Error(dense=True, classes=["zgc-fix-inputs"]):
                solara.Text(t("fix_inputs", lg))
                for fault in faults:
                    solara.Text(fault, style={"display": "block", "font-size": "12px"})
        elif not values:
            solara.Info(t("no_changes", lg), dense=True)
        start = dt.date(from_year.value, 1, 1)

        def run() -> None:
            edit = EditSpec(parent_name.value, name, values, start)
            _start(JobSpec(edit=edit, replicates=reps, seed=seed, quick=quick.value))

        def toml_text() -> str:
            parent = resolve_scenario(parent_name.value)
            edited = titled(edit_scenario(parent, values, name, start), parent, values)
            return scenario_toml(edited, parent.name, values)

        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Button(
                t("run_edit", lg),
                on_click=run,
                disabled=problems or not values or run_task.pending,
                color="primary",
                classes=["zgc-run-edit"],
            )
            if problems or not values:
                solara.Button(t("download_toml", lg), disabled=True, icon_name="mdi-cloud-download-outline")
            else:
                solara.FileDownload(
                    toml_text, filename=f"{name}.toml", label=t("download_toml", lg), mime_type="application/toml"
                )


@solara.component
def StatusCard() -> None:
    """Progress of the running job (with a stop button), and the last run's outcome."""
    lg = lang.value
    done, total = progress.value
    if run_task.pending:
        with solara.Card(t("progress", lg), classes=["zgc-progress"]):
            solara.ProgressLinear(100.0 * done / total if total else True)
            solara.Text(t("runs_done", lg, done=done, total=total or "…"))

            def stop() -> None:
                if stop_event.value is not None:
                    stop_event.value.set()

            solara.Button(t("cancel", lg), on_click=stop, outlined=True)
    kind, key, detail = message.value
    if kind:
        text = t(key, lg, path=detail) if key == "run_saved" else t(key, lg) + detail
        widget = {"error": solara.Error, "success": solara.Success, "warning": solara.Warning}.get(kind, solara.Info)
        widget(text, classes=[f"zgc-message-{kind}"])


def _column_label(rs: catalogue.ResultSet, lg: str) -> str:
    parts = [rs.scenario, "@ " + rs.key.split(" @ ", 1)[-1], t("runs_tag", lg, n=rs.replicates)]
    if rs.quick:
        parts.append(t("quick_tag", lg))
    return " · ".join(parts)


def _legend_label(rs: catalogue.ResultSet, lg: str) -> str:
    return f"{rs.key} ({t('quick_tag', lg)})" if rs.quick else rs.key


def _shade(cell: str) -> str:
    """CSS class of an attainment cell from its probability (green likely, amber uncertain, red unlikely)."""
    if "±" not in cell:
        return ""
    try:
        p = float(cell.split("±")[0])
    except ValueError:
        return ""
    return "p-high" if p >= 0.8 else "p-low" if p <= 0.2 else "p-mid"


@lru_cache(maxsize=2)
def _reading(lg: str) -> tuple[str, ...]:
    """What the probabilities mean, and the hindcast test of the calibration the page's runs use."""
    return tuple(reading_paragraphs(DEFAULT_PATH if DEFAULT_PATH.is_file() else None, lg))


@solara.component
def CompareCard() -> None:
    """Choose results to compare and show the attainment table."""
    lg = lang.value
    sets = [store.value[k] for k in selected.value if k in store.value]
    with solara.Card(t("compare_card", lg)):
        solara.SelectMultiple(
            t("compare_label", lg),
            values=[k for k in selected.value if k in store.value],
            all_values=list(store.value),
            on_value=selected.set,
            classes=["zgc-compare"],
        )
        solara.Text(t("compare_help", lg), style={"font-size": "12px", "color": "#555"})
        if not store.value:
            solara.Info(t("no_results", lg))
            return
        if not sets:
            return
        solara.HTML(tag="h4", unsafe_innerHTML=t("attainment_card", lg), style={"margin": "8px 0 0 0"})
        solara.Text(t("attainment_help", lg), style={"font-size": "12px", "color": "#555"})
        for paragraph in _reading(lg):  # what P means and how the model was tested
            solara.Text(paragraph, style={"font-size": "12px", "color": "#555", "display": "block"})
        table = attainment_table(sets, lg)
        table.columns = [*table.columns[:3], *(_column_label(rs, lg) for rs in sets)]
        solara.HTML(unsafe_innerHTML=to_html(table, "attainment-table", _shade), classes=["zgc-wide"])


@solara.component
def EffectCard() -> None:
    """For each edited scenario being compared, the paired effect against its parent."""
    lg = lang.value
    for key in selected.value:
        child = store.value.get(key)
        if child is None or child.parent_key is None or child.parent_key not in store.value:
            continue
        parent = store.value[child.parent_key]
        with solara.Card(t("effect_card", lg), subtitle=f"{child.key} − {parent.key}"):
            solara.Text(t("effect_help", lg), style={"font-size": "12px", "color": "#555"})
            solara.HTML(
                unsafe_innerHTML=to_html(paired_effect(child, parent, lg), f"effect-{child.scenario}"),
                classes=["zgc-wide"],
            )


@solara.component
def FanCard() -> None:
    """The fan chart of any indicator for the scenarios being compared, with a PNG download."""
    lg = lang.value
    keys = [*TARGET_KEYS, *AUX_KEYS]
    labels = [
        f"{i + 1}. {indicator_name(k, lg)}" if k in TARGET_KEYS else indicator_name(k, lg) for i, k in enumerate(keys)
    ]
    by_label = dict(zip(labels, keys, strict=True))
    by_key = dict(zip(keys, labels, strict=True))
    current = by_label.get(indicator_label.value, TARGET_KEYS[0])
    sets = [store.value[k] for k in selected.value if k in store.value]
    png = solara.use_memo(
        lambda: figure_png(fan_chart(sets, current, lg, [_legend_label(rs, lg) for rs in sets]), lg) if sets else None,
        dependencies=[current, lg, tuple(rs.key for rs in sets)],
    )
    with solara.Card(t("fan_card", lg)):
        solara.Select(
            t("fan_indicator", lg),
            values=labels,
            value=by_key[current],
            on_value=indicator_label.set,
            classes=["zgc-indicator"],
        )
        if png is None:
            return
        solara.Image(png, width="100%", classes=["zgc-fan"])
        solara.FileDownload(png, filename=f"fan_{current}_{lg}.png", label=t("download_png", lg), mime_type="image/png")


def _session() -> SessionFolder:
    """The page session's folder, made on first use."""
    if session_folder.value is None:
        session_folder.set(SessionFolder(_results_root()))
    return session_folder.value


def _indicator_key() -> str:
    keys = [*TARGET_KEYS, *AUX_KEYS]
    for i, k in enumerate(keys):
        label = f"{i + 1}. {indicator_name(k, lang.value)}" if k in TARGET_KEYS else indicator_name(k, lang.value)
        if label == indicator_label.value:
            return k
    return TARGET_KEYS[0]


@solara.component
def Live() -> None:
    """The live what-if card, fed with the edit being typed in the edit card."""
    lg = lang.value
    values, errors = _lever_values(lg)
    name = _edited_name()
    _, seed = _ensemble_settings()
    ok = not errors and valid_name(name, parent_name.value)
    LiveCard(
        lang=lg,
        parent=parent_name.value,
        values=values,
        start=dt.date(from_year.value, 1, 1),
        name=name if ok else None,
        seed=seed,
        quick=quick.value,
        root=_results_root(),
        session=_session,
        indicator=_indicator_key(),
    )


def _load_point(base: str, point: str, values: dict[str, float]) -> None:
    """Put a point of the optimisation front into the edit card: its base as parent, its levers from 2018."""
    if base in catalogue.library_names():
        parent_name.set(base)
    new_name.set(f"optimise_{point}")
    from_year.set(2018)
    lever_texts.set({name: f"{value:g}" for name, value in values.items()})


@solara.component
def Page() -> None:
    """The whole page: controls on the left, results on the right."""
    lg = lang.value
    solara.Style(CSS)
    solara.Title(t("title", lg))
    with solara.Column(style={"padding": "12px"}):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            with solara.Column(gap="2px"):
                solara.HTML(tag="h2", unsafe_innerHTML=t("title", lg), style={"margin": "0"})
                solara.Text(t("subtitle", lg))
            solara.ToggleButtonsSingle(
                value="中文" if lg == "zh" else "English",
                values=list(LANG_LABELS),
                on_value=lambda label: lang.set(LANG_LABELS[label]),
                classes=["zgc-lang"],
            )
        with solara.Columns([4, 8]):
            with solara.Column():
                EnsembleCard()
                LibraryCard()
                EditCard()
            with solara.Column():
                StatusCard()
                Live()
                CompareCard()
                EffectCard()
                FanCard()
                OptimisationCard(lg, _load_point)
                compared = [store.value[k] for k in selected.value if k in store.value]
                ParkCard(compared, [_legend_label(rs, lg) for rs in compared], lg)
