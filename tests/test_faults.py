"""Faults a shared machine brings: out-of-range options, two writers on one folder, chunks damaged on disk."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas.testing as pdt
import pytest

from zgcsim.cli import main
from zgcsim.experiments.runner import run_experiment
from zgcsim.experiments.spec import load_experiment
from zgcsim.experiments.store import content, read_parks, read_runs, verify_store
from zgcsim.running.lock import folder_lock, lock_path

SMALL_EXPERIMENT = (
    'name = "small"\nscenarios = ["no_new_policy", "action_plan"]\nreplicates = 3\nseed = 11\n'
    "[design]\nconstants = { n_firms_2017 = 3000, n_institutes = 20 }\n"
)


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


# --- input: every numeric option is range-checked before anything prints or runs -------------------------------


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["run", "--workers", "-3"], "--workers"),
        (["run", "--workers", "0"], "--workers"),
        (["run", "--replicates", "0"], "--replicates"),
        (["run", "--replicates", "-5"], "--replicates"),
        (["run", "--seed", "-1"], "--seed"),
        (["run", "--seed", str(2**64)], "--seed"),
        (["experiment", "EXP", "--out", "store", "--workers", "-3"], "--workers"),
        (["experiment", "EXP", "--out", "store", "--chunk", "0"], "--chunk"),
        (["calibrate", "--budget", "3"], "--budget"),
        (["calibrate", "--replicates", "0"], "--replicates"),
        (["calibrate", "--seed", "-2"], "--seed"),
        (["calibrate", "--workers", "-1"], "--workers"),
        (["hindcast", "--budget", "2"], "--budget"),
        (["hindcast", "--runs", "1"], "--runs"),
        (["hindcast", "--draws", "0"], "--draws"),
        (["hindcast", "--seed", "-1"], "--seed"),
        (["hindcast", "--workers", "-3"], "--workers"),
        (["dashboard", "--port", "0"], "--port"),
        (["dashboard", "--port", "70000"], "--port"),
        (["plot", "heatmap", "nowhere", "--top", "0"], "--top"),
    ],
)
def test_out_of_range_option_exits_2_with_one_line_before_anything_prints(argv, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "EXP").write_text(SMALL_EXPERIMENT, encoding="utf-8")
    before = files_under(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines  # no header, no progress: only the refusal
    assert key in lines[0] and "must be from" in lines[0]
    assert captured.out == ""
    assert files_under(tmp_path) == before  # nothing written


def test_run_with_workers_minus_3_records_nothing(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", "--workers", "-3", "--replicates", "1", "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == "zgcsim run: --workers: must be from 1 to 4096, got -3\n"
    assert not out.exists()


# --- two writers: a lock file names the holder ---------------------------------------------------------------------


def test_second_writer_of_a_results_folder_exits_2_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "res"
    with folder_lock(out) as lock:
        holder = json.loads(lock.read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        assert main(["run", "--replicates", "1", "--workers", "1", "--out", str(out), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert f"is being written by process {os.getpid()} on {socket.gethostname()}" in lines[0]
    assert not out.exists()
    assert not lock_path(out).exists()  # the holder removes its lock when done


@pytest.mark.parametrize("command", ["experiment", "calibrate"])
def test_second_writer_of_a_store_or_calibration_folder_exits_2(command, tmp_path, capsys):
    out = tmp_path / "out"
    experiment = tmp_path / "small.toml"
    experiment.write_text(SMALL_EXPERIMENT, encoding="utf-8")
    argv = {
        "experiment": ["experiment", str(experiment), "--out", str(out), "--workers", "1", "--quiet"],
        "calibrate": ["calibrate", "--budget", "4", "--replicates", "1", "--small", "--out", str(out), "--quiet"],
    }[command]
    with folder_lock(out):
        assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"process {os.getpid()}" in lines[0]
    assert not out.exists()


def test_stale_lock_of_a_dead_process_on_this_host_is_taken_over_with_a_message(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "res"
    record = {"pid": dead.pid, "host": socket.gethostname(), "started": "2026-01-01T00:00:00+00:00"}
    lock_path(out).write_text(json.dumps(record), encoding="utf-8")
    assert main(["run", "--replicates", "1", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"took over the stale lock of process {dead.pid} on {socket.gethostname()}" in err
    assert (out / "indicators.parquet").is_file()
    assert not lock_path(out).exists()


def test_lock_written_on_another_host_is_not_taken_over(tmp_path, capsys):
    out = tmp_path / "res"
    record = {"pid": 4242, "host": "another-node", "started": "2026-01-01T00:00:00+00:00"}
    lock_path(out).write_text(json.dumps(record), encoding="utf-8")
    assert main(["run", "--replicates", "1", "--workers", "1", "--out", str(out), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "process 4242 on another-node" in lines[0] and str(lock_path(out)) in lines[0]
    assert lock_path(out).exists()  # left for its owner (or the user) to remove


def test_two_concurrent_runs_into_one_folder_one_succeeds_the_other_exits_2(tmp_path):
    out = tmp_path / "res"
    command = [sys.executable, "-m", "zgcsim.cli", "run", "--replicates", "2", "--workers", "1", "--quiet"]
    procs = [
        subprocess.Popen([*command, "--seed", str(seed), "--out", str(out)], stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    results = [(proc.wait(timeout=300), proc.stderr.read()) for proc in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2).strip().splitlines()
    assert len(refused) == 1 and str(out) in refused[0]  # the lock's holder, or the finished folder it left
    winner = 1 + [code for code, _ in results].index(0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["root_seed"] == winner  # the folder is the winner's, whole
    assert not lock_path(out).exists()


# --- torn files: chunks carry row counts and checksums ------------------------------------------------------------


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("undisturbed")
    path = folder / "small.toml"
    path.write_text(SMALL_EXPERIMENT, encoding="utf-8")
    out = folder / "store"
    run_experiment(load_experiment(path), out, workers=1, chunk_runs=2, progress=False)
    return path, out


def test_chunks_record_their_row_count_and_checksum(undisturbed):
    _, out = undisturbed
    runs = read_runs(out)
    assert (runs["chunk_sha256"].str.len() == 64).all() and (runs["chunk_rows"] > 0).all()
    assert (runs["parks_sha256"].str.len() == 64).all() and (runs["parks_rows"] > 0).all()
    assert verify_store(out) == []
    parks = read_parks(out)  # every run of the store has its parks table: 16 parks every year
    counts = parks.groupby(["scenario", "point", "replicate", "year", "indicator"])["park"].nunique()
    assert len(parks) and (counts == 16).all() and len(counts) == len(runs) * 6 * parks["indicator"].nunique()


@pytest.mark.parametrize("damaged", ["indicators", "runs", "parks"])
def test_truncated_chunk_is_refused_by_analyze_then_rerun_to_the_undisturbed_store(
    damaged, undisturbed, tmp_path, capsys
):
    path, reference = undisturbed
    out = tmp_path / "store"
    run_experiment(load_experiment(path), out, workers=1, chunk_runs=2, progress=False)
    part = out / damaged / "part-000002.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])  # a copy cut off halfway

    assert main(["analyze", str(out), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{damaged}/part-000002.parquet" in lines[0] and "fails verification" in lines[0]

    assert main(["experiment", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"{damaged}/part-000002.parquet" in err and "will be run again" in err
    assert "2 runs (0 failed, 4 already in the store)" in err
    assert verify_store(out) == []
    (ind_a, runs_a), (ind_b, runs_b) = content(reference), content(out)
    pdt.assert_frame_equal(ind_a, ind_b)
    pdt.assert_frame_equal(runs_a, runs_b)
    assert main(["analyze", str(out), "--quiet"]) == 0


def test_flipped_byte_in_a_chunk_is_detected(undisturbed, tmp_path):
    path, _ = undisturbed
    out = tmp_path / "store"
    run_experiment(load_experiment(path), out, workers=1, chunk_runs=2, progress=False)
    part = out / "indicators" / "part-000003.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 3] ^= 0xFF
    part.write_bytes(bytes(data))
    problems = verify_store(out)
    assert [p.file for p in problems] == ["indicators/part-000003.parquet"]
    assert "checksum" in problems[0].problem


def test_calibration_journal_cut_mid_line_keeps_every_later_evaluation(tmp_path):
    from zgcsim.calibration.search import Checkpoint

    path = tmp_path / "checkpoint.jsonl"
    first = Checkpoint(path, "fp")
    first.add([1.0, 2.0], (3.0, [4.0]))
    path.write_text(path.read_text(encoding="utf-8") + '{"fingerprint": "fp", "x": "5,6", "lo', encoding="utf-8")
    resumed = Checkpoint(path, "fp")  # the cut line is skipped ...
    assert set(resumed.done) == {"1,2"}
    resumed.add([7.0, 8.0], (9.0, [10.0]))  # ... and the next row does not run into it
    assert set(Checkpoint(path, "fp").done) == {"1,2", "7,8"}
