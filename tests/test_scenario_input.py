"""Bad scenario input: every command that reads a scenario answers with exit 2 and one line, and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zgcsim.cli import main
from zgcsim.errors import UserInputError
from zgcsim.inputs.scenario import LIBRARY, load_scenario

GOOD = """name = "good"
title = "A valid scenario"
question = "Does it validate?"

[levers.rd_super_deduction]
values = { 2018-01-01 = 0.75 }
reason = "national rise"
reference = "财税〔2018〕99号"
"""


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _lever_file(values: str, lever: str = "rd_super_deduction") -> str:
    return f'name = "bad"\n\n[levers.{lever}]\nvalues = {{ {values} }}\n'


# name -> (files to write: {file name: text}, file given on the command line, words the message must contain)
CASES: dict[str, tuple[dict[str, str | bytes], str, tuple[str, ...]]] = {
    "malformed_toml": (
        {"bad.toml": 'name = "bad"\n[levers.rd_super_deduction]\nvalues = { 2018-01-01 = 0.75 \n'},
        "bad.toml",
        ("malformed TOML", "line 3", "column"),
    ),
    "unknown_top_key": ({"bad.toml": 'name = "bad"\nparnet = "no_new_policy"\n'}, "bad.toml", ("parnet", "'parent'")),
    "unknown_lever": (
        {"bad.toml": _lever_file("2018-01-01 = 0.75", lever="rd_super_deducton")},
        "bad.toml",
        ("levers.rd_super_deducton", "did you mean 'rd_super_deduction'"),
    ),
    "unknown_lever_field": (
        {"bad.toml": 'name = "bad"\n[levers.tto_funded]\nvalues = { 2019-01-01 = 5 }\nreferense = "x"\n'},
        "bad.toml",
        ("levers.tto_funded.referense", "did you mean 'reference'"),
    ),
    "wrong_type": (
        {"bad.toml": _lever_file('2018-01-01 = "high"')},
        "bad.toml",
        ("levers.rd_super_deduction.values.2018-01-01", "expected a number", "str"),
    ),
    "fractional_count": (
        {"bad.toml": _lever_file("2019-01-01 = 12.5", lever="tto_funded")},
        "bad.toml",
        ("levers.tto_funded.values.2019-01-01", "whole number"),
    ),
    "out_of_bounds": (
        {"bad.toml": _lever_file("2018-01-01 = 5.0")},
        "bad.toml",
        ("levers.rd_super_deduction.values.2018-01-01", "outside the bounds [0, 2]"),
    ),
    "date_before_period": (
        {"bad.toml": _lever_file("2017-06-01 = 0.75")},
        "bad.toml",
        ("levers.rd_super_deduction.values.2017-06-01", "outside the simulated period"),
    ),
    "date_after_period": (
        {"bad.toml": 'name = "bad"\n[[events]]\nkind = "demand_shock"\nstart = 2023-01-01\nmagnitude = -0.1\n'},
        "bad.toml",
        ("events[0].start", "outside the simulated period"),
    ),
    "missing_parent": (
        {"bad.toml": 'name = "bad"\nparent = "no_such_parent"\n'},
        "bad.toml",
        ("parent", "'no_such_parent' not found"),
    ),
    "cyclic_parent": (
        {"a.toml": 'name = "a"\nparent = "b"\n', "b.toml": 'name = "b"\nparent = "a"\n'},
        "a.toml",
        ("parent", "cycle", "a.toml -> b.toml -> a.toml"),
    ),
    "self_parent": ({"a.toml": 'name = "a"\nparent = "a"\n'}, "a.toml", ("parent", "cycle")),
    "duplicated_lever": (
        {
            "bad.toml": 'name = "bad"\n[levers.tto_funded]\nvalues = { 2019-01-01 = 5 }\n'
            "[levers.tto_funded]\nvalues = { 2020-01-01 = 9 }\n"
        },
        "bad.toml",
        ("levers.tto_funded", "duplicated key", "line 4", "column"),
    ),
    "duplicated_date": (
        {"bad.toml": _lever_file("2018-01-01 = 0.75, 2018-01-01 = 1.0")},
        "bad.toml",
        ("duplicated key", "line 4", "column"),
    ),
    "empty_file": ({"bad.toml": ""}, "bad.toml", ("the file is empty",)),
    "blank_file": ({"bad.toml": "  \n\n"}, "bad.toml", ("the file is empty",)),
    "non_utf8": ({"bad.toml": 'name = "caf\xe9"\n'.encode("latin-1")}, "bad.toml", ("not UTF-8",)),
    "missing_path": ({}, "nowhere.toml", ("nowhere.toml", "file not found")),
    "newline_in_key": (
        {"bad.toml": 'name = "bad"\n[levers]\n"a\\nb" = 1\n'},
        "bad.toml",
        ("levers.a\\nb", "unknown key"),
    ),
}


def _commands(path: str, out: Path) -> dict[str, list[str]]:
    return {
        "validate": ["validate", path],
        "scenarios": ["scenarios", path],
        "run": ["run", str(LIBRARY / "no_new_policy.toml"), path, "--replicates", "2", "--out", str(out), "--quiet"],
    }


@pytest.mark.parametrize("command", ["validate", "scenarios", "run"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_gives_exit_2_one_line_and_no_results(case, command, tmp_path, capsys):
    files, given, words = CASES[case]
    for name, text in files.items():
        _write(tmp_path, name, text)
    out = tmp_path / "results"
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(_commands(str(tmp_path / given), out)[command])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith(f"zgcsim {command}: ")
    assert given in lines[0]  # the file is named
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no staging folder either


def test_every_library_scenario_validates(capsys):
    files = sorted(str(p) for p in LIBRARY.glob("*.toml"))
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": ok (") == len(files)


def test_every_library_scenario_states_its_question_and_sources():
    for path in sorted(LIBRARY.glob("*.toml")):
        sc = load_scenario(path)
        assert sc.question.endswith("?"), path
        own = [c for changes in sc.lever_changes.values() for c in changes if c.source == str(path)]
        for change in own:
            assert change.reason and change.reference, (path, change)
        for event in sc.events:
            assert event.reason and event.reference, (path, event)


def test_unknown_library_name_suggests_the_closest(capsys):
    assert main(["scenarios", "action_plna"]) == 2
    assert "did you mean 'action_plan'" in capsys.readouterr().err


def test_bad_input_through_the_console_script_exits_2_without_traceback(tmp_path):
    bad = _write(tmp_path, "bad.toml", _lever_file("2018-01-01 = 9"))
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "zgcsim.cli", "run", str(bad), "--out", str(out), "--replicates", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "bad.toml: levers.rd_super_deduction.values.2018-01-01: 9 is outside the bounds" in proc.stderr
    assert not out.exists()


def test_good_file_validates_and_keeps_provenance(tmp_path):
    path = _write(tmp_path, "good.toml", GOOD)
    sc = load_scenario(path)
    (change,) = sc.lever_changes["rd_super_deduction"]
    assert (change.value, change.source, change.reference) == (0.75, str(path), "财税〔2018〕99号")


def test_child_value_overrides_parent_on_the_same_date_and_keeps_the_others():
    sc = load_scenario(LIBRARY / "as_happened.toml")
    assert sc.lever("rd_super_deduction", __import__("datetime").date(2018, 1, 1)) == 0.75
    assert sc.lever("rd_super_deduction", __import__("datetime").date(2022, 10, 1)) == 1.0
    assert sc.lever("star_market", __import__("datetime").date(2019, 7, 21)) == 0
    assert sc.lever("star_market", __import__("datetime").date(2019, 7, 22)) == 1


def test_uncertain_range_may_narrow_but_not_leave_the_allowed_span(tmp_path):
    ok = _write(tmp_path, "ok.toml", 'name = "ok"\n[uncertain.n_firms_2017]\nlow = 21000\nhigh = 22000\n')
    assert load_scenario(ok).uncertain_ranges["n_firms_2017"] == (21000.0, 22000.0)
    bad = _write(tmp_path, "bad.toml", 'name = "bad"\n[uncertain.n_firms_2017]\nlow = -5\nhigh = 22000\n')
    with pytest.raises(UserInputError, match=r"uncertain\.n_firms_2017"):
        load_scenario(bad)


def test_annotated_example_in_the_readme_validates(tmp_path):
    import re
    import shutil

    text = (LIBRARY / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S)[1]
    for source in LIBRARY.glob("*.toml"):
        shutil.copy(source, tmp_path)
    sc = load_scenario(_write(tmp_path, "tto_sixty.toml", example))
    assert [c.value for c in sc.lever_changes["tto_funded"]] == [12, 30, 60]  # parent dates kept, 2020 overridden
    assert len(sc.events) == 2 and sc.uncertain_ranges["n_firms_2017"] == (21000, 23000)


@pytest.mark.slow
def test_run_on_every_library_scenario_writes_a_complete_results_folder(tmp_path, capsys):
    import pandas as pd

    files = sorted(str(p) for p in LIBRARY.glob("*.toml"))
    out = tmp_path / "results"
    assert main(["run", *files, "--replicates", "1", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    expected = {
        "manifest.json",
        "indicators.parquet",
        "uncertain_inputs.parquet",
        "summary.csv",
        "attainment.csv",
        "variance.csv",
        "costs.csv",
        "costs_summary.csv",
        "parks.parquet",
    }
    assert {p.name for p in out.iterdir()} == expected
    att = pd.read_csv(out / "attainment.csv")
    assert len(att) == 16 * len(files) and att["p_attain"].notna().all()
    costs = pd.read_csv(out / "costs_summary.csv").set_index(["scenario", "lever"])["p50"]
    assert costs[("no_new_policy", "fiscal_cost")] == 0.0 and costs[("action_plan", "fiscal_cost")] > 0
    assert costs.notna().all()


def test_with_levers_accepts_numpy_numbers_and_checks_bounds():
    import numpy as np

    from zgcsim.inputs.scenario import with_levers

    base = load_scenario(LIBRARY / "no_new_policy.toml")
    sc = with_levers(base, {"tto_funded": np.int64(60), "talent_programme": np.float64(2.0)}, name="design")
    assert sc.lever("tto_funded", __import__("datetime").date(2022, 1, 1)) == 60
    for bad in ({"tto_funded": 60.5}, {"talent_programme": 9.0}, {"talent_programm": 2.0}, {"star_market": True}):
        with pytest.raises(UserInputError):
            with_levers(base, bad)


def test_own_file_may_name_a_library_scenario_as_parent(tmp_path):
    path = _write(tmp_path, "mine.toml", 'name = "mine"\nparent = "action_plan"\n')
    sc = load_scenario(path)
    assert sc.files[1] == str(LIBRARY / "action_plan.toml")
    assert sc.lever("tto_funded", __import__("datetime").date(2021, 1, 1)) == 55
