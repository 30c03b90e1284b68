"""Score a hindcast and write its report and chart: coverage, interval scores, CRPS, PIT and skill.

Scores (``scores.py``): coverage of the central 50 % and 90 % bands; the interval score at alpha 0.1 and 0.5 in
levels divided by the observed value (the project's bar, as ``shared/tools/check_hindcast.py``), and its skill
against the naive trend; the fair ensemble CRPS on logs, with the references' CRPS in closed form (both are
normal in logs); a random walk with drift beside the naive trend.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from zgcsim.calibration.hindcast import Hindcast
from zgcsim.calibration.naive import Z90, random_walk_drift, yearly_values
from zgcsim.calibration.scores import (
    covered,
    crps_fair,
    crps_normal,
    pit_values,
    relative_interval_score,
    skill,
)

Z50 = 0.6744897501960817  # standard normal 75th percentile


def _reference_normal(p05: np.ndarray, p50: np.ndarray, p95: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and s.d. in logs of a reference band that is normal in logs."""
    mu = np.log(p50)
    return mu, (np.log(p95) - np.log(p05)) / (2 * Z90)


def scored_points(h: Hindcast) -> pd.DataFrame:
    """One row per hindcast point with every score of the model, the model alone and both references."""
    t = h.table.copy()
    obs = t["observed"].to_numpy(float)
    t["horizon"] = t["year"] - t["origin"]
    t["in50"] = covered(t["p25"], t["p75"], obs)
    t["in90"] = covered(t["p05"], t["p95"], obs)
    model_q = np.array([np.quantile(m, [0.05, 0.25, 0.75, 0.95]) for m in h.model_ensembles])
    t["model_in50"] = covered(model_q[:, 1], model_q[:, 2], obs)
    t["model_in90"] = covered(model_q[:, 0], model_q[:, 3], obs)
    t["is10"] = relative_interval_score(t["p05"], t["p95"], obs, 0.1)
    t["is50"] = relative_interval_score(t["p25"], t["p75"], obs, 0.5)
    t["model_is10"] = relative_interval_score(model_q[:, 0], model_q[:, 3], obs, 0.1)
    logs = np.log(obs)
    t["crps"] = [float(crps_fair(np.log(m)[None, :], np.array([y]))[0]) for m, y in zip(h.ensembles, logs, strict=True)]
    has = t["naive_p50"].notna().to_numpy()
    mu, sd = _reference_normal(
        t["naive_p05"].to_numpy(float), t["naive_p50"].to_numpy(float), t["naive_p95"].to_numpy(float)
    )
    t["naive_is10"] = np.where(has, relative_interval_score(t["naive_p05"], t["naive_p95"], obs, 0.1), np.nan)
    t["naive_is50"] = np.where(
        has, relative_interval_score(np.exp(mu - Z50 * sd), np.exp(mu + Z50 * sd), obs, 0.5), np.nan
    )
    t["naive_crps"] = np.where(has, crps_normal(logs, np.nan_to_num(mu), np.maximum(np.nan_to_num(sd), 1e-9)), np.nan)
    rw = [random_walk_drift(yearly_values(r.series, r.origin), r.year) for r in t.itertuples()]
    lo = np.array([b.p05 if b else np.nan for b in rw])
    mid = np.array([b.p50 if b else np.nan for b in rw])
    hi = np.array([b.p95 if b else np.nan for b in rw])
    t["rw_is10"] = np.where(has, relative_interval_score(lo, hi, obs, 0.1), np.nan)
    rmu, rsd = _reference_normal(lo, mid, hi)
    t["rw_crps"] = np.where(has, crps_normal(logs, np.nan_to_num(rmu), np.maximum(np.nan_to_num(rsd), 1e-9)), np.nan)
    t["pit"] = pit_values_rows(h)
    return t


def pit_values_rows(h: Hindcast) -> np.ndarray:
    """Randomised PIT of every point in its predictive ensemble (seeded: the chart replays)."""
    rng = np.random.default_rng(h.budget.seed)
    return np.array(
        [
            float(pit_values(m[None, :], np.array([y]), rng)[0])
            for m, y in zip(h.ensembles, h.table["observed"], strict=True)
        ]
    )


def summary(points: pd.DataFrame) -> pd.DataFrame:
    """Scores per origin and pooled (the last row)."""
    rows = []
    for label, g in [*((str(o), g) for o, g in points.groupby("origin")), ("pooled", points)]:
        ref = g[g["naive_is10"].notna()]
        rows.append(
            {
                "origin": label,
                "points": len(g),
                "cov50": g["in50"].mean(),
                "cov90": g["in90"].mean(),
                "model_cov50": g["model_in50"].mean(),
                "model_cov90": g["model_in90"].mean(),
                "is10": g["is10"].mean(),
                "is50": g["is50"].mean(),
                "crps_log": g["crps"].mean(),
                "naive_is10": ref["naive_is10"].mean(),
                "skill_is10": skill(ref["is10"], ref["naive_is10"]),
                "skill_is50": skill(ref["is50"], ref["naive_is50"]),
                "skill_crps": skill(ref["crps"], ref["naive_crps"]),
                "model_alone_skill_is10": skill(ref["model_is10"], ref["naive_is10"]),
                "rw_is10": ref["rw_is10"].mean(),
                "skill_vs_rw_is10": skill(ref["is10"], ref["rw_is10"]),
                "skill_vs_rw_crps": skill(ref["crps"], ref["rw_crps"]),
                "reference_points": len(ref),
            }
        )
    return pd.DataFrame(rows)


