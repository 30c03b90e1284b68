"""Using a calibration: load the versioned file and give each replicate its parameter set.

Replicate ``r`` draws its member of the ensemble (by weight) from its own seed, so the same replicate uses the
same parameter set in every scenario (paired comparisons stay paired) and runs are reproducible.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from zgcsim.errors import UserInputError
from zgcsim.inputs.bundled import CALIBRATION_PACKAGE, bundled_folder
from zgcsim.inputs.seeds import replicate_seed, stream

DEFAULT_PATH = bundled_folder(CALIBRATION_PACKAGE, "calibration") / "calibration.json"


@dataclass(frozen=True)
class Calibration:
    """A loaded calibration: its identity and its ensemble of parameter sets with weights."""

    id: str
    path: str
    sha256: str
    members: tuple[tuple[tuple[str, float], ...], ...]
    weights: tuple[float, ...]
    data_sha256: str

    def values_for(self, root_seed: int, replicate: int) -> dict[str, float]:
        """The parameter set replicate ``replicate`` uses (a weighted draw from its own seed)."""
        rng = stream(replicate_seed(root_seed, replicate), "calibration")
        index = int(rng.choice(len(self.members), p=self.weights))
        return dict(self.members[index])

    def manifest_entry(self) -> dict[str, str | int]:
        """What a results manifest records about the calibration used."""
        return {
            "id": self.id,
            "path": self.path,
            "sha256": self.sha256,
            "members": len(self.members),
            "data_matches_current": self.data_sha256 == data_hash(),
        }


@cache
def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError("calibration file not found", path=path)
    raw = path.read_bytes()
    try:
        record = json.loads(raw)
        members = tuple(tuple(sorted((k, float(v)) for k, v in m["values"].items())) for m in record["ensemble"])
        weights = [float(m["weight"]) for m in record["ensemble"]]
        total = sum(weights)
        if not members or total <= 0:
            raise ValueError("empty ensemble")
        return Calibration(
            record["id"],
            str(path),
            hashlib.sha256(raw).hexdigest(),
            members,
            tuple(w / total for w in weights),
            record["data_sha256"],
        )
    except (ValueError, KeyError, TypeError) as err:
        raise UserInputError(f"not a zgcsim calibration file ({err})", path=path) from None


def default_calibration() -> Calibration | None:
    """The committed calibration, if the project has one."""
    return load_calibration(DEFAULT_PATH) if DEFAULT_PATH.is_file() else None


def data_hash() -> str:
    """SHA-256 of the observed data and the parameter table the calibration rests on."""
    digest = hashlib.sha256()
    for name in ("data/zgc_observed_to_2017.csv", "data/parameters.toml"):
        digest.update(resources.files("zgcsim").joinpath(name).read_bytes())
    return digest.hexdigest()


AUTO = "auto"  # use the project's committed calibration when there is one


def resolve_calibration(calibration: Calibration | str | Path | None) -> Calibration | None:
    """A Calibration, ``"auto"`` (the committed one, if any), a file path, or None (no calibration)."""
    if calibration is None:
        return None
    if isinstance(calibration, Calibration):
        return calibration
    if calibration == AUTO:
        return default_calibration()
    return load_calibration(calibration)
