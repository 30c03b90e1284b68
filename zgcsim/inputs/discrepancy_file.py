"""Model discrepancy: read the versioned file and draw each replicate's discrepancy paths.

The discrepancy of an indicator is the gap, in logs, between what the zone will report and what the simulator
computes (Kennedy & O'Hagan 2001, JRSS-B 63: observation = simulator + discrepancy + error). Each *base series*
(revenue, employees, patent applications, ...) carries its own random walk in logs that starts at 0 in the
projection's first year (2017, the observed baseline) and adds one N(0, sigma^2) step per year, so its variance
grows with the horizon; sigma is its group's per-year standard deviation, estimated from the hindcast residuals
(``zgcsim hindcast``, ``calibration/discrepancy.json``). An indicator's discrepancy is a signed sum of base
series' walks: a ratio indicator takes its numerator's walk minus its denominator's, so its variance is the sum
of theirs and it stays coherent with the series it divides. Which base series each indicator uses is the file's
``indicators`` map (its ``rule`` says why). Indicators outside the map keep the simulator's value.

Each replicate draws its walks from its own named stream (``discrepancy``) of the replicate seed, so the same
replicate gets the same paths in every scenario: paired differences between scenarios are unchanged by it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from zgcsim.errors import UserInputError
from zgcsim.inputs.bundled import CALIBRATION_PACKAGE, bundled_folder
from zgcsim.inputs.seeds import stream

DEFAULT_PATH = bundled_folder(CALIBRATION_PACKAGE, "calibration") / "discrepancy.json"
AUTO = "auto"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Discrepancy:
    """A loaded discrepancy model: per-year log s.d. of each base series and each indicator's signed terms."""

    id: str
    path: str
    sha256: str
    base_sigma: tuple[tuple[str, float], ...]  # base series -> per-year s.d. of its log random walk
    terms: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]  # indicator -> ((base series, coefficient), ...)

    def sigma_of(self, indicator: str) -> float:
        """Per-year s.d. of an indicator's discrepancy (root of its terms' summed variances); 0 if not covered."""
        sigma = dict(self.base_sigma)
        t = dict(self.terms).get(indicator, ())
        return float(np.sqrt(sum(c * c * sigma[b] ** 2 for b, c in t)))

    def paths(self, seed: np.random.SeedSequence, years: Sequence[int], start_year: int) -> dict[str, np.ndarray]:
        """Each covered indicator's discrepancy (in logs) at ``years``, zero at and before ``start_year``.

        The base series' walks are drawn from the replicate's ``discrepancy`` stream in the file's order, one
        step per year after ``start_year`` up to the last of ``years``.
        """
        return draw_paths(dict(self.base_sigma), dict(self.terms), stream(seed, "discrepancy"), years, start_year)

    def manifest_entry(self) -> dict[str, str]:
        """What a results manifest records about the discrepancy used."""
        return {"id": self.id, "path": self.path, "sha256": self.sha256}


def draw_paths(
    base_sigma: Mapping[str, float],
    terms: Mapping[str, Sequence[tuple[str, float]]],
    rng: np.random.Generator,
    years: Sequence[int],
    start_year: int,
) -> dict[str, np.ndarray]:
    """Draw the base series' log random walks from ``rng`` and combine them into each indicator's path."""
    years = np.asarray(years, dtype=int)
    last = int(years.max()) if len(years) else start_year
    steps = max(last - start_year, 0)
    walks = {}
    for base in sorted(base_sigma):  # a fixed order: the same seed gives the same walks
        cumulative = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, 1.0, steps) * base_sigma[base])])
        walks[base] = cumulative[np.clip(years - start_year, 0, steps)]
    return {ind: sum((c * walks[b] for b, c in t), np.zeros(len(years))) for ind, t in terms.items()}


def parse(record: Mapping, path: str = "", sha256: str = "") -> Discrepancy:
    """Build a Discrepancy from the file's JSON record; raise ValueError/KeyError if malformed."""
    if int(record["format_version"]) != FORMAT_VERSION:
        raise ValueError(f"format_version {record['format_version']} (expected {FORMAT_VERSION})")
    base = {k: float(v["sigma"]) for k, v in record["base_series"].items()}
    if any(not np.isfinite(s) or s < 0 for s in base.values()):
        raise ValueError("a sigma is negative or not finite")
    terms = {}
    for ind, entry in record["indicators"].items():
        t = tuple((b, float(c)) for b, c in entry["terms"].items())
        unknown = [b for b, _ in t if b not in base]
        if unknown:
            raise ValueError(f"indicator {ind} uses unknown base series {unknown}")
        terms[ind] = t
    return Discrepancy(str(record["id"]), path, sha256, tuple(sorted(base.items())), tuple(sorted(terms.items())))


@cache
def load_discrepancy(path: str | Path) -> Discrepancy:
    """Read and check a discrepancy file."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError("discrepancy file not found", path=path)
    raw = path.read_bytes()
    try:
        return parse(json.loads(raw), str(path), hashlib.sha256(raw).hexdigest())
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise UserInputError(f"not a zgcsim discrepancy file ({err})", path=path) from None


def resolve_discrepancy(discrepancy: Discrepancy | str | Path | None) -> Discrepancy | None:
    """``"auto"``: the committed file if the project has one; None: no discrepancy; a path: that file."""
    if discrepancy is None or isinstance(discrepancy, Discrepancy):
        return discrepancy
    if discrepancy == AUTO:
        return load_discrepancy(DEFAULT_PATH) if DEFAULT_PATH.is_file() else None
    return load_discrepancy(discrepancy)
