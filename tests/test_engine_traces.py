"""The contact centre's engine event by event, on small cases worked out by hand.

Each case feeds a few contacts with fixed handle times and patience to one to three agents
and asserts every contact's fate and times exactly: when it was answered, when it left the
queue, when its service ended and by which agent. The expected values are derived in the
comments from the engine's documented rules (FCFS per channel, strict channel priority with
room held back, chat slots, silent abandoners, redials and repeats, schedules), not copied
from a run. Random decisions are fixed by probabilities 0 or 1 (a decision uniform ``u``
lies in [0, 1), so ``u < 0`` never holds and ``u < 1`` always does), deterministic
follow-up distributions, or, for one case, an explicit decision column.

Times are in seconds from the start of a one-day horizon.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.center import (
    ABANDONED,
    ANSWERED,
    ESCALATION,
    FIRST,
    OPEN,
    REDIAL,
    REPEAT,
    CenterResult,
    simulate_center,
    stream_center,
)
from sim.config import Scenario
from sim.demand import Contacts, reasons_of
from sim.uniforms import DECISIONS, U_SILENT
from tests.test_streaming import concatenated, slices
from tests.test_streaming import fates as streaming_fates
from tests.test_streaming import rows as sorted_rows

INF = math.inf
FATES = {ANSWERED: "answered", ABANDONED: "abandoned", OPEN: "open"}
KINDS = {FIRST: "first", REDIAL: "redial", REPEAT: "repeat", ESCALATION: "escalation"}

Fate = tuple[str, float | None, float | None, float | None, int]
"""(fate, answered at, left the queue at, service ended at, agent); None: never."""


def scenario(**overrides: Any) -> Scenario:
    """One phone channel, one agent, no journey; ``overrides`` replace top-level sections.

    The direct arrivals' reason ("general") resolves every answered contact. Its rate is
    zero: the contacts are fed by hand.
    """
    data: dict[str, Any] = {
        "name": "trace",
        "calendar": {"days": 1},
        "seed": 1,
        "replications": 1,
        "arrivals": [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 0.0}],
        "channels": {"phone": {"handle_time_seconds": {"dist": "deterministic", "value": 60}}},
        "staffing": {"groups": [group("g", ["phone"], 1)]},
    }
    data.update(overrides)
    return Scenario.model_validate(data)


def group(name: str, channels: list[str], agents: int) -> dict[str, Any]:
    """A group with a constant number of agents."""
    return {"name": name, "channels": channels, "schedule": {"kind": "constant", "agents": agents}}


def contacts(
    s: Scenario,
    rows: list[tuple[float, str, float, float]],
    uniforms: dict[int, dict[int, float]] | None = None,
) -> Contacts:
    """Input contacts ``(arrival, channel, handle, patience)``, all of reason 0.

    Every decision uniform is 0.5 unless ``uniforms`` sets it: ``{contact: {column: u}}``.
    """
    n = len(rows)
    channels = tuple(s.channels)
    decide = np.full((n, DECISIONS), 0.5)
    for i, cols in (uniforms or {}).items():
        for col, u in cols.items():
            decide[i, col] = u
    return Contacts(
        arrival_seconds=np.array([r[0] for r in rows], dtype=np.float64),
        channel=np.array([channels.index(r[1]) for r in rows], dtype=np.int32),
        reason=np.zeros(n, dtype=np.int32),
        handle_seconds=np.array([r[2] for r in rows], dtype=np.float64),
        patience_seconds=np.array([r[3] for r in rows], dtype=np.float64),
        channels=channels,
        reasons=reasons_of(s),
        decide=decide,
        issue_key=np.arange(n, dtype=np.int64),
    )


def _opt(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def fates(r: CenterResult) -> list[Fate]:
    """Every contact's fate and times, in the result's order (inputs, then follow-ups)."""
    c = r.contacts
    assert c is not None
    out: list[Fate] = []
    for i in range(len(c)):
        fate = FATES[int(r.outcome[i])]
        end = r.answer_seconds[i] + c.handle_seconds[i] if fate == "answered" else math.nan
        out.append(
            (
                fate,
                _opt(r.answer_seconds[i]),
                _opt(r.leave_queue_seconds[i]),
                _opt(end),
                int(r.agent[i]),
            )
        )
    return out


def arrivals(r: CenterResult) -> list[tuple[str, int, int, str, float]]:
    """Every contact's (kind, attempt, issue, channel, arrival)."""
    c = r.contacts
    assert c is not None and r.kind is not None and r.attempt is not None
    assert r.issue is not None
    return [
        (
            KINDS[int(r.kind[i])],
            int(r.attempt[i]),
            int(r.issue[i]),
            c.channels[int(c.channel[i])],
            float(c.arrival_seconds[i]),
        )
        for i in range(len(c))
    ]


