"""The step order: one stage after another, in the numbered order, each drawing only from its own named streams."""

from zgcsim.model.park import STAGE_STREAMS, STREAMS, ParkModel

from conftest import SMALL


class _Spy:
    """A random stream that records which stage draws from it."""

    def __init__(self, name, generator, log):
        self._name, self._generator, self._log = name, generator, log

    def __getattr__(self, attribute):
        self._log.append(self._name)
        return getattr(self._generator, attribute)


def test_each_stage_runs_in_order_and_draws_only_from_its_streams():
    model = ParkModel("action_plan", rng=5, **SMALL)
    draws: list[str] = []
    model.streams = {name: _Spy(name, model.streams[name], draws) for name in STREAMS}
    stages_run: list[str] = []
    used: dict[str, set[str]] = {stage: set() for stage in STAGE_STREAMS}
    for stage in STAGE_STREAMS:
        method = getattr(model, f"_{stage}")

        def recorded(*args, _stage=stage, _method=method, **kwargs):
            stages_run.append(_stage)
            before = len(draws)
            result = _method(*args, **kwargs)
            used[_stage].update(draws[before:])
            return result

        setattr(model, f"_{stage}", recorded)
    for _ in range(4):  # a whole year: the yearly stages (Q1, Q4) draw too
        model.step()
    model.release()
    assert stages_run == list(STAGE_STREAMS) * 4
    for stage, streams in used.items():
        assert streams <= set(STAGE_STREAMS[stage]), stage
    assert set().union(*used.values()) == set().union(*STAGE_STREAMS.values())  # every listed stream is used
