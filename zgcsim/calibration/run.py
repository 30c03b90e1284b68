"""``zgcsim calibrate``: search, ensemble, fit report, and the versioned calibration file.

The calibration file (``calibration.json``) holds the calibrated parameters' names and ranges, the
optimiser's best point, the ABC ensemble (parameter sets, their losses and weights), the per-moment fit, the
stylised-fact checks, the hashes of the data it was fitted to, the code version and the seed. ``zgcsim run``
samples the ensemble by default and records which calibration it used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from zgcsim import __version__
from zgcsim.calibration.facts import stylised_facts
from zgcsim.calibration.moments import load_moments
from zgcsim.calibration.report import write_report
from zgcsim.calibration.search import CALIBRATED, Checkpoint, Evaluator, Settings, _key, abc_draws, bounds, optimise
from zgcsim.calibration.spinup import SMALL_SPINUP
from zgcsim.results import _git_commit

FORMAT_VERSION = 1


def data_hash() -> str:
    """SHA-256 of the observed data and the parameter table the calibration rests on."""
    digest = hashlib.sha256()
    for name in ("data/zgc_observed_to_2017.csv", "data/parameters.toml"):
        digest.update(resources.files("zgcsim").joinpath(name).read_bytes())
    return digest.hexdigest()


def calibrate(
    out: Path,
    budget: int = 240,
    replicates: int = 3,
    seed: int = 2013,
    workers: int = 1,
    accept_share: float = 0.1,
    small: bool = False,
    progress: bool = True,
) -> dict:
    """Run the whole calibration into folder ``out`` and return the calibration record.

    ``budget`` evaluations are split evenly between the optimiser and the ABC prior draws; each evaluation is
    ``replicates`` spin-ups with common random numbers. ``small`` uses a small 2013 population (for tests).
    """
    out.mkdir(parents=True, exist_ok=True)
    moments = load_moments()
    settings = Settings(
        seed=seed,
        replicates=replicates,
        optimiser_evaluations=budget // 2,
        abc_draws=max(budget - budget // 2, 4),
        accept_share=accept_share,
        extra=tuple(SMALL_SPINUP.items()) if small else (),
    )
    fingerprint = settings.fingerprint(moments)
    checkpoint = Checkpoint(out / "checkpoint.jsonl", fingerprint)
    started = time.perf_counter()
    bar = tqdm(
        total=budget,
        initial=min(len(checkpoint.done), budget),
        desc="calibration evaluations",
        unit="eval",
        disable=not progress,
        dynamic_ncols=True,
    )
    evaluate = Evaluator(moments, settings, checkpoint, workers, bar.update)
    try:
        best = optimise(evaluate, settings)
        draws = abc_draws(settings)
        losses = np.array(evaluate(draws))
    finally:
        bar.close()
        evaluate.close()
    keep = np.argsort(losses)[: max(2, int(round(accept_share * len(draws))))]
    ensemble = [
        {
            "values": dict(zip(CALIBRATED, map(float, draws[i]), strict=True)),
            "loss": float(losses[i]),
            "weight": 1.0 / len(keep),
            "moments": checkpoint.done[_key(draws[i])][1],
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
        "method": "method of simulated moments by differential evolution (scipy), then ABC rejection on "
        "Latin-hypercube prior draws keeping the best accept_share (equal weights)",
        "window": "2013 baseline, spin-up 2014-2017; no observation after 2017 is used",
        "parameters": [{"name": n, "low": lo, "high": hi} for n, (lo, hi) in zip(CALIBRATED, bounds(), strict=True)],
        "best": {"values": dict(zip(CALIBRATED, map(float, best), strict=True)), "loss": best_loss},
        "abc_tolerance": float(np.sort(losses)[len(keep) - 1]),
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
    (out / "calibration.json").write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    write_report(record, out)
    return record
