"""zgcsim: an agent-based model of the Zhongguancun science park and its 2018-2022 action-plan targets."""

__version__ = "0.1.0"

from zgcsim.running.runs import run_scenario

__all__ = ["__version__", "run_scenario"]
