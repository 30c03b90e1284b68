"""Hostile input: every subcommand, driven with random argument lists, exits 0 or 2 and writes only its output.

Each example runs ``zgcsim.cli.main`` in this process, in a fresh folder that holds a small experiment file, a
small results folder and a few decoys. Option values mix valid small values (so real work happens), values out
of range, and random text. Afterwards the test checks the exit code (0 or 2; argparse's own exits included),
that no traceback escaped, and that every file and folder created is the command's output folder or lies below
it (or is a parent folder created on the way to it).

Arguments are what a shell can pass: no NUL characters and no lone surrogates. The default suite keeps the
examples few and stands in for the three engines that take tens of seconds or never return (the calibration,
the brief's chart pages, the hindcast, the dashboard's web server); the slow variant runs everything but the web
server.
"""

import contextlib
import os
import shutil
import signal
import tempfile
import traceback
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zgcsim.cli import main

EXPERIMENT = (
    'name = "small"\nscenarios = ["no_new_policy", "action_plan"]\nreplicates = 1\nseed = 11\n'
    "[design]\nconstants = { n_firms_2017 = 3000, n_institutes = 20 }\n"
)
SMALL_SCENARIO = 'name = "tiny"\nparent = "no_new_policy"\n[uncertain.n_firms_2017]\nlow = 10000\nhigh = 10000\n'

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
OUTS = st.sampled_from(["out", "sub/out", "decoy.txt", "out/", ""])
FLAG = st.just(None)


def integers(*valid: int) -> st.SearchStrategy[str]:
    """A number option's value: a small valid one, one far out of range, or text."""
    good = st.sampled_from([str(v) for v in valid])
    return st.one_of(
        good,
        good,
        good,
        good,
        st.integers(max_value=0).map(str),
        st.integers(min_value=10**7 + 1).map(str),  # above every range, 10_000_000 evaluations included
        TEXT,
    )


# subcommand -> (positional strategies, {option: value strategy or FLAG})
GRAMMAR = {
    "run": (
        [
            st.lists(
                st.sampled_from(["no_new_policy", "tiny.toml", "nosuch", "decoy.txt", "experiment.toml"]), max_size=2
            )
        ],
        {
            "--replicates": integers(1, 2),
            "--seed": integers(1, 2, 20180101),
            "--out": OUTS,
            "--workers": integers(1),
            "--force": FLAG,
            "--quiet": FLAG,
            "--calibration": st.sampled_from(["decoy.txt", "nosuch.json"]),
            "--no-calibration": FLAG,
        },
    ),
    "experiment": (
        [st.sampled_from(["experiment.toml", "nosuch.toml", "decoy.txt", "tiny.toml"]).map(lambda s: [s])],
        {
            "--out": OUTS,
            "--workers": integers(1),
            "--chunk": integers(1, 2),
            "--force": FLAG,
            "--quiet": FLAG,
        },
    ),
    "analyze": (
        [st.sampled_from(["store", "results", "nosuch", "decoy.txt"]).map(lambda s: [s])],
        {"--reference": st.one_of(st.sampled_from(["no_new_policy", "action_plan"]), TEXT), "--quiet": FLAG},
    ),
    "calibrate": (
        [],
        {
            "--budget": integers(4),
            "--replicates": integers(1),
            "--seed": integers(2013),
            "--workers": integers(1),
            "--out": OUTS,
            "--small": FLAG,
            "--quiet": FLAG,
        },
    ),
    "hindcast": (
        [],
        {
            "--origins": st.sampled_from(["2015", "2013", "2030"]),
            "--budget": integers(4),
            "--replicates": integers(1),
            "--runs": integers(2),
            "--draws": integers(1),
            "--seed": integers(1),
            "--workers": integers(1),
            "--out": OUTS,
            "--work": OUTS,
            "--small": FLAG,
            "--no-progress": FLAG,
        },
    ),
    "validate": ([st.lists(st.sampled_from(["tiny.toml", "decoy.txt", "nosuch.toml"]), max_size=2)], {}),
    "levers": ([], {}),
    "scenarios": ([st.lists(st.sampled_from(["action_plan", "nosuch", "tiny.toml"]), max_size=1)], {}),
    "dashboard": (
        [st.lists(st.sampled_from(["results", "nosuch", "store"]), max_size=1)],
        {
            "--port": st.one_of(integers(18765), st.sampled_from(["80", "65536"])),
            "--host": st.sampled_from(["127.0.0.1", "no.such.host.invalid", ""]),
            "--results-root": OUTS,
        },
    ),
    "plot": (
        [
            st.sampled_from(["heatmap", "heatmap", "differences", "differences", "fans", "sensitivity", "pie"]).map(
                lambda s: [s]
            ),
            st.sampled_from(["results", "results", "results", "nosuch", "decoy.txt", "store"]).map(lambda s: [s]),
        ],
        {
            "--out": OUTS,
            "--indicator": st.sampled_from(["rd_intensity", "nosuch"]),
            "--reference": st.sampled_from(["action_plan", "nosuch"]),
            "--formats": st.sampled_from(["png", "png", "svg", "gif", ""]),
            "--top": integers(3),
            "--lang": st.sampled_from(["en", "en", "en", "fr"]),
            "--quiet": FLAG,
        },
    ),
    "brief": (
        [st.sampled_from(["results", "results", "results", "nosuch", "store"]).map(lambda s: [s])],
        {
            "--out": OUTS,
            "--reference": st.sampled_from(["action_plan", "nosuch"]),
            "--lang": st.sampled_from(["en", "en", "en", "de"]),
            "--quiet": FLAG,
        },
    ),
}
OUTPUT_OPTIONS = {"--out", "--results-root", "--work"}
# options always given, so a valid draw stays small (the defaults are 100 replicates, every core, 7200 evaluations)
REQUIRED = {
    "run": ("--replicates", "--workers"),
    "calibrate": ("--budget", "--replicates", "--workers", "--small"),
    "hindcast": ("--origins", "--budget", "--replicates", "--runs", "--draws", "--workers", "--small"),
    "plot": ("--lang",),  # the default, zh, needs a CJK font this machine may not have
    "brief": ("--lang", "--out"),  # --out is required: leaving it out is one refusal, tested elsewhere
    "experiment": ("--out",),
}


