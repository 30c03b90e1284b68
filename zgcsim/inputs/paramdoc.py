"""Render the parameter table (``zgcsim/data/parameters.toml``) as Markdown for docs/parameters.md."""

from __future__ import annotations

from zgcsim.inputs.parameters import PARAMETERS

KIND_TITLES = {
    "data": "Sourced 2017 aggregates the population reproduces",
    "uncertain": "Uncertain inputs: unknown baselines, drawn uniformly per replicate",
    "prior": "Behavioural parameters with an empirical prior (research/priors.md)",
    "free": "Free behavioural parameters (no retrieved source: calibrated or varied in sensitivity analysis)",
    "rule": "Rules that define indicators the plan leaves undefined",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def parameter_table_markdown() -> str:
    """Return docs/parameters.md: one table per kind, every parameter with value, range, unit and source."""
    lines = [
        "# Parameters",
        "",
        "Generated from `zgcsim/data/parameters.toml` by `python -m zgcsim.inputs.paramdoc > docs/parameters.md`;",
        "a test checks that this file matches the table. OBS is `zgcsim/data/zgc_observed_to_2017.csv`; UNK is",
        "the shared `data/README.md`, section 'What is not known for 2017'; rows refer to Table 1 of",
        "`research/priors.md`.",
    ]
    for kind, title in KIND_TITLES.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| name | value | range | unit | source | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for p in PARAMETERS:
            if p.kind == kind:
                lines.append(
                    f"| `{p.name}` | {p.value:g} | {p.low:g} to {p.high:g} | {_cell(p.unit)} | {_cell(p.source)} "
                    f"| {_cell(p.description)} |"
                )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(parameter_table_markdown(), end="")