def run(s: Scenario, rows: list[tuple[float, str, float, float]], **kw: Any) -> CenterResult:
    """Simulate the contacts in one piece, and check that streaming them changes nothing.

    In segments of 500 s, handing out the issues that are over after each one, every
    contact must meet the same fate (ghosts, overtime and spells alike).
    """
    c = contacts(s, rows, **kw)
    whole = simulate_center(s, c)
    parts = list(stream_center(s, slices(c), None, segment_seconds=500.0, batch_contacts=0))
    want, got = streaming_fates(whole), concatenated(parts)
    assert want.keys() == got.keys()
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    assert whole.ghosts is not None
    ghosts = np.concatenate([p.ghosts for p in parts if p.ghosts is not None])
    np.testing.assert_array_equal(sorted_rows(ghosts), sorted_rows(whole.ghosts))
    np.testing.assert_array_equal(parts[-1].overtime, whole.overtime)
    np.testing.assert_array_equal(parts[-1].spells, whole.spells)
    return whole


# --------------------------------------------------------------------------- (a) FCFS


def test_fcfs_one_agent() -> None:
    """One agent, one queue: first come first served, abandonment at the deadline."""
    s = scenario()
    r = run(
        s,
        [
            (0, "phone", 100, INF),  # 0: agent idle: answered at once, busy to 100
            (10, "phone", 50, 200),  # 1: head of the queue; deadline 210 > 100: answered 100
            (20, "phone", 30, 100),  # 2: deadline 120 < 150 (1 ends): abandoned at 120
            (30, "phone", 40, 120),  # 3: deadline 150 = the instant the agent frees: abandons
            (40, "phone", 10, 1000),  # 4: answered 150, when 1 ends
            # events at one instant run in the order they were scheduled, as simpy's
            # timeouts do; an input's arrival is scheduled when the one before it arrives
            (160, "phone", 45, 0),  # 5: scheduled at 40, before 4's end (at 150): it finds
            #                          no room and, with zero patience, abandons at once
            (170, "phone", 5, 1),  # 6: the agent is idle since 160: answered, to 175
            (175, "phone", 5, 0),  # 7: scheduled at 170 after 6's end: finds room, answered
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 100.0, 100.0, 150.0, 0),
        ("abandoned", None, 120.0, None, -1),
        ("abandoned", None, 150.0, None, -1),
        ("answered", 150.0, 150.0, 160.0, 0),
        ("abandoned", None, 160.0, None, -1),
        ("answered", 170.0, 170.0, 175.0, 0),
        ("answered", 175.0, 175.0, 180.0, 0),
    ]
    assert list(r.units) == [1, 1, 0, 0, 1, 0, 1, 1]


def test_fcfs_two_agents_nobody_overtakes() -> None:
    """A contact arriving while others wait queues behind them, even with a short call."""
    s = scenario(staffing={"groups": [group("g", ["phone"], 2)]})
    r = run(
        s,
        [
            (0, "phone", 300, INF),  # 0: agent 0, to 300
            (1, "phone", 100, INF),  # 1: agent 1, to 101
            (2, "phone", 500, INF),  # 2: waits; agent 1 frees at 101: answered, to 601
            (3, "phone", 1, INF),  # 3: waits behind 2; agent 0 frees at 300: to 301
            (4, "phone", 1, INF),  # 4: agent 0 again at 301
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 300.0, 0),
        ("answered", 1.0, 1.0, 101.0, 1),
        ("answered", 101.0, 101.0, 601.0, 1),
        ("answered", 300.0, 300.0, 301.0, 0),
        ("answered", 301.0, 301.0, 302.0, 0),
    ]