@st.composite
def argument_lists(draw: st.DrawFn, command: str) -> list[str]:
    """A random argument list for ``command``: its positionals, some of its options, maybe a stray token."""
    positionals, options = GRAMMAR[command]
    argv = [command]
    for strategy in positionals:
        argv += draw(strategy)
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=5, unique=True)) if options else []
    for option in [*REQUIRED.get(command, ()), *(o for o in chosen if o not in REQUIRED.get(command, ()))]:
        value = draw(options[option])
        argv += [option] if value is None else [option, value]
    if command != "levers" and draw(st.integers(0, 3)) == 0:
        argv.append(draw(st.one_of(TEXT, st.sampled_from(["--workers", "--bogus", "-3"]))))
    return argv


def _fill(folder: Path, small_results: Path, store: Path) -> None:
    (folder / "experiment.toml").write_text(EXPERIMENT, encoding="utf-8")
    (folder / "tiny.toml").write_text(SMALL_SCENARIO, encoding="utf-8")
    (folder / "decoy.txt").write_text("not a scenario\n", encoding="utf-8")
    shutil.copytree(small_results, folder / "results")
    shutil.copytree(store, folder / "store")


def _snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if not p.is_symlink()}


def _outputs(argv: list[str], folder: Path) -> list[Path]:
    """Where the command may write: its --out / --results-root (or their defaults), the store analyze reads."""
    command = argv[0]
    named = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in OUTPUT_OPTIONS]
    defaults = {"run": ["results/main"], "calibrate": ["calibration"], "hindcast": ["calibration"], "plot": ["charts"]}
    places = named + ([] if "--out" in argv or "--results-root" in argv else defaults.get(command, []))
    if command == "analyze":
        places = [a for a in argv[1:] if not a.startswith("-")][:1]
    if command == "dashboard":  # without --results-root the page gets a new temporary folder
        places = [*places, *(p.name for p in folder.glob("zgcsim-dashboard-*"))]
    return [(folder / p).resolve() for p in places]


def _allowed(path: Path, outputs: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == out or out in resolved.parents or resolved in out.parents for out in outputs)


def _fake_calibrate(out: Path, **settings: int) -> dict:
    """The calibration engine's stand-in: checks it got in-range settings and writes its file into ``out``."""
    assert settings["budget"] >= 4 and settings["replicates"] >= 1 and settings["workers"] >= 1
    assert settings["seed"] >= 0
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration.json").write_text("{}", encoding="utf-8")
    return {"id": "fuzz", "best": {"loss": 0.0}, "ensemble": [], "stylised_facts": []}


def _fake_hindcast(args, budget, out: Path, work: Path) -> int:
    """The hindcast's stand-in (each origin is a calibration): checks its settings and writes into ``out``."""
    assert budget.evaluations >= 4 and budget.replicates >= 1 and budget.runs >= 2 and budget.draws >= 1
    assert budget.seed >= 0 and args.workers >= 1
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "hindcast.csv").write_text("", encoding="utf-8")
    return 0


