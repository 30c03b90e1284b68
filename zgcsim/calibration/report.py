"""The fit report: per-moment table, ``fit.csv`` for charts, a chart, and a Markdown summary."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from zgcsim.calibration.moments import TOLERANCE, within_tolerance
from zgcsim.running import atomic


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: list[float]) -> np.ndarray:
    """Quantiles ``q`` of ``values`` under the normalised ``weights`` (the inverse of the weighted CDF)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    at = np.searchsorted(cumulative, np.asarray(q) - 1e-12)
    return values[order][np.minimum(at, len(values) - 1)]


def _weights(record: dict) -> np.ndarray:
    return np.array([member["weight"] for member in record["ensemble"]], dtype=float)


def fit_table(record: dict) -> pd.DataFrame:
    """One row per moment: observed, the best point, and the ensemble's weighted 5/50/95 % across its members."""
    sims = np.array([member["moments"] for member in record["ensemble"]])
    weights = _weights(record)
    rows = []
    for j, m in enumerate(record["moments"]):
        p05, p50, p95 = weighted_quantiles(sims[:, j], weights, [0.05, 0.5, 0.95])
        rows.append(
            {
                "series": m["series"],
                "year": m["year"],
                "period": m["period"],
                "observed": m["observed"],
                "basis": m["basis"],
                "tolerance": m["tolerance"],
                "sim_best": m["best"],
                "sim_p05": p05,
                "sim_p50": p50,
                "sim_p95": p95,
                "within_tolerance": within_tolerance(m["observed"], m["tolerance"], m["one_sided"], p50),
                "within_at_best": within_tolerance(m["observed"], m["tolerance"], m["one_sided"], m["best"]),
            }
        )
    return pd.DataFrame(rows)


MONTHS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10,
          "Nov": 11, "Dec": 12}  # fmt: skip


def _when(year: int, period: str) -> float:
    """Where a moment sits on a time axis: a full year at its year, a month's stock at that month's end."""
    return float(year) if period == "FY" else year - 1 + MONTHS[period] / 12