# --------------------------------------------------------------------------- (b) priority


def blended(chat_concurrency: int, agents: int = 1) -> Scenario:
    """Phone before chat, one blended group."""
    return scenario(
        arrivals=[
            {"kind": "poisson", "channel": "phone", "contacts_per_hour": 0.0},
            {"kind": "poisson", "channel": "chat", "contacts_per_hour": 0.0},
        ],
        channels={
            "phone": {"handle_time_seconds": {"dist": "deterministic", "value": 60}},
            "chat": {
                "handle_time_seconds": {"dist": "deterministic", "value": 60},
                "concurrency": chat_concurrency,
            },
        },
        staffing={
            "groups": [group("blend", ["phone", "chat"], agents)],
            "channel_priority": ["phone", "chat"],
        },
    )


def test_priority_channel_is_answered_before_an_earlier_lower_one() -> None:
    s = blended(chat_concurrency=1)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: answered at once, agent busy to 100
            (10, "chat", 100, INF),  # 1: waits
            (20, "phone", 50, INF),  # 2: waits; at 100 the agent takes phone first: to 150
        ],
    )
    # 1 arrived first but is answered after the phone call, at 150
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 150.0, 150.0, 250.0, 0),
        ("answered", 100.0, 100.0, 150.0, 0),
    ]


def test_a_waiting_priority_contact_holds_back_a_free_chat_slot() -> None:
    """Strict priority: while a call waits, an agent with a free chat slot takes no chat.

    Chat concurrency 2: an agent has 2 units, a chat takes 1 and a call 2.
    """
    s = blended(chat_concurrency=2)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: 1 unit of the agent, to 100
            (10, "phone", 50, 1000),  # 1: needs both units: waits until 0 ends at 100
            (20, "chat", 30, INF),  # 2: a slot is free, but 1 waits: held back
        ],
    )
    # at 100 the agent takes the call (both units) to 150, then the chat at 150, to 180
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 100.0, 100.0, 150.0, 0),
        ("answered", 150.0, 150.0, 180.0, 0),
    ]
    assert list(r.units) == [1, 2, 1]
    assert r.group_capacity == (2,)


def test_a_freed_chat_slot_is_kept_for_a_waiting_call() -> None:
    """An agent who frees one slot while a call waits keeps it until it can take the call."""
    s = blended(chat_concurrency=2)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: slot 1, to 100
            (1, "chat", 200, INF),  # 1: slot 2, to 201
            (10, "phone", 50, INF),  # 2: waits for a whole agent: at 201, to 251
            (20, "chat", 30, INF),  # 3: not taken into the slot freed at 100: at 251, to 281
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 1.0, 1.0, 201.0, 0),
        ("answered", 201.0, 201.0, 251.0, 0),
        ("answered", 251.0, 251.0, 281.0, 0),
    ]


def test_held_room_is_released_when_the_priority_head_abandons() -> None:
    """The priority channel's head timer: when the waiting call gives up, the chat goes in."""
    s = blended(chat_concurrency=2)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: 1 unit, to 100
            (10, "phone", 50, 30),  # 1: waits; deadline 40: abandons then
            (20, "chat", 30, INF),  # 2: held back until 40, then takes the free slot: to 70
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("abandoned", None, 40.0, None, -1),
        ("answered", 40.0, 40.0, 70.0, 0),
    ]


