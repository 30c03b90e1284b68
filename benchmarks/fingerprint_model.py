"""Print a fingerprint of full-scale model runs, to check that a speed change leaves the results byte-identical.

Runs a few replicates of two scenarios to the end of 2022 and hashes every firm column at the end, the yearly
indicators, the parks' tables, the relocations and the fiscal costs. Compare the printed line before and after
a change (issue 15: "results stay byte-identical unless a change is stated and its effect shown").
Run: python benchmarks/fingerprint_model.py [--replicates 3]
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel


def fingerprint(replicates: int, scenarios: tuple[str, ...]) -> dict[str, str]:
    """Return a hex digest per scenario of its runs' end states and yearly outputs."""
    out = {}
    for name in scenarios:
        digest = hashlib.sha256()
        scenario = resolve_scenario(name)
        for r in range(replicates):
            model = ParkModel(scenario, replicate_seed(20180101, r))
            history = model.run()
            for column in sorted(model.firms.columns):
                digest.update(np.ascontiguousarray(model.firms.columns[column]).tobytes())
            digest.update(np.ascontiguousarray(model.firms.pending).tobytes())
            digest.update(repr(sorted(history.items())).encode())
            for year in sorted(model.park_history):
                digest.update(np.ascontiguousarray(model.park_history[year]).tobytes())
            digest.update(repr(sorted(model.relocations.items())).encode())
            digest.update(repr(model.fiscal).encode())
            digest.update(model.datacollector.get_model_vars_dataframe().to_csv().encode())
        out[name] = digest.hexdigest()[:16]
    return out


def main() -> None:
    """Print one fingerprint per scenario."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=3)
    args = parser.parse_args()
    for name, digest in fingerprint(args.replicates, ("action_plan", "no_new_policy")).items():
        print(f"{name}: {digest}")


if __name__ == "__main__":
    main()
