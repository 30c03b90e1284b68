"""The main command: a complete results folder, or a one-line error and nothing written."""

import json
import math

import pandas as pd
import pytest

from zgcsim.cli import main
from zgcsim.model.indicators import AUX_KEYS, COST_KEYS, TARGET_KEYS


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "res"
    code = main(["run", "--replicates", "2", "--seed", "1", "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 0
    return out


def test_run_writes_every_indicator_every_year_with_finite_values(results):
    table = pd.read_parquet(results / "indicators.parquet")
    assert list(table.columns) == ["scenario", "replicate", "seed", "year", "indicator", "value", "model_value"]
    assert set(table["scenario"]) == {"no_new_policy", "action_plan"}
    assert set(table["indicator"]) == set(TARGET_KEYS) | set(AUX_KEYS) | set(COST_KEYS)
    assert set(table["year"]) == set(range(2017, 2023))
    assert table["value"].map(math.isfinite).all()
    counts = table.groupby(["scenario", "replicate", "indicator"])["year"].nunique()
    assert (counts == 6).all()


def test_summary_attainment_and_manifest_are_complete(results):
    summary = pd.read_csv(results / "summary.csv")
    assert {"scenario", "indicator", "year", "mean", "p05", "p25", "p50", "p75", "p95"} <= set(summary.columns)
    assert (summary["p05"] <= summary["p95"]).all()
    attainment = pd.read_csv(results / "attainment.csv")
    assert set(attainment["indicator"]) == set(TARGET_KEYS)
    assert attainment["p_attain"].between(0, 1).all()
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["root_seed"] == 1 and manifest["replicates"] == 2
    assert all(len(f["sha256"]) == 64 for s in manifest["scenarios"] for f in s["files"])
    assert "mesa" in manifest["versions"]
    drawn = pd.read_parquet(results / "uncertain_inputs.parquet")
    assert {"employees_2017", "tto_2017", "energy_intensity_2017"} <= set(drawn["input"])


def test_existing_results_folder_is_not_overwritten(results, capsys):
    assert main(["run", "--replicates", "1", "--out", str(results), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]


def test_force_never_replaces_the_current_folder(tmp_path, monkeypatch, capsys):
    """``--out ''`` or ``--out .`` with ``--force`` names the folder the user works in: refused before any run."""
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for out in ("", ".", str(tmp_path)):
        assert main(["run", "--replicates", "1", "--workers", "1", "--out", out, "--force", "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "current folder" in err[0], err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_bad_scenario_gives_one_line_and_no_folder(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[levers.rd_super_deductoin]\nvalues = { 2018-01-01 = 0.75 }\n', encoding="utf-8")
    out = tmp_path / "never"
    assert main(["run", str(bad), "--replicates", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.toml" in err[0] and "rd_super_deduction" in err[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".never*"))


def test_zero_replicates_is_refused(tmp_path, capsys):
    assert main(["run", "--replicates", "0", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "replicates" in capsys.readouterr().err


def test_no_calibration_flag_changes_the_runs_and_the_manifest(tmp_path):
    common = ["--replicates", "1", "--seed", "2", "--workers", "1", "--quiet", "no_new_policy"]
    assert main(["run", *common, "--out", str(tmp_path / "cal")]) == 0
    assert main(["run", *common, "--no-calibration", "--out", str(tmp_path / "raw")]) == 0
    a = pd.read_parquet(tmp_path / "cal" / "indicators.parquet")
    b = pd.read_parquet(tmp_path / "raw" / "indicators.parquet")
    manifest = json.loads((tmp_path / "raw" / "manifest.json").read_text(encoding="utf-8"))
    assert str(manifest["calibration"]).startswith("none")
    final = lambda t: t[t["year"] == 2022].set_index("indicator")["value"]  # noqa: E731
    assert not final(a).equals(final(b))  # the calibrated parameter set changes the projection
    manifest = json.loads((tmp_path / "cal" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["calibration"]["id"].startswith("zgcsim-calibration-")


def test_a_command_missing_an_extra_says_which_extra_to_install(monkeypatch, capsys):
    import sys

    import zgcsim.cli as cli

    def needs_salib(_args):
        import SALib.analyze  # noqa: F401

        return 0

    monkeypatch.setitem(sys.modules, "SALib", None)  # as if SALib were not installed
    monkeypatch.setattr(cli, "_cmd_levers", needs_salib)
    assert main(["levers"]) == 2
    assert "pip install 'zgcsim[experiments]'" in capsys.readouterr().err