def test_a_chat_only_group_is_not_held_back_by_calls() -> None:
    """Room is held back only by a group that serves the waiting higher-priority channel."""
    s = blended(chat_concurrency=2)
    data = s.model_dump(mode="json", exclude_none=True)
    # a second group, listed after the blended one, serving chat only
    data["staffing"]["groups"].append(group("chat", ["chat"], 1))
    s = Scenario.model_validate(data)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: both agents have 2 free units: agent 0 (first group)
            (10, "phone", 50, 1000),  # 1: agent 0 has 1 unit left: waits for 100
            (20, "chat", 30, INF),  # 2: agent 0 holds its slot; agent 1 takes it at once
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 100.0, 100.0, 150.0, 0),
        ("answered", 20.0, 20.0, 50.0, 1),
    ]
    assert list(r.group) == [0, 0, 1]


# --------------------------------------------------------------------------- (c) chat slots


def chat_scenario(agents: int, concurrency: int = 3, **chat: Any) -> Scenario:
    return scenario(
        arrivals=[{"kind": "poisson", "channel": "chat", "contacts_per_hour": 0.0}],
        channels={
            "chat": {
                "handle_time_seconds": {"dist": "deterministic", "value": 60},
                "concurrency": concurrency,
                **chat,
            }
        },
        staffing={"groups": [group("g", ["chat"], agents)]},
    )


def test_an_agent_takes_a_fourth_chat_only_when_a_slot_frees() -> None:
    s = chat_scenario(agents=1)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: slot 1, to 100
            (1, "chat", 50, INF),  # 1: slot 2, to 51
            (2, "chat", 80, INF),  # 2: slot 3, to 82
            (3, "chat", 10, INF),  # 3: all three slots taken: waits for 1's slot at 51; to 61
            (4, "chat", 10, INF),  # 4: waits for 3's slot at 61; to 71
            (5, "chat", 20, 60),  # 5: deadline 65, every slot taken until 71: abandons
            (6, "chat", 5, INF),  # 6: takes 4's slot at 71; to 76
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 1.0, 1.0, 51.0, 0),
        ("answered", 2.0, 2.0, 82.0, 0),
        ("answered", 51.0, 51.0, 61.0, 0),
        ("answered", 61.0, 61.0, 71.0, 0),
        ("abandoned", None, 65.0, None, -1),
        ("answered", 71.0, 71.0, 76.0, 0),
    ]
    assert r.group_capacity == (3,)
    assert list(r.units) == [1, 1, 1, 1, 1, 0, 1]


def test_a_chat_goes_to_the_agent_with_the_most_free_slots() -> None:
    """Ties in free slots go to the agent who has had them longest."""
    s = chat_scenario(agents=2)
    rows: list[tuple[float, str, float, float]] = [(t, "chat", 1000, INF) for t in range(6)]
    rows.append((6, "chat", 10, INF))  # both agents full: waits for the first end, 0's at 1000
    r = run(s, rows)
    # 0: both have 3 free, agent 0 logged on first; 1: agent 1 (3 free > 2);
    # 2: both have 2, agent 0 had 2 first; and so on alternately
    assert list(r.agent) == [0, 1, 0, 1, 0, 1, 0]
    assert list(r.answer_seconds) == [0, 1, 2, 3, 4, 5, 1000]


# --------------------------------------------------------------------------- (d) silent


def test_a_silent_abandoner_holds_the_agent_for_the_detection_time() -> None:
    """A chat customer who leaves without a word stays at the head of the queue.

    It abandoned at its deadline (that is its fate), but the agent who reaches it holds a
    slot for ``silent_detect_seconds`` before closing the chat: a *ghost*.
    """
    s = chat_scenario(agents=1, concurrency=1, silent_abandon_share=1.0, silent_detect_seconds=90)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: to 100
            (10, "chat", 50, 30),  # 1: deadline 40, silent; reached at 100: ghost 100–190
            (20, "chat", 40, INF),  # 2: answered after the ghost, at 190; to 230
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("abandoned", None, 40.0, None, -1),
        ("answered", 190.0, 190.0, 230.0, 0),
    ]
    assert r.ghosts is not None
    # (group, channel, start, end, share of the agent held)
    assert r.ghosts.tolist() == [[0.0, 0.0, 100.0, 190.0, 1.0]]


