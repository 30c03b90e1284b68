"""The one atomic writer: a failed write leaves the old file or folder as it was and no temporary behind."""

import pandas as pd
import pytest

from zgcsim.running import atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "table.csv"
    atomic.write_text(path, "old")

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic.write_with(path, fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_written_files_replace_the_old_ones_and_are_readable_by_others(tmp_path):
    table = pd.DataFrame({"a": [1, 2]})
    atomic.write_parquet(tmp_path / "t.parquet", table)
    atomic.write_parquet(tmp_path / "t.parquet", table * 3)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), table * 3)
    assert (tmp_path / "t.parquet").stat().st_mode & 0o777 == 0o644


def test_a_staged_folder_replaces_the_old_one_only_when_complete(tmp_path):
    out = tmp_path / "results"
    with atomic.staged_folder(out) as staging:
        (staging / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), atomic.staged_folder(out) as staging:
        (staging / "a.txt").write_text("second")
        raise RuntimeError("stopped")
    assert (out / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    with atomic.staged_folder(out) as staging:
        (staging / "b.txt").write_text("third")
    assert [p.name for p in out.iterdir()] == ["b.txt"]
