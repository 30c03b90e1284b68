"""Experiment files: read an experiment TOML, validate it, and resolve its scenarios and design variables.

An experiment names the scenarios to run (library names, paths, or ``"*"`` for the whole library, globbed at
run time), the replicates per design point, a root seed, and a design over uncertain inputs, behavioural
parameters and levers. Every problem is raised as a ``UserInputError`` naming the file, the key and what is
wrong, before any run starts.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zgcsim.errors import UserInputError
from zgcsim.inputs import levers as lever_catalogue
from zgcsim.inputs import parameters
from zgcsim.inputs.scenario import FIRST_DAY, Scenario, closest, with_levers

# Behavioural parameters a design may vary; data (sourced 2017 figures) and rules (indicator definitions) are fixed
VARIABLE_KINDS = ("uncertain", "prior", "free")


class Bounds(BaseModel):
    """An optional narrowed range of one design variable (defaults: the declared range)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float | None = Field(default=None, description="lower end of the range")
    high: float | None = Field(default=None, description="upper end of the range")


class DesignSpec(BaseModel):
    """The sampling design over inputs and levers, as written in the experiment file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["montecarlo", "lhs", "sobol", "morris"] = Field(
        default="montecarlo", description="plain Monte Carlo, Latin hypercube, Sobol (Saltelli) or Morris"
    )
    n: int | None = Field(
        default=None,
        ge=1,
        description="montecarlo/lhs: design points; sobol: base sample N (a power of 2; N*(D+2) points); "
        "morris: trajectories (r*(D+1) points)",
    )
    inputs: list[str] | dict[str, Bounds] = Field(
        default_factory=list, description="uncertain inputs or behavioural parameters, optionally with ranges"
    )
    all_of_kind: list[Literal["uncertain", "prior", "free"]] = Field(
        default_factory=list, description="add every parameter of these kinds at its declared range"
    )
    levers: list[str] | dict[str, Bounds] = Field(
        default_factory=list, description="levers held at a design value over 2018-2022, optionally with ranges"
    )
    constants: dict[str, float] = Field(
        default_factory=dict, description="parameter values fixed for every run (e.g. a small population)"
    )
    levels: int = Field(default=4, ge=2, description="Morris grid levels")
    second_order: bool = Field(default=False, description="Sobol: also second-order indices (N*(2D+2) points)")
    seeds: Literal["paired", "independent"] = Field(
        default="paired",
        description="paired: replicate r uses the same seed at every design point (common random numbers); "
        "independent: every (point, replicate) has its own seed. Scenarios are always paired.",
    )


class AnalysisSpec(BaseModel):
    """Choices for ``zgcsim analyze``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str | None = Field(default=None, description="scenario the others are compared with")
    prim_threshold: float = Field(
        default=0.8, gt=0, le=1, description="PRIM: share of runs in a box meeting the target"
    )