def test_the_silent_uniform_decides_who_is_silent() -> None:
    """Share 0.5: a contact whose silent uniform is below it is silent, others are not."""
    s = chat_scenario(agents=1, concurrency=1, silent_abandon_share=0.5, silent_detect_seconds=90)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: to 100
            (10, "chat", 50, 30),  # 1: deadline 40, silent (u 0.2): ghost 100–190
            (20, "chat", 50, 30),  # 2: deadline 50, not silent (u 0.8): dropped unseen
            (30, "chat", 40, INF),  # 3: answered at 190, when the ghost is closed; to 230
        ],
        uniforms={1: {U_SILENT: 0.2}, 2: {U_SILENT: 0.8}},
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("abandoned", None, 40.0, None, -1),
        ("abandoned", None, 50.0, None, -1),
        ("answered", 190.0, 190.0, 230.0, 0),
    ]
    assert r.ghosts is not None
    assert r.ghosts.tolist() == [[0.0, 0.0, 100.0, 190.0, 1.0]]


def test_a_ghost_takes_one_chat_slot_of_several() -> None:
    s = chat_scenario(agents=1, concurrency=2, silent_abandon_share=1.0, silent_detect_seconds=90)
    r = run(
        s,
        [
            (0, "chat", 100, INF),  # 0: slot 1, to 100
            (1, "chat", 300, INF),  # 1: slot 2, to 301
            (10, "chat", 50, 30),  # 2: deadline 40, silent; reached at 100: ghost 100–190
            (20, "chat", 40, INF),  # 3: the ghost's slot at 190; to 230
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 1.0, 1.0, 301.0, 0),
        ("abandoned", None, 40.0, None, -1),
        ("answered", 190.0, 190.0, 230.0, 0),
    ]
    assert r.ghosts is not None
    assert r.ghosts.tolist() == [[0.0, 0.0, 100.0, 190.0, 0.5]]


# --------------------------------------------------------------------------- (e) journey


def redial_scenario(max_contacts: int) -> Scenario:
    """Every abandoner redials 10 minutes later; a redial holds 60 s, waits up to 45 s."""
    return scenario(
        channels={
            "phone": {
                "handle_time_seconds": {"dist": "deterministic", "value": 60},
                "patience_seconds": {"dist": "deterministic", "value": 45},
            }
        },
        journey={
            "redial_probability": 1.0,
            "redial_lag_minutes": {"dist": "deterministic", "value": 10},
            "max_contacts_per_issue": max_contacts,
        },
    )


def test_a_redial_arrives_its_lag_after_the_abandonment_and_is_answered() -> None:
    r = run(
        redial_scenario(max_contacts=3),
        [
            (0, "phone", 1000, INF),  # 0: agent busy to 1000
            (10, "phone", 50, 20),  # 1: abandons at 30, redials at 30 + 600 = 630
        ],
    )
    # 2 (redial of 1): arrives 630, deadline 675 < 1000: abandons, redials at 1275
    # 3 (second redial): the agent is free since 1000: answered at once, 60 s
    assert arrivals(r) == [
        ("first", 0, 0, "phone", 0.0),
        ("first", 0, 1, "phone", 10.0),
        ("redial", 1, 1, "phone", 630.0),
        ("redial", 2, 1, "phone", 1275.0),
    ]
    assert fates(r) == [
        ("answered", 0.0, 0.0, 1000.0, 0),
        ("abandoned", None, 30.0, None, -1),
        ("abandoned", None, 675.0, None, -1),
        ("answered", 1275.0, 1275.0, 1335.0, 0),
    ]
    assert r.resolved is not None
    assert list(r.resolved) == [1, -1, -1, 1]


def test_a_contact_answered_before_its_deadline_does_not_redial() -> None:
    r = run(
        redial_scenario(max_contacts=3),
        [
            (0, "phone", 100, INF),  # 0: to 100
            (10, "phone", 50, 1000),  # 1: would redial if it abandoned at 1010; answered
            #                              at 100, to 150: nothing follows
        ],
    )
    assert arrivals(r) == [("first", 0, 0, "phone", 0.0), ("first", 0, 1, "phone", 10.0)]
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 100.0, 100.0, 150.0, 0),
    ]


