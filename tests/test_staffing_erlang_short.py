"""The lab's short agent-hours: Erlang A on a replication's own load, surplus not netted."""

from __future__ import annotations

import numpy as np

from sim.experiment import run_arm
from sim.loading import load_scenario
from sim.staffing import agents_for_targets, erlang_short_agent_hours, parse_target
from tests.conftest import CONFIGS


def test_short_agent_hours_follow_the_exact_erlang_a_minimum() -> None:
    """A stationary M/M/c+M day (100/h, 300 s, patience 180 s; 80% in 20 s).

    With nobody scheduled the short agent-hours are the Erlang A minimum per interval × the
    intervals' hours: within ±1 agent on average of the exact minimum at the true rate (each
    interval's rate is that replication's count, so a few intervals differ by one). With
    that minimum + 4 scheduled nothing is short (no interval's count is that far off), and
    with 3 fewer, about 3 agents are short in every interval: surplus elsewhere never
    offsets a shortfall.
    """
    s = load_scenario(CONFIGS / "validation" / "erlang_a_light.yaml").scenario
    target = [parse_target("phone.service_level>=0.8")]
    exact = agents_for_targets(100, 300, 180, 20, min_service_level=0.8)
    rep = run_arm(s, 0)

    def short(agents: int) -> float:
        group = s.staffing.groups[0]
        schedule = {"kind": "constant", "agents": agents}
        staffing = s.staffing.model_copy(
            update={"groups": [group.model_validate({**group.model_dump(), "schedule": schedule})]}
        )
        return erlang_short_agent_hours(s.model_copy(update={"staffing": staffing}), rep, target)

    per_hour = short(0) / (s.calendar.horizon_seconds / 3600)
    assert abs(per_hour - exact) <= 1, (per_hour, exact)
    assert short(exact + 4) == 0.0
    assert np.isclose(short(exact - 3) / (s.calendar.horizon_seconds / 3600), 3, atol=1)