def _chart(table: pd.DataFrame, path: Path) -> None:
    series = list(dict.fromkeys(table["series"]))
    cols = 4
    rows = int(np.ceil(len(series) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, name in zip(axes.flat, series, strict=False):
        t = table[table["series"] == name].copy()
        t["x"] = [_when(y, p) for y, p in zip(t["year"], t["period"], strict=True)]
        t = t.sort_values("x")
        if len(t) > 1:
            ax.fill_between(t["x"], t["sim_p05"], t["sim_p95"], alpha=0.3, label="simulated 5-95 %")
        else:  # one moment: the band is a bar
            ax.vlines(t["x"], t["sim_p05"], t["sim_p95"], lw=10, alpha=0.3, label="simulated 5-95 %")
        ax.plot(t["x"], t["sim_p50"], "o-", label="simulated median")
        # the observation with its tolerance: a lower bound only has a floor
        below = t["observed"] * t["tolerance"]
        above = np.where(t["basis"] == "lower_bound", 0.0, below)
        ax.errorbar(t["x"], t["observed"], yerr=[below, above], fmt="ks", capsize=3, label="observed, tolerance")
        ax.set_xlim(t["x"].min() - 0.7, t["x"].max() + 0.7)
        ax.set_xticks(range(int(np.ceil(t["x"].min() - 0.7)), int(np.floor(t["x"].max() + 0.7)) + 1))
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(series) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Calibration fit: the 2013-2017 spin-up against the zone's record", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def _mixing(sampler: dict) -> list[str]:
    """The sampler's mixing diagnostics: moves, thinning, autocorrelation times and effective sample size."""
    if "effective_sample_size_min" not in sampler:
        return []  # a record written before these diagnostics existed
    tau, ratio = sampler["autocorrelation_time"], sampler["chain_over_tau"]
    if not np.isfinite(tau):
        return [
            "## Mixing of the posterior sampler",
            "",
            f"Moves: {sampler.get('moves', 'stretch')}. The chain of {sampler['steps']} steps is too short for "
            "emcee to estimate an integrated autocorrelation time, so no effective sample size can be given: the "
            f"ensemble is the optimiser's best region after {sampler['steps']} sampler steps (first "
            f"{sampler['burn_in']} discarded), not a mixed posterior sample.",
            "",
        ]
    verdict = (
        "long enough by emcee's rule of thumb (at least 50 tau)"
        if ratio >= 50
        else "shorter than emcee's rule of thumb of 50 tau: treat tau and the effective sample size as rough "
        "(they are underestimated on short chains)"
    )
    return [
        "## Mixing of the posterior sampler",
        "",
        f"Moves: {sampler.get('moves', 'stretch')}. Integrated autocorrelation time tau per parameter: emcee's "
        f"estimate (longest {sampler.get('autocorrelation_time_emcee', float('nan')):.1f} steps), raised to the "
        f"time the rejection rate alone implies, (2 - a) / a = "
        f"{sampler.get('autocorrelation_time_rejection_floor', float('nan')):.1f} steps, where that is larger: "
        f"longest {tau:.1f} steps, median {sampler['autocorrelation_time_median']:.1f}. Burn-in "
        f"{sampler['burn_in']} steps (2.5 tau, at most half the chain); thinned by {sampler.get('thin', 1)}. "
        f"Effective sample size (walkers x kept steps / tau): smallest {sampler['effective_sample_size_min']:.0f}, "
        f"median {sampler['effective_sample_size_median']:.0f}. The chain is {ratio:.1f} tau long: {verdict}.",
        "",
    ]


def write_report(record: dict, out: Path) -> pd.DataFrame:
    """Write ``fit.csv``, ``fit.png`` and ``fit_report.md`` into ``out``; return the fit table."""
    table = fit_table(record)
    fit_columns = table[
        [
            "series",
            "year",
            "period",
            "observed",
            "basis",
            "sim_p05",
            "sim_p50",
            "sim_p95",
            "sim_best",
            "within_tolerance",
            "within_at_best",
        ]
    ]
    atomic.write_csv(out / "fit.csv", fit_columns)
    atomic.write_with(out / "fit.png", lambda tmp: _chart(table, tmp), suffix=".png")
    lines = [
        f"# Calibration fit ({record['id']})",
        "",
        record["method"] + ".",
        record["window"] + ".",
        "",
        f"Seed {record['seed']}; {len(record['ensemble'])} ensemble members "
        f"({record['sampler']['distinct_members']} distinct) from {record['sampler']['walkers']} walkers x "
        f"{record['sampler']['steps']} steps (first {record['sampler']['burn_in']} discarded; acceptance "
        f"{record['sampler']['acceptance_fraction']:.2f}; autocorrelation time about "
        f"{record['sampler']['autocorrelation_time']:.1f} steps); best loss {record['best']['loss']:.2f}; "
        f"data SHA-256 {record['data_sha256'][:16]}; {record['seconds']} s.",
        "",
        *_mixing(record["sampler"]),
        "## Per-moment fit (ensemble weighted median and 5-95 % band; the best point)",
        "",
        f"{int(table.within_tolerance.sum())} of {len(table)} moments are within tolerance at the ensemble's "
        f"median, {int(table.within_at_best.sum())} at the best point.",
        "",
        "| moment | observed | basis | tolerance | median | 5-95 % | within | best | within at best |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.series} {r.year} {r.period} | {r.observed:,.6g} | {r.basis} | {r.tolerance:.0%} | "
            f"{r.sim_p50:,.6g} | {r.sim_p05:,.6g} to {r.sim_p95:,.6g} | {'yes' if r.within_tolerance else 'no'} | "
            f"{r.sim_best:,.6g} | {'yes' if r.within_at_best else 'no'} |"
        )
    lines += [
        "",
        "## Parameters: prior range and posterior ensemble (weighted median, 90 % interval)",
        "",
        "| parameter | prior range | best | median | 5-95 % |",
        "|---|---|---|---|---|",
    ]
    for p in record["parameters"]:
        vals = np.array([m["values"][p["name"]] for m in record["ensemble"]])
        p05, p50, p95 = weighted_quantiles(vals, _weights(record), [0.05, 0.5, 0.95])
        lines.append(
            f"| {p['name']} | {p['low']:g} to {p['high']:g} | {record['best']['values'][p['name']]:.4g} | "
            f"{p50:.4g} | {p05:.4g} to {p95:.4g} |"
        )
    lines += [
        "",
        "## Stylised facts (best point, one spin-up)",
        "",
        "| fact | statistic | range | holds |",
        "|---|---|---|---|",
    ]
    for fact in record["stylised_facts"]:
        lines.append(
            f"| {fact['fact']} | {fact['statistic']} | {fact['range'][0]} to {fact['range'][1]} | "
            f"{'yes' if fact['holds'] else 'no'} |"
        )
    lines += ["", f"Tolerances by basis: {TOLERANCE} (relative); lower bounds are one-sided.", ""]
    atomic.write_text(out / "fit_report.md", "\n".join(lines))
    return table