def test_redials_stop_at_the_issues_contact_cap() -> None:
    r = run(
        redial_scenario(max_contacts=3),
        [
            (0, "phone", 2000, INF),  # 0: agent busy to 2000
            (10, "phone", 50, 20),  # 1: abandons at 30
        ],
    )
    # as above, but the third contact (arrives 1275) also abandons, at 1320: the issue has
    # had its 3 contacts, so no fourth comes
    assert arrivals(r) == [
        ("first", 0, 0, "phone", 0.0),
        ("first", 0, 1, "phone", 10.0),
        ("redial", 1, 1, "phone", 630.0),
        ("redial", 2, 1, "phone", 1275.0),
    ]
    assert fates(r) == [
        ("answered", 0.0, 0.0, 2000.0, 0),
        ("abandoned", None, 30.0, None, -1),
        ("abandoned", None, 675.0, None, -1),
        ("abandoned", None, 1320.0, None, -1),
    ]


def journey_scenario(**journey: Any) -> Scenario:
    """A reason that never resolves, mostly on phone; one agent on each channel.

    Reasons with a resolution probability are per-order reasons: an orders section (with no
    orders) makes them valid. Phone calls hold 60 s, chats 120 s; nobody abandons.
    """
    return scenario(
        arrivals=[],
        orders={"per_day": 0.0},
        contact_reasons=[
            {
                "name": "stuck",
                "rate_per_order": 0.0,
                "channel_mix": {"phone": 0.99, "chat": 0.01},
                "resolution_probability": 0.0,
            }
        ],
        channels={
            "phone": {"handle_time_seconds": {"dist": "deterministic", "value": 60}},
            "chat": {"handle_time_seconds": {"dist": "deterministic", "value": 120}},
        },
        staffing={"groups": [group("phone", ["phone"], 1), group("chat", ["chat"], 1)]},
        journey=journey,
    )


@pytest.mark.parametrize("switch", [0.0, 1.0])
def test_a_repeat_comes_its_lag_after_an_unresolved_answer_ends(switch: float) -> None:
    s = journey_scenario(
        repeat_probability=1.0,
        repeat_lag_hours={"dist": "deterministic", "value": 0.5},
        channel_switch_probability=switch,
        max_contacts_per_issue=3,
    )
    r = run(s, [(0, "phone", 100, INF)])
    if switch == 0.0:
        # 0 ends unresolved at 100; repeat on phone at 100 + 1800 = 1900, 60 s, unresolved;
        # repeat at 1960 + 1800 = 3760; the third contact ends the issue (cap 3)
        expect_arrivals = [
            ("first", 0, 0, "phone", 0.0),
            ("repeat", 1, 0, "phone", 1900.0),
            ("repeat", 2, 0, "phone", 3760.0),
        ]
        expect_fates = [
            ("answered", 0.0, 0.0, 100.0, 0),
            ("answered", 1900.0, 1900.0, 1960.0, 0),
            ("answered", 3760.0, 3760.0, 3820.0, 0),
        ]
    else:
        # a switching repeat goes to another channel of the reason's mix, however rare
        # there (1%): chat (agent 1), 120 s, ends 2020; the next one switches back to phone
        # at 2020 + 1800 = 3820
        expect_arrivals = [
            ("first", 0, 0, "phone", 0.0),
            ("repeat", 1, 0, "chat", 1900.0),
            ("repeat", 2, 0, "phone", 3820.0),
        ]
        expect_fates = [
            ("answered", 0.0, 0.0, 100.0, 0),
            ("answered", 1900.0, 1900.0, 2020.0, 1),
            ("answered", 3820.0, 3820.0, 3880.0, 0),
        ]
    assert arrivals(r) == expect_arrivals
    assert fates(r) == expect_fates
    assert r.resolved is not None
    assert list(r.resolved) == [0, 0, 0]


