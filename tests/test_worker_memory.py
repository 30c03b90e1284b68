"""Worker memory: each finished run is freed before the next starts, and workers load only what runs need."""

import gc
import subprocess
import sys

from zgcsim.experiments.designs import build_design
from zgcsim.experiments.runner import plan_tasks, run_experiment, run_task
from zgcsim.experiments.spec import load_experiment
from zgcsim.model.park import ParkModel
from zgcsim.running.executors import Workers
from zgcsim.running.memory import release_run_memory

EXPERIMENT = (
    'name = "memory"\nscenarios = ["action_plan"]\nreplicates = 3\nseed = 11\n'
    "[design]\nconstants = { n_firms_2017 = 3000, n_institutes = 20 }\n"
)


def models_alive() -> int:
    """Models still in memory, counted without running the cycle collector first."""
    return sum(isinstance(o, ParkModel) for o in gc.get_objects())


def run_then_count_models(tasks: list) -> tuple[int, int]:
    """Pool task: run ``tasks`` one after another in this worker; return (failed runs, models still alive)."""
    failed = sum(run_task(task)["status"] != "ok" for task in tasks)
    return failed, models_alive()


def small_tasks(tmp_path):
    path = tmp_path / "memory.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    experiment = load_experiment(path)
    design = build_design(experiment.spec.design, experiment.variables, experiment.spec.seed)
    return experiment, plan_tasks(experiment, design)


def test_a_pool_worker_frees_each_finished_model_before_the_next_run(tmp_path):
    """A model and its agents refer to each other; left to Python's rare full collections they piled up."""
    _, tasks = small_tasks(tmp_path)
    with Workers(2) as pool:
        [(failed, alive)] = list(pool.map(run_then_count_models, [tasks]))
    assert failed == 0
    assert alive == 0


def test_an_experiment_in_this_process_frees_its_models_and_leaves_the_heap_unfrozen(tmp_path):
    experiment, _ = small_tasks(tmp_path)
    gc.collect()
    before = models_alive()  # models other tests' session fixtures hold (a full test run has some)
    summary = run_experiment(experiment, tmp_path / "store", workers=1, progress=False)
    assert summary.runs == 3 and summary.failures == 0
    assert models_alive() == before
    assert gc.get_freeze_count() == 0  # the caller's objects are collectable again
    release_run_memory()  # outside a run loop and outside a worker: leaves this process's collector alone
    assert gc.get_freeze_count() == 0


def test_a_worker_does_not_load_plotting_dashboard_or_cluster_libraries():
    """What a `zgcsim experiment` or `zgcsim run` pool worker imports: the command line module and the task's."""
    code = (
        "import sys, zgcsim.cli, zgcsim.experiments.runner, zgcsim.running.runs\n"
        "heavy = ('matplotlib', 'solara', 'weasyprint', 'distributed', 'dask', 'SALib', 'ema_workbench')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"