def drive(argv: list[str], folder: Path, stand_ins: bool) -> int:
    """Run one argument list in ``folder`` and check the exit code, the traceback and what was written."""
    before = _snapshot(folder)
    patches = [
        mock.patch.dict(os.environ),
        mock.patch("solara.__main__.run.main", lambda *a, **k: None),  # the web server would never return
        mock.patch.object(tempfile, "tempdir", str(folder)),
    ]
    if stand_ins:
        patches += [
            mock.patch("zgcsim.calibration.run.calibrate", _fake_calibrate),
            mock.patch("zgcsim.reporting.brief._chart_pages", lambda *a, **k: []),
            mock.patch("zgcsim.cli.hindcast._hindcast_locked", _fake_hindcast),
        ]
    handler = signal.getsignal(signal.SIGTERM)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch)
            try:
                code = main(argv)
            except SystemExit as exit_:  # argparse: --help (0) or a bad argument (2)
                code = exit_.code
            except BaseException:
                pytest.fail(f"zgcsim {argv!r} raised:\n{traceback.format_exc()}")
    finally:
        os.chdir(cwd)
        signal.signal(signal.SIGTERM, handler)
    assert code in (0, 2), f"zgcsim {argv!r} exited {code}"
    outputs = _outputs(argv, folder)
    changed = [p for p, stamp in _snapshot(folder).items() if before.get(p) != stamp and p.is_file()]
    created = [p for p in _snapshot(folder) if p not in before]
    stray = [p for p in {*changed, *created} if not _allowed(p, outputs)]
    assert not stray, f"zgcsim {argv!r} wrote outside its output: {stray}"
    leftovers = [p for p in created if p.name.startswith(".") and p.name.endswith(".lock")]
    assert not leftovers, f"zgcsim {argv!r} left its lock behind: {leftovers}"
    return code


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    from zgcsim.experiments.runner import run_experiment
    from zgcsim.experiments.spec import load_experiment

    folder = tmp_path_factory.mktemp("fuzzstore")
    (folder / "experiment.toml").write_text(EXPERIMENT, encoding="utf-8")
    run_experiment(load_experiment(folder / "experiment.toml"), folder / "store", workers=1, progress=False)
    return folder / "store"


def _property(command: str, examples: int, stand_ins: bool, small_results: Path, store: Path) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(argument_lists(command))
    def check(argv: list[str]) -> None:
        with tempfile.TemporaryDirectory(prefix="zgcsim-fuzz-") as name:
            folder = Path(name)
            _fill(folder, small_results, store)
            drive(argv, folder, stand_ins)

    check()


@pytest.mark.parametrize("command", sorted(GRAMMAR))
def test_random_arguments_exit_0_or_2_and_write_only_the_output(command, small_results, small_store):
    _property(command, 8, True, small_results, small_store)


# One valid argument list per command that does real work, so the slow variant surely runs each for real.
VALID = {
    "run": ["run", "tiny.toml", "--replicates", "1", "--workers", "1", "--out", "out", "--quiet"],
    "experiment": ["experiment", "experiment.toml", "--out", "out", "--workers", "1", "--chunk", "1", "--quiet"],
    "analyze": ["analyze", "store", "--quiet"],
    "calibrate": ["calibrate", "--budget", "4", "--replicates", "1", "--workers", "1", "--small", "--quiet"],
    "hindcast": [
        *("hindcast", "--origins", "2016", "--budget", "4", "--replicates", "1", "--runs", "2", "--draws", "1"),
        *("--workers", "1", "--small", "--no-progress", "--out", "out"),
    ],
    "plot": ["plot", "heatmap", "results", "--lang", "en", "--formats", "png", "--out", "out"],
    "brief": ["brief", "results", "--lang", "en", "--out", "out", "--quiet"],
    "dashboard": ["dashboard", "results", "--port", "18765", "--results-root", "out"],
}


def test_a_line_break_in_an_argument_stays_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["levers", "a\nb"])
    assert exit_.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(VALID))
def test_valid_arguments_run_for_real_and_write_only_the_output(command, small_results, small_store, capsys):
    with tempfile.TemporaryDirectory(prefix="zgcsim-valid-") as name:
        folder = Path(name)
        _fill(folder, small_results, small_store)
        code = drive(VALID[command], folder, stand_ins=False)
        err = capsys.readouterr().err
        assert code == 0, err
        assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(GRAMMAR))
def test_random_arguments_without_stand_ins(command, small_results, small_store):
    examples = 15 if command in ("calibrate", "hindcast", "brief") else 30  # a valid calibration takes ~20 s
    _property(command, examples, False, small_results, small_store)