def test_an_escalation_reaches_the_second_tier_when_the_first_answer_ends() -> None:
    s = journey_scenario(
        escalation_probability=1.0,
        escalation_channel="chat",
        escalation_handle_time_factor=2.5,
        escalation_resolution_probability=0.0,
        platform_intervention_probability=0.0,
        max_contacts_per_issue=3,
    )
    r = run(s, [(0, "phone", 100, INF)])
    # 0 ends unresolved at 100 and is transferred at once; the chat agent is free: answered
    # at 100, for 120 s × 2.5 = 300 s; unresolved, but the second tier does not escalate
    # again and nothing repeats (probability 0)
    assert arrivals(r) == [
        ("first", 0, 0, "phone", 0.0),
        ("escalation", 1, 0, "chat", 100.0),
    ]
    assert fates(r) == [
        ("answered", 0.0, 0.0, 100.0, 0),
        ("answered", 100.0, 100.0, 400.0, 1),
    ]


# --------------------------------------------------------------------------- (f) schedules


def test_a_shift_end_finishes_work_in_hand_and_takes_no_new_contact() -> None:
    """Shift A: 00:00–00:10 (0–600 s), two agents; shift B: 00:20–00:30 (1200–1800), one."""
    s = scenario(
        staffing={
            "groups": [
                {
                    "name": "g",
                    "channels": ["phone"],
                    "schedule": {
                        "kind": "shifts",
                        "shifts": [
                            {"start": "00:00", "end": "00:10", "agents": 2},
                            {"start": "00:20", "end": "00:30", "agents": 1},
                        ],
                    },
                }
            ]
        }
    )
    r = run(
        s,
        [
            (0, "phone", 700, INF),  # 0: agent 0, to 700: 100 s past its shift
            (100, "phone", 100, INF),  # 1: agent 1, to 200
            (550, "phone", 100, INF),  # 2: agent 1 again, to 650: 50 s past its shift
            (580, "phone", 10, INF),  # 3: both busy; at 650 agent 1 is free but off shift:
            #                              it waits for shift B's agent 2 at 1200; to 1210
            (900, "phone", 10, 200),  # 4: nobody on duty until its deadline 1100: abandons
            (1205, "phone", 20, INF),  # 5: agent 2 busy to 1210: answered then; to 1230
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 700.0, 0),
        ("answered", 100.0, 100.0, 200.0, 1),
        ("answered", 550.0, 550.0, 650.0, 1),
        ("answered", 1200.0, 1200.0, 1210.0, 2),
        ("abandoned", None, 1100.0, None, -1),
        ("answered", 1210.0, 1210.0, 1230.0, 2),
    ]
    # (group, scheduled end, actual end), in the order the agents logged off
    assert r.overtime.tolist() == [[0.0, 600.0, 650.0], [0.0, 600.0, 700.0]]
    # (agent, group, on, off): agent 2 is idle at 1800 and leaves on time
    assert r.spells.tolist() == [
        [0.0, 0.0, 0.0, 700.0],
        [1.0, 0.0, 0.0, 650.0],
        [2.0, 0.0, 1200.0, 1800.0],
    ]


def dip_scenario() -> Scenario:
    """Hourly levels: 2 agents, 1 from 3600 to 7200, then 2 again."""
    schedule = {"kind": "hourly", "agents": [2, 1] + [2] * 22}
    return scenario(
        staffing={"groups": [{"name": "g", "channels": ["phone"], "schedule": schedule}]}
    )