class ExperimentSpec(BaseModel):
    """An experiment file, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str = ""
    question: str = ""
    scenarios: list[str] = Field(min_length=1, description="library names, paths, or '*' for the whole library")
    replicates: int = Field(ge=1, description="replicates per scenario and design point")
    seed: int = Field(ge=0, description="root seed: replicate seeds and the design seed derive from it")
    calibration: str = Field(
        default="auto",
        description="'auto': the committed calibration/calibration.json if there is one; 'none': the parameter "
        "table's central values; or a calibration file (relative to the experiment file)",
    )
    discrepancy: str = Field(
        default="auto",
        description="'auto': the committed calibration/discrepancy.json if there is one; 'none': no model "
        "discrepancy (value = the simulator's output); or a discrepancy file (relative to the experiment file)",
    )
    design: DesignSpec = Field(default_factory=DesignSpec)
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)


@dataclass(frozen=True)
class Variable:
    """One design variable: a model parameter or a lever, and the range the design spans."""

    name: str
    kind: Literal["parameter", "lever"]
    low: float
    high: float
    whole: bool = False  # a count or a switch: design values are rounded to whole numbers


@dataclass(frozen=True)
class Experiment:
    """A validated experiment with its scenarios resolved and its design variables in a fixed order."""

    spec: ExperimentSpec
    path: str
    scenarios: tuple[Scenario, ...]
    variables: tuple[Variable, ...]
    calibration_path: str | None = None  # the calibration file every run samples its parameter set from
    calibration_sha256: str = "none"
    discrepancy_path: str | None = None  # the model-discrepancy file every run draws its paths from
    discrepancy_sha256: str = "none"

    @property
    def parameter_variables(self) -> tuple[Variable, ...]:
        """The design variables that are model parameters."""
        return tuple(v for v in self.variables if v.kind == "parameter")

    @property
    def lever_variables(self) -> tuple[Variable, ...]:
        """The design variables that are levers."""
        return tuple(v for v in self.variables if v.kind == "lever")

    def config_hash(self) -> str:
        """SHA-256 of everything that decides the runs: the validated spec and the scenario files' contents."""
        payload = {
            "spec": self.spec.model_dump(mode="json"),
            "scenarios": [[sc.name, sc.fingerprint()] for sc in self.scenarios],
            "variables": [[v.name, v.kind, v.low, v.high] for v in self.variables],
            "calibration": self.calibration_sha256,
            "discrepancy": self.discrepancy_sha256,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserInputError("file not found" if not path.exists() else "not a file", path=path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise UserInputError(f"not UTF-8 text (byte {err.start})", path=path) from None
    except tomllib.TOMLDecodeError as err:
        raise UserInputError(f"malformed TOML: {err}", path=path) from None


def _first_error(err: ValidationError, path: Path) -> UserInputError:
    """Turn pydantic's first error into one line naming the dotted key."""
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    # the union list|dict of inputs/levers reports both branches; name the key only
    loc = [p for p in loc if p not in ("list[str]", "dict[str,Bounds]")]
    key = ".".join(loc) or None
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "missing (required)"
    return UserInputError(message, path=path, key=key)


def _named_bounds(entries: list[str] | dict[str, Bounds]) -> list[tuple[str, Bounds]]:
    if isinstance(entries, list):
        return [(name, Bounds()) for name in entries]
    return list(entries.items())


def _variable(
    name: str, bounds: Bounds, low: float, high: float, kind: str, path: Path, key: str, whole: bool = False
) -> Variable:
    lo = low if bounds.low is None else bounds.low
    hi = high if bounds.high is None else bounds.high
    if not low <= lo < hi <= high:
        raise UserInputError(
            f"range [{lo:g}, {hi:g}] must be increasing and inside the declared [{low:g}, {high:g}]",
            path=path,
            key=key,
        )
    return Variable(name, kind, lo, hi, whole)  # type: ignore[arg-type]


def _resolve_variables(spec: DesignSpec, path: Path) -> tuple[Variable, ...]:
    variables: list[Variable] = []
    inputs = _named_bounds(spec.inputs)
    if spec.all_of_kind:
        listed = {name for name, _ in inputs}
        inputs += [
            (p.name, Bounds())
            for p in parameters.PARAMETERS
            if p.kind in spec.all_of_kind and p.name not in listed and p.low < p.high  # a fixed value cannot vary
        ]
    for name, bounds in inputs:
        key = f"design.inputs.{name}"
        p = parameters.BY_NAME.get(name)
        if p is None:
            raise UserInputError(f"unknown parameter{closest(name, tuple(parameters.BY_NAME))}", path=path, key=key)
        if p.kind not in VARIABLE_KINDS:
            raise UserInputError(
                f"is a '{p.kind}' value and cannot be varied (only {', '.join(VARIABLE_KINDS)})", path=path, key=key
            )
        variables.append(_variable(name, bounds, p.low, p.high, "parameter", path, key))
    for name, bounds in _named_bounds(spec.levers):
        key = f"design.levers.{name}"
        lever = lever_catalogue.BY_NAME.get(name)
        if lever is None:
            raise UserInputError(f"unknown lever{closest(name, tuple(lever_catalogue.BY_NAME))}", path=path, key=key)
        variables.append(_variable(name, bounds, lever.low, lever.high, "lever", path, key, lever.whole))
    names = [v.name for v in variables]
    for name in names:
        if names.count(name) > 1:
            raise UserInputError("listed twice", path=path, key=f"design.inputs.{name}")
    for name in spec.constants:
        key = f"design.constants.{name}"
        if name not in parameters.BY_NAME:
            raise UserInputError(f"unknown parameter{closest(name, tuple(parameters.BY_NAME))}", path=path, key=key)
        if name in names:
            raise UserInputError("is both a design input and a constant", path=path, key=key)
    return tuple(variables)


def _check_design_size(spec: DesignSpec, variables: tuple[Variable, ...], path: Path) -> None:
    if not variables:
        if spec.kind != "montecarlo":
            raise UserInputError(f"a {spec.kind} design needs at least one input or lever", path=path, key="design")
        if spec.n not in (None, 1):
            raise UserInputError(
                "without inputs or levers there is one design point; use 'replicates' for more runs",
                path=path,
                key="design.n",
            )
        return
    if spec.n is None:
        raise UserInputError("missing (required when the design has inputs or levers)", path=path, key="design.n")
    if spec.kind == "sobol" and spec.n & (spec.n - 1):
        raise UserInputError(f"a Sobol base sample must be a power of 2, got {spec.n}", path=path, key="design.n")
    if spec.kind == "morris" and spec.n < 2:
        raise UserInputError("Morris needs at least 2 trajectories", path=path, key="design.n")


def resolve_scenarios(entries: list[str], path: Path) -> tuple[Scenario, ...]:
    """Resolve library names, paths (relative to the experiment file) and ``"*"`` (the whole library, globbed now)."""
    from zgcsim.inputs.scenario import LIBRARY, resolve_scenario

    resolved: list[Scenario] = []
    for i, entry in enumerate(entries):
        key = f"scenarios[{i}]"
        if entry == "*":
            found = sorted(LIBRARY.glob("*.toml"))
            if not found:
                raise UserInputError(f"the scenario library {LIBRARY} is empty", path=path, key=key)
            resolved.extend(resolve_scenario(p) for p in found)
            continue
        candidate = path.parent / entry
        spec: str | Path = candidate if candidate.suffix == ".toml" and candidate.exists() else entry
        if Path(spec).suffix == "" and not (LIBRARY / f"{entry}.toml").exists():
            raise UserInputError(f"no scenario '{entry}' in the library {LIBRARY}", path=path, key=key)
        try:
            resolved.append(resolve_scenario(spec))
        except UserInputError as err:
            raise UserInputError(f"scenario '{entry}': {err.one_line()}", path=path, key=key) from None
    seen: set[str] = set()
    unique = []
    for sc in resolved:  # '*' plus a named library scenario must not run it twice
        if sc.name not in seen:
            seen.add(sc.name)
            unique.append(sc)
    return tuple(unique)


def parse_experiment(data: dict[str, Any], path: str | Path) -> Experiment:
    """Validate parsed TOML ``data`` read from ``path`` and resolve it into an ``Experiment``."""
    path = Path(path)
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as err:
        raise _first_error(err, path) from None
    variables = _resolve_variables(spec.design, path)
    _check_design_size(spec.design, variables, path)
    scenarios = resolve_scenarios(spec.scenarios, path)
    reference = spec.analysis.reference
    if reference is not None and reference not in {sc.name for sc in scenarios}:
        raise UserInputError(
            f"'{reference}' is not one of the experiment's scenarios", path=path, key="analysis.reference"
        )
    calibration_path, calibration_sha = _resolve_calibration(spec.calibration, path)
    discrepancy_path, discrepancy_sha = _resolve_discrepancy(spec.discrepancy, path)
    return Experiment(
        spec=spec,
        path=str(path),
        scenarios=scenarios,
        variables=variables,
        calibration_path=calibration_path,
        calibration_sha256=calibration_sha,
        discrepancy_path=discrepancy_path,
        discrepancy_sha256=discrepancy_sha,
    )


def _resolve_input_file(
    choice: str, path: Path, key: str, default: Path, load: Callable[[Path], Any]
) -> tuple[str | None, str]:
    """A file the runs read: its resolved path (or None) and SHA-256, checked now rather than in every worker.

    ``choice`` is ``auto`` (``default``, if it exists), ``none``, or a path relative to the experiment file.
    """
    if choice == "none":
        return None, "none"
    if choice == "auto":
        if not default.is_file():
            return None, "none"
        file = default
    else:
        file = path.parent / choice if not Path(choice).is_absolute() else Path(choice)
    try:
        loaded = load(file)
    except UserInputError as err:
        raise UserInputError(err.one_line(), path=path, key=key) from None
    return str(file.resolve()), loaded.sha256


def _resolve_calibration(choice: str, path: Path) -> tuple[str | None, str]:
    """The calibration file the runs use (or None) and its SHA-256."""
    from zgcsim.inputs.calibration_file import DEFAULT_PATH, load_calibration

    return _resolve_input_file(choice, path, "calibration", DEFAULT_PATH, load_calibration)


def _resolve_discrepancy(choice: str, path: Path) -> tuple[str | None, str]:
    """The model-discrepancy file the runs use (or None) and its SHA-256."""
    from zgcsim.inputs.discrepancy_file import DEFAULT_PATH, load_discrepancy

    return _resolve_input_file(choice, path, "discrepancy", DEFAULT_PATH, load_discrepancy)


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and resolve the experiment file at ``path``."""
    path = Path(path)
    return parse_experiment(_read(path), path)


def hold_levers(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """Return ``scenario`` with each lever in ``values`` held at that value over 2018-2022.

    The scenario's own dated values of those levers are dropped, so a swept lever means the same thing in
    every scenario (``with_levers`` alone would let a later dated value of the scenario take over).
    """
    if not values:
        return scenario
    from dataclasses import replace

    stripped = {name: changes for name, changes in scenario.lever_changes.items() if name not in values}
    park_stripped = {name: by_park for name, by_park in scenario.park_lever_changes.items() if name not in values}
    held = replace(scenario, lever_changes=stripped, park_lever_changes=park_stripped)
    return with_levers(held, values, start=FIRST_DAY)
