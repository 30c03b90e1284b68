"""``zgcsim calibrate``: search, ensemble, fit report, and the versioned calibration file.

The calibration file (``calibration.json``) holds the calibrated parameters' names and ranges, the
best point evaluated, the posterior ensemble (parameter sets, their losses and weights), the per-moment fit, the
stylised-fact checks, the hashes of the data it was fitted to, the code version and the seed. ``zgcsim run``
samples the ensemble by default and records which calibration it used.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from zgcsim import __version__
from zgcsim.calibration.facts import stylised_facts
from zgcsim.calibration.moments import load_moments
from zgcsim.calibration.report import write_report
from zgcsim.calibration.search import (
    CALIBRATED,
    MOVES,
    Checkpoint,
    Evaluator,
    Settings,
    _key,
    bounds,
    optimise,
    planned_evaluations,
    rejection_floor,
    sample_posterior,
    starting_walkers,
    walkers,
)
from zgcsim.calibration.spinup import SMALL_SPINUP
from zgcsim.inputs.calibration_file import data_hash
from zgcsim.running import atomic
from zgcsim.running.results_folder import _git_commit

FORMAT_VERSION = 2
MAX_MEMBERS = 400  # ensemble members kept in the calibration file


def _nan_stat(stat, values: np.ndarray) -> float:
    """A statistic of the finite values (nan when there is none)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(stat(finite)) if len(finite) else float("nan")


def calibrate(
    out: Path,
    budget: int = 7200,
    replicates: int = 3,
    seed: int = 2013,
    workers: int = 1,
    small: bool = False,
    progress: bool = True,
    last_year: int = 2017,
) -> dict:
    """Run the whole calibration into folder ``out`` and return the calibration record.

    A quarter of ``budget`` goes to the optimiser (differential evolution needs a first generation of at least
    two members per parameter, so a tiny budget is exceeded there), the rest to the posterior sampler's walkers.
    Each evaluation is ``replicates`` spin-ups with common random numbers. ``small`` uses a small 2013
    population (for tests). ``last_year`` keeps only the observations up to that year (a hindcast's origin).
    """
    out.mkdir(parents=True, exist_ok=True)
    moments = load_moments(last_year=last_year)
    settings = Settings(
        seed=seed,
        replicates=replicates,
        optimiser_evaluations=budget // 4,
        sampler_steps=max(4, (budget - budget // 4) // walkers()),
        extra=tuple(SMALL_SPINUP.items()) if small else (),
    )
    fingerprint = settings.fingerprint(moments)
    checkpoint = Checkpoint(out / "checkpoint.jsonl", fingerprint)
    started = time.perf_counter()
    total = planned_evaluations(settings)
    bar = tqdm(
        total=total,
        initial=min(len(checkpoint.done), total),
        desc="calibration evaluations",
        unit="eval",
        disable=not progress,
        dynamic_ncols=True,
    )
    evaluate = Evaluator(moments, settings, checkpoint, workers, bar.update)
    try:
        optimise(evaluate, settings)
        searched = list(evaluate.requested)  # the optimiser's points, identical on a replay
        start = starting_walkers(searched, [checkpoint.done[_key(x)][0] for x in searched])
        posterior = sample_posterior(evaluate, start, settings)
        # the best point is the lowest loss of any evaluation, the optimiser's or the sampler's
        best = min(evaluate.requested, key=lambda x: checkpoint.done[_key(x)][0])
    finally:
        bar.close()
        evaluate.close()
    ess = posterior.effective_sample_size(len(start))
    # at most MAX_MEMBERS members, evenly spaced along the thinned chain
    keep = np.unique(
        np.linspace(0, len(posterior.particles) - 1, min(MAX_MEMBERS, len(posterior.particles))).astype(int)
    )
    ensemble = [
        {
            "values": dict(zip(CALIBRATED, map(float, posterior.particles[i]), strict=True)),
            "loss": float(posterior.losses[i]),
            "weight": 1.0 / len(keep),
            "moments": checkpoint.done[_key(posterior.particles[i])][1],
        }
        for i in keep
    ]
    best_loss, best_moments = checkpoint.done[_key(best)]
    facts = stylised_facts(dict(zip(CALIBRATED, map(float, best), strict=True)), seed, dict(settings.extra))
    record = {
        "format_version": FORMAT_VERSION,
        "id": f"zgcsim-calibration-{fingerprint}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code_version": {"zgcsim": __version__, "git_commit": _git_commit()},
        "data_sha256": data_hash(),
        "seed": seed,
        "settings": {**settings.__dict__, "extra": dict(settings.extra)},
        "method": "method of simulated moments by differential evolution (scipy), then a posterior ensemble "
        "sampled by emcee in proportion to uniform prior x exp(-loss/2): ABC with a Gaussian kernel of each "
        "moment's tolerance (Wilkinson 2013), the quasi-posterior of Chernozhukov & Hong (2003)",
        "window": f"2013 baseline, spin-up 2014-{last_year}; no observation after {last_year} is used",
        "last_year": last_year,
        "parameters": [{"name": n, "low": lo, "high": hi} for n, (lo, hi) in zip(CALIBRATED, bounds(), strict=True)],
        "best": {"values": dict(zip(CALIBRATED, map(float, best), strict=True)), "loss": best_loss},
        "sampler": {
            "walkers": len(start),
            "steps": settings.sampler_steps,
            "moves": ", ".join(f"emcee {name} {weight:g}" for name, weight in MOVES),
            "burn_in": posterior.burn_in,
            "thin": posterior.thin,
            "acceptance_fraction": posterior.acceptance,
            "autocorrelation_time": posterior.autocorrelation,
            "autocorrelation_time_median": _nan_stat(np.nanmedian, posterior.taus),
            "autocorrelation_time_emcee": _nan_stat(np.nanmax, posterior.emcee_taus),
            "autocorrelation_time_rejection_floor": rejection_floor(posterior.acceptance),
            "effective_sample_size_min": _nan_stat(np.nanmin, ess),
            "effective_sample_size_median": _nan_stat(np.nanmedian, ess),
            "chain_over_tau": settings.sampler_steps / posterior.autocorrelation
            if np.isfinite(posterior.autocorrelation)
            else float("nan"),
            "distinct_members": len({tuple(m["values"].values()) for m in ensemble}),
        },
        "ensemble": ensemble,
        "moments": [
            {
                "key": m.key,
                "series": m.series,
                "year": m.year,
                "period": m.period,
                "observed": m.observed,
                "basis": m.basis,
                "one_sided": m.one_sided,
                "tolerance": m.tolerance,
                "weight": m.weight,
                "best": best_moments[j],
            }
            for j, m in enumerate(moments)
        ],
        "stylised_facts": facts,
        "seconds": round(time.perf_counter() - started, 1),
    }
    atomic.write_text(out / "calibration.json", json.dumps(record, indent=2, ensure_ascii=False))
    write_report(record, out)
    return record