def test_a_falling_level_sends_off_a_busy_agent_whom_a_rising_level_keeps() -> None:
    """Hourly levels 2, 1, 2, …: one agent must leave at 3600 and one comes at 7200.

    Both agents are busy at 3600, so the one busy longest (agent 0) is marked to leave after
    its call; at 7200, still in that call, it is kept as the new level's agent (overtime
    3600–7200) and no new agent logs on.
    """
    s = dip_scenario()
    r = run(
        s,
        [
            (0, "phone", 8000, INF),  # 0: agent 0, to 8000
            (10, "phone", 4000, INF),  # 1: agent 1, to 4010
            (4000, "phone", 100, INF),  # 2: agent 0 is leaving, agent 1 busy: waits to 4010
            (5000, "phone", 3000, INF),  # 3: agent 1, to 8000
            (7300, "phone", 50, INF),  # 4: both busy to 8000; both end at 8000, agent 0's
            #                               call first (it was scheduled first): agent 0
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 8000.0, 0),
        ("answered", 10.0, 10.0, 4010.0, 1),
        ("answered", 4010.0, 4010.0, 4110.0, 1),
        ("answered", 5000.0, 5000.0, 8000.0, 1),
        ("answered", 8000.0, 8000.0, 8050.0, 0),
    ]
    assert r.overtime.tolist() == [[0.0, 3600.0, 7200.0]]
    assert r.spells.tolist() == [[0.0, 0.0, 0.0, 86400.0], [1.0, 0.0, 0.0, 86400.0]]


def test_a_falling_level_sends_off_an_idle_agent_first() -> None:
    s = dip_scenario()
    r = run(
        s,
        [
            (0, "phone", 8000, INF),  # 0: agent 0, to 8000
            (10, "phone", 100, INF),  # 1: agent 1, to 110; idle at 3600: it leaves then
            (4000, "phone", 100, INF),  # 2: nobody free until agent 2 logs on at 7200
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 8000.0, 0),
        ("answered", 10.0, 10.0, 110.0, 1),
        ("answered", 7200.0, 7200.0, 7300.0, 2),
    ]
    assert r.overtime.shape == (0, 3)
    assert r.spells.tolist() == [
        [0.0, 0.0, 0.0, 86400.0],
        [1.0, 0.0, 0.0, 3600.0],
        [2.0, 0.0, 7200.0, 86400.0],
    ]


def test_an_agent_logging_on_as_a_call_ends_takes_the_waiting_call() -> None:
    """Hourly levels 1, 2, 3, …: agents log on at 0, 3600 and 7200; a call ends at 7200.

    Call 0's end (queued at 0) comes before the 7200 action's event (queued at 3600) in
    simpy's queue, yet the actions due run first: agent 2 logs on and takes call 2, then
    call 0 ends and agent 0 finds nothing waiting. (The end's record was once freed for reuse
    before the actions ran, so agent 2's start overwrote it and the engine failed.)
    """
    schedule = {"kind": "hourly", "agents": [1, 2, 3] + [3] * 21}
    s = scenario(staffing={"groups": [{"name": "g", "channels": ["phone"], "schedule": schedule}]})
    r = run(
        s,
        [
            (0, "phone", 7200, INF),  # 0: agent 0, to 7200
            (3700, "phone", 7200, INF),  # 1: agent 1 (on since 3600), to 10900
            (3800, "phone", 7200, INF),  # 2: both busy: waits for agent 2 at 7200
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 7200.0, 0),
        ("answered", 3700.0, 3700.0, 10900.0, 1),
        ("answered", 7200.0, 7200.0, 14400.0, 2),
    ]
    assert r.resolved is not None and r.resolved.tolist() == [1, 1, 1]


def test_contacts_waiting_at_the_horizon() -> None:
    """Still waiting at the horizon: open if patient beyond it, else abandoned at the deadline."""
    s = scenario()
    horizon = s.calendar.horizon_seconds
    r = run(
        s,
        [
            (0, "phone", 2 * horizon, INF),  # 0: holds the agent past the horizon
            (100, "phone", 10, INF),  # 1: never answered, never gives up: open
            (horizon - 50, "phone", 10, 40),  # 2: deadline 10 s before the horizon: abandoned
            (horizon - 50, "phone", 10, 60),  # 3: deadline 10 s after: open
        ],
    )
    assert fates(r) == [
        ("answered", 0.0, 0.0, 2 * horizon, 0),
        ("open", None, None, None, -1),
        ("abandoned", None, horizon - 10, None, -1),
        ("open", None, None, None, -1),
    ]
