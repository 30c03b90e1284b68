"""Packaging: the wheel carries every package folder, the scenario library and the committed calibration."""

import json
import os
import site
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_package_folder_and_the_data_folders_are_listed_for_the_wheel():
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "zgcsim").rglob("__init__.py")} | {
        "zgcsim._library",
        "zgcsim._calibration",
    }
    assert set(SETUPTOOLS["packages"]) == folders
    assert SETUPTOOLS["package-dir"] == {"zgcsim._library": "scenarios", "zgcsim._calibration": "calibration"}


def test_the_committed_calibration_and_the_library_resolve_to_the_repository_folders():
    from zgcsim.inputs.calibration_file import DEFAULT_PATH
    from zgcsim.inputs.scenario import LIBRARY

    assert LIBRARY.resolve() == (ROOT / "scenarios").resolve()
    assert DEFAULT_PATH.resolve() == (ROOT / "calibration" / "calibration.json").resolve()


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_environment_runs_the_main_job_from_another_folder(tmp_path):
    """Build the wheel, install it (not editable) into a new virtual environment and run ``zgcsim run`` there.

    The new environment gets the wheel alone (``--no-deps``); its third-party dependencies come from this
    environment's site-packages through a path file, so the test needs no download beyond the build backend. The
    wheel's own copy comes first on the path, so the run uses the installed package, its library and calibration.
    """
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
        check=True,
    )
    (wheel,) = dist.glob("zgcsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for scenario in (ROOT / "scenarios").glob("*.toml"):
        assert f"zgcsim/_library/{scenario.name}" in names
    assert {"zgcsim/_library/README.md", "zgcsim/_calibration/calibration.json", "zgcsim/_calibration/fit.csv"} <= names

    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, env=clean)
    env_site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (env_site / "zz_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")

    work = tmp_path / "elsewhere"
    work.mkdir()
    located = subprocess.check_output(
        [python, "-c", "import zgcsim, zgcsim.inputs.scenario as s; print(zgcsim.__file__); print(s.LIBRARY)"],
        cwd=work,
        env=clean,
        text=True,
    ).split()
    assert all(Path(p).is_relative_to(env_dir) for p in located), located
    done = subprocess.run(
        [env_dir / "bin" / "zgcsim", "run", "--replicates", "2", "--out", "res", "--quiet"],
        cwd=work,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((work / "res" / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["scenarios"]] == ["no_new_policy", "action_plan"]
    assert Path(manifest["scenarios"][0]["files"][0]["path"]).is_relative_to(env_dir)
    assert Path(manifest["calibration"]["path"]).is_relative_to(env_dir)
    assert (work / "res" / "indicators.parquet").stat().st_size > 0
