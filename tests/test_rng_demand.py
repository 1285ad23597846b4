"""Named random streams and the contacts drawn up front."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.config import Scenario
from sim.demand import first_contacts
from sim.distributions import draw, variance
from sim.rng import Streams, stream_key
from tests.conftest import tiny_scenario


def test_stream_keys_are_stable_and_distinct() -> None:
    # pinned: a change here would silently change every published result
    assert stream_key("handle.phone") == stream_key("handle.phone")
    assert stream_key("arrivals.0.times") != stream_key("arrivals.1.times")
    assert stream_key("handle.phone") == 96020431


def test_a_stream_depends_only_on_seed_replication_and_name() -> None:
    a = Streams(5, 3)("x").random(4)
    b = Streams(5, 3)
    b("other")
    assert np.array_equal(a, b("x").random(4))
    assert not np.array_equal(a, Streams(5, 4)("x").random(4))
    assert not np.array_equal(a, Streams(6, 3)("x").random(4))


def test_a_stream_is_handed_out_once() -> None:
    s = Streams(1, 0)
    s("x")
    with pytest.raises(ValueError, match="already"):
        s("x")


def test_adding_a_stream_does_not_move_the_others() -> None:
    one = Scenario.model_validate(tiny_scenario())
    more = tiny_scenario()
    more["arrivals"] = [
        *more["arrivals"],
        {"kind": "poisson", "channel": "phone", "reason": "x", "contacts_per_hour": 50},
    ]
    two = Scenario.model_validate(more)
    a = first_contacts(one, Streams(1, 0))
    b = first_contacts(two, Streams(1, 0))
    general = b.reason == b.reasons.index("general")
    assert np.array_equal(a.arrival_seconds, b.arrival_seconds[general])


DISTS: list[dict[str, Any]] = [
    {"dist": "exponential", "mean": 300},
    {"dist": "lognormal", "mean": 240, "cv": 1.0},
    {"dist": "lognormal", "median": 60, "sigma": 0.5},
    {"dist": "gamma", "mean": 100, "cv": 0.5},
    {"dist": "deterministic", "value": 42},
    {"dist": "empirical", "values": [1, 2, 3, 10]},
]


@pytest.mark.parametrize("spec", DISTS, ids=lambda d: d["dist"])
def test_draws_have_the_stated_mean_and_variance(spec: dict[str, Any]) -> None:
    """Ciw's compare_theoretical_to_observed: sample moments against exact ones."""
    from pydantic import TypeAdapter

    from sim.config import Distribution, dist_mean

    d: Distribution = TypeAdapter(Distribution).validate_python(spec)
    n = 200_000
    x = draw(d, np.random.default_rng(1), n)
    mean, var = dist_mean(d), variance(d)
    se = math.sqrt(var / n)
    assert abs(x.mean() - mean) <= 4 * se + 1e-12
    if var > 0:
        assert x.var() == pytest.approx(var, rel=0.1)


def test_profile_counts_follow_the_rates_and_stay_in_their_steps() -> None:
    rates = [0.0] * 24
    rates[9] = 3600.0  # one contact a second, only from 09:00 to 10:00
    data = tiny_scenario(
        calendar={"days": 2},
        arrivals=[{"kind": "profile", "channel": "phone", "contacts_per_hour": rates}],
    )
    s = Scenario.model_validate(data)
    c = first_contacts(s, Streams(3, 0))
    hours = (c.arrival_seconds // 3600) % 24
    assert set(hours) == {9}
    assert abs(len(c) - 7200) < 4 * math.sqrt(7200)
    assert np.all(np.diff(c.arrival_seconds) >= 0)
    # within its hour, arrival times are uniform
    within = c.arrival_seconds % 3600
    assert stats.kstest(within / 3600, "uniform").pvalue > 0.001


def test_channel_mix_splits_by_share() -> None:
    data = tiny_scenario(
        calendar={"days": 10},
        arrivals=[
            {
                "kind": "poisson",
                "channel_mix": {"phone": 0.2, "chat": 0.8},
                "contacts_per_hour": 100,
            }
        ],
        channels={
            "phone": {"handle_time_seconds": {"dist": "exponential", "mean": 60}},
            "chat": {"handle_time_seconds": {"dist": "exponential", "mean": 60}},
        },
        staffing={
            "groups": [
                {
                    "name": "g",
                    "channels": ["phone", "chat"],
                    "schedule": {"kind": "constant", "agents": 1},
                }
            ]
        },
    )
    c = first_contacts(Scenario.model_validate(data), Streams(2, 0))
    share = float(np.mean(c.channel == c.channels.index("phone")))
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / len(c))


def test_poisson_stream_is_poisson() -> None:
    """Interarrival times of a constant-rate stream are exponential with mean 3600/rate."""
    data = tiny_scenario(calendar={"days": 5})
    c = first_contacts(Scenario.model_validate(data), Streams(9, 0))
    gaps = np.diff(c.arrival_seconds)
    assert stats.kstest(gaps, "expon", args=(0, 120.0)).pvalue > 0.001