def _fmt(v: float, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v * 100:.0f} %" if pct else f"{v:.3f}"


def report_markdown(h: Hindcast) -> str:
    """The hindcast report (markdown)."""
    pts = scored_points(h)
    s = summary(pts)
    b = h.budget
    lines = [
        "# Hindcast: rolling-origin out-of-sample tests on the record up to 2017",
        "",
        "Written by `zgcsim hindcast` (zgcsim/calibration/hindcast.py). For each origin T the calibration saw only "
        "the observations of year <= T; the spin-up was then run from the 2013 population to 2017 with parameter "
        "sets drawn from that origin's posterior, and every held-out full-year figure (basis sourced or derived, "
        "of a series the calibration compares with the model, year > T) was scored. The predictive distribution "
        "is the simulator times exp(discrepancy): a log random walk from T whose per-year s.d. for origin T was "
        "estimated **without T's own residuals** (leave one origin out). The discrepancy from all origins is in "
        "`discrepancy.json` and is what projections use.",
        "",
        "## Budget",
        "",
        f"- Calibration per origin: {b.evaluations} model evaluations (the committed calibration used 2400), each "
        f"{b.replicates} spin-ups with common random numbers; seed {b.seed}. A budget this small leaves a short "
        "chain, so each origin's posterior is wider and rougher than a full calibration's.",
        f"- Projection per origin: {b.runs} spin-up runs drawn from the posterior ensemble, each with {b.draws} "
        f"discrepancy paths ({b.runs * b.draws} predictive members per point).",
        f"- Population: {'small test population (' + str(h.extra) + ')' if h.extra else 'full 2013 population'}.",
        f"- Wall time of this invocation {h.seconds:.0f} s (a calibration resumed from its checkpoint in the work "
        "folder replays its evaluations and is faster than a fresh one); per origin: "
        + ", ".join(f"{r.origin}: {r.seconds:.0f} s ({r.moments} moments)" for r in h.origins)
        + ".",
        "",
        "## Scores",
        "",
        "Coverage: share of held-out points inside the central band (nominal 50 % and 90 %). IS: interval score in "
        "levels divided by the observed value (alpha 0.1 for the 90 % band, 0.5 for the 50 % band), as the "
        "project's bar computes it. CRPS: fair ensemble CRPS of the log values. Skill = 1 - mean score of the "
        "model / mean score of the reference, over the points where the reference exists (the series has a "
        "full-year figure up to T). 'Model alone' is the simulator without discrepancy.",
        "",
        "| origin | points | 50 % band | 90 % band | model alone 50 / 90 % | IS 0.1 | IS 0.5 | CRPS (log) | "
        "naive IS 0.1 | skill IS 0.1 | skill IS 0.5 | skill CRPS | model-alone skill IS 0.1 | RW-drift IS 0.1 | "
        "skill vs RW (IS / CRPS) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in s.itertuples():
        lines.append(
            f"| {r.origin} | {r.points} ({r.reference_points} with reference) | {_fmt(r.cov50, True)} | "
            f"{_fmt(r.cov90, True)} | {_fmt(r.model_cov50, True)} / {_fmt(r.model_cov90, True)} | {_fmt(r.is10)} | "
            f"{_fmt(r.is50)} | {_fmt(r.crps_log)} | {_fmt(r.naive_is10)} | {r.skill_is10:+.2f} | "
            f"{r.skill_is50:+.2f} | {r.skill_crps:+.2f} | {r.model_alone_skill_is10:+.2f} | {_fmt(r.rw_is10)} | "
            f"{r.skill_vs_rw_is10:+.2f} / {r.skill_vs_rw_crps:+.2f} |"
        )
    lines += [
        "",
        "Naive trend (DESIGN.md): a least-squares log-linear trend through the series' sourced or derived "
        "full-year figures up to T, from the last figure, 90 % band +-1.645 x 0.05 x sqrt(years ahead) in logs "
        "(`zgcsim/calibration/naive.py`, the same rule as `shared/tools/check_hindcast.py`). Random walk with "
        "drift: drift and step s.d. from the same figures (step 0.05 when fewer than three figures).",
        "",
        "## Coverage by horizon (years after the origin)",
        "",
        "| horizon | points | 50 % band | 90 % band | model alone 90 % |",
        "|---|---|---|---|---|",
    ]
    for hz, g in pts.groupby("horizon"):
        lines.append(
            f"| {hz} | {len(g)} | {_fmt(g['in50'].mean(), True)} | {_fmt(g['in90'].mean(), True)} | "
            f"{_fmt(g['model_in90'].mean(), True)} |"
        )
    d = h.discrepancy
    lines += [
        "",
        "## Model discrepancy",
        "",
        f"Estimator: {d['estimator']}. r = log observed - median of the simulator's log values; s^2 = their "
        "variance across the posterior runs; h = years after the origin; c_g = summed squared coefficients of the "
        "series' terms in group g (2 for rd_intensity, a ratio of two output series). Series are pooled into "
        "groups because each has only a few points. Per-year s.d. (logs):",
        "",
        "| group | covers | points | mean residual (log; + = model low) | mean PIT | sigma (all origins; "
        "projections) | " + " | ".join(f"sigma without {o}" for o in sorted(h.loo_sigmas)) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(h.loo_sigmas),
    ]
    from zgcsim.calibration.discrepancy import GROUPS

    for g, v in d["groups"].items():
        member = next((b for b, gg in GROUPS.items() if gg == g), None)
        loo = " | ".join(f"{h.loo_sigmas[o][member]:.3f}" for o in sorted(h.loo_sigmas))
        in_group = pts[pts["series"].map(lambda x, g=g: GROUPS.get(x) == g)]
        bias = float(np.mean(np.log(in_group["observed"] / in_group["p50"]))) if len(in_group) else float("nan")
        pit = float(in_group["pit"].mean()) if len(in_group) else float("nan")
        lines.append(
            f"| {g} | {v['covers']} | {v['points']}{' (pooled sigma)' if v['pooled'] else ''} | {bias:+.3f} | "
            f"{pit:.2f} | {v['sigma']:.3f} | {loo} |"
        )
    lines += [
        "",
        f"All points: mean PIT {pts['pit'].mean():.2f} (0.50 when unbiased), {int((pts['pit'] > 0.5).sum())} of "
        f"{len(pts)} above 0.5. The discrepancy is zero-mean: where the model is biased (a mean residual away from "
        "0) the random walk widens the bands but does not move them. A group's sigma is 0 when the posterior "
        "runs' own spread already covers its residuals; the hindcast posteriors come from a small budget and few "
        "moments and are wider than the committed calibration's, so these sigmas understate what a tighter "
        "ensemble would need.",
        "",
        f"Rule for indicators: {d['rule']}. Not covered: "
        + "; ".join(f"{k} ({v})" for k, v in d["not_covered"].items())
        + ".",
        "",
        "## Points",
        "",
        "| origin | series | year | observed | p05 | p50 | p95 | naive p50 | in 90 % | PIT |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in pts.itertuples():
        lines.append(
            f"| {r.origin} | {r.series} | {r.year} | {r.observed:.6g} | {r.p05:.4g} | {r.p50:.4g} | {r.p95:.4g} | "
            f"{r.naive_p50:.4g} | {'yes' if r.in90 else 'no'} | {r.pit:.2f} |"
        )
    lines += [
        "",
        "## What this does and does not show",
        "",
        "- Only the calibration's moments are cut at the origin. The parameter ranges, the 2013 synthetic "
        "population and the model's structure were written by people who had seen the record to 2017, so this "
        "is an out-of-sample test of the fit, not of the model's design.",
        "- The points are few (each origin scores the years left up to 2017) and overlap across origins (the 2017 "
        "figures are scored from every origin), so coverage carries a wide sampling error: with perfectly "
        "calibrated 90 % bands, 20 points land in 80-97 % with probability about 0.84 (uncertainty.md 1.2).",
        "- The hindcast horizons are 1-3 years; projections run 5 years past 2017, and their discrepancy is the "
        "same random walk extrapolated.",
        "",
    ]
    return "\n".join(lines)


def chart_png(h: Hindcast) -> bytes:
    """PNG: the pooled rank (PIT) histogram, and coverage of the 50 % and 90 % bands by horizon."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = scored_points(h)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    bins = np.linspace(0, 1, 11)
    a.hist(pts["pit"], bins=bins, color="#4477aa", edgecolor="white")
    a.axhline(len(pts) / 10, color="black", linestyle="--", linewidth=1, label="flat (calibrated)")
    a.set_xlabel("PIT of the observed value in the predictive ensemble")
    a.set_ylabel("points")
    a.set_title(f"Rank histogram, all origins ({len(pts)} points)")
    a.legend(frameon=False)
    by = pts.groupby("horizon")
    hz = np.array(sorted(by.groups))
    for col, nominal, colour, label in [
        ("in50", 0.5, "#228833", "50 % band"),
        ("in90", 0.9, "#4477aa", "90 % band"),
        ("model_in90", 0.9, "#bbbbbb", "90 % band, model alone"),
    ]:
        b.plot(hz, by[col].mean().reindex(hz) * 100, marker="o", color=colour, label=label)
        b.axhline(nominal * 100, color=colour, linestyle=":", linewidth=1)
    b.set_xticks(hz)
    b.set_xlabel("years after the origin")
    b.set_ylabel("coverage, %")
    b.set_ylim(0, 105)
    b.set_title("Coverage by horizon (dotted: nominal)")
    b.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
