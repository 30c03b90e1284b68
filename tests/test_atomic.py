"""The one atomic writer: a failed write leaves the old file or folder as it was and no temporary behind."""

import pandas as pd
import pytest

from zgcsim.errors import UserInputError
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


def test_a_staged_folder_never_replaces_the_current_folder_or_one_that_holds_it(tmp_path, monkeypatch):
    work = tmp_path / "work"
    (work / "inside").mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work / "inside")
    for out in (work / "inside", work, "", ".", ".."):  # an empty path is the current folder
        with pytest.raises(UserInputError, match="current folder or holds it"), atomic.staged_folder(out) as staging:
            (staging / "a.txt").write_text("never")
    assert (work / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in work.iterdir()) == ["inside", "notes.txt"]
    assert list((work / "inside").iterdir()) == []


# Writes that need not go through the atomic writer, each with its reason: files inside a folder that is staged
# and swapped in whole, in-memory buffers, the calibration's append-only journal (a torn last line is skipped on
# reading) and the lock file (written through its own descriptor while it is held).
IN_PLACE_ALLOWED = {
    ("zgcsim/running/results_folder.py", "staging /"),
    ("zgcsim/experiments/store.py", "staging /"),
    ("zgcsim/experiments/store.py", "runs.to_parquet(tmp"),
    ("zgcsim/reporting/brief.py", "fig.savefig(buf"),
    ("zgcsim/reporting/brief.py", "pdf.savefig(fig)"),
    ("zgcsim/reporting/pdfflow.py", "self.pdf.savefig"),
    ("zgcsim/reporting/style.py", "fig.savefig(tmp"),
    ("zgcsim/dashboard/figures.py", "fig.savefig(buffer"),
    ("zgcsim/calibration/hindcast_report.py", "fig.savefig(buf"),
    ("zgcsim/calibration/report.py", "fig.savefig(path"),  # _chart, called by atomic.write_with on a temporary
    ("zgcsim/calibration/search.py", 'self.path.open("a"'),
    ("zgcsim/calibration/search.py", "fh.write(text)"),
    ("zgcsim/running/lock.py", "os.write(fd"),
}


def test_every_result_file_is_written_through_the_atomic_writer():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    writes = re.compile(r"write_text\(|write_bytes\(|to_csv\(|to_parquet\(|savefig\(|open\([^)]*[\"'][wa]|\.write\(")
    found = []
    for path in sorted((root / "zgcsim").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == "zgcsim/running/atomic.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if not writes.search(code) or "atomic." in code:
                continue
            if not any(rel == file and marker in code for file, marker in IN_PLACE_ALLOWED):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "written in place, not through zgcsim/running/atomic.py:\n" + "\n".join(found)
