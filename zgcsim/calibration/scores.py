"""Proper scores of probabilistic hindcasts: coverage, interval score, fair ensemble CRPS and PIT values.

The interval score of a central (1 - alpha) band [l, u] for an outcome y is (u - l) + (2/alpha)(l - y)1{y < l}
+ (2/alpha)(y - u)1{y > u} (Gneiting & Raftery 2007, JASA 102, eq. 43); the CRPS of an ensemble is the fair
estimator (Ferro 2014) that divides the members' pairwise sum by M(M - 1). Both come from ``scoringrules``
(0.10, https://scoringrules.readthedocs.io); the tests check them against values worked out by hand.
"""

from __future__ import annotations

import numpy as np


def _sr():
    try:
        import scoringrules
    except ImportError:  # pragma: no cover - depends on the install
        from zgcsim.errors import UserInputError

        raise UserInputError("hindcast scoring needs scoringrules: pip install -e '.[hindcast]'") from None
    return scoringrules


def interval_score(lower: np.ndarray, upper: np.ndarray, observed: np.ndarray, alpha: float) -> np.ndarray:
    """Interval score of central (1 - alpha) bands [lower, upper] for the outcomes ``observed`` (lower is better)."""
    sr = _sr()
    obs = np.asarray(observed, dtype=float)
    return np.asarray(sr.interval_score(obs, np.asarray(lower, float), np.asarray(upper, float), alpha), dtype=float)


def relative_interval_score(lower: np.ndarray, upper: np.ndarray, observed: np.ndarray, alpha: float) -> np.ndarray:
    """The interval score in levels divided by |observed|: the project's bar pools series with it."""
    obs = np.asarray(observed, dtype=float)
    return interval_score(lower, upper, obs, alpha) / np.abs(obs)


def crps_fair(ensemble: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Fair ensemble CRPS of each row of ``ensemble`` (point x member) for its outcome (same units)."""
    sr = _sr()
    return np.asarray(
        sr.crps_ensemble(np.asarray(observed, float), np.asarray(ensemble, float), estimator="fair"), dtype=float
    )


def covered(lower: np.ndarray, upper: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Whether each outcome lies inside its band (bounds included)."""
    obs = np.asarray(observed, dtype=float)
    return (np.asarray(lower, float) <= obs) & (obs <= np.asarray(upper, float))


def pit_values(ensemble: np.ndarray, observed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomised PIT of each outcome within its ensemble row: (members below + U x (ties + 1)) / (M + 1).

    With a calibrated ensemble these are uniform on (0, 1); a U-shaped histogram means bands too narrow or
    biased (Hamill 2001, Mon. Wea. Rev. 129). Ties are broken uniformly at random.
    """
    ens = np.atleast_2d(np.asarray(ensemble, float))
    obs = np.asarray(observed, float)[:, None]
    below = (ens < obs).sum(axis=1)
    ties = (ens == obs).sum(axis=1)
    rank = below + np.floor(rng.uniform(size=len(ens)) * (ties + 1))
    return (rank + 0.5) / (ens.shape[1] + 1)


def skill(model_scores: np.ndarray, reference_scores: np.ndarray) -> float:
    """Skill score 1 - mean(model) / mean(reference): above 0 beats the reference, 1 is perfect."""
    ref = float(np.mean(reference_scores))
    return 1.0 - float(np.mean(model_scores)) / ref if ref > 0 else float("nan")


def crps_normal(observed: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """CRPS of normal forecasts N(mean, sd^2) (closed form, Gneiting & Raftery 2007) for the outcomes."""
    sr = _sr()
    return np.asarray(
        sr.crps_normal(np.asarray(observed, float), np.asarray(mean, float), np.asarray(sd, float)), dtype=float
    )
