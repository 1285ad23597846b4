"""The uniforms each contact carries, named: which row or column of a draw decides what.

A contact is created with its uniforms already drawn, so its whole journey is fixed by its
random numbers whatever happens around it (common random numbers across arms and staffing).
Each contact carries ``DECISIONS`` *decision* uniforms, one column of ``Contacts.decide`` per
``U_*`` constant below, read by the journey (:mod:`sim.center.journey`) and by the
per-issue outcomes (:mod:`sim.metrics`). Before them come a few rows that depend on where
the contact comes from:

* a direct arrival (``DIRECT_*``): one stream draws ``DIRECT_ROWS × n`` uniforms at once,
  row after row: customer type, handle time, patience, then the decisions;
* an order's contact reason: one stream draws ``n`` uniforms, one per candidate order
  (whether it has the issue); the first contact of each issue that happens takes
  ``FIRST_ROWS`` counter-based draws of its *order's* key (:class:`sim.rng.IssueDraws`, as
  follow-ups do) from counter ``FIRST_DRAW | stream_key(reason name) << 8`` (``FIRST_*``):
  channel, handle time, patience, lag, the bot's two, the pre-sale keep, then the
  decisions — computed for the issues that happen only, not for every candidate, and
  named by the reason, so adding a reason changes no other reason's numbers;
* a pre-sale browser (``ORDER_*``): one stream draws ``ORDER_ROWS × n`` (a row unused,
  channel, handle time, patience); the decisions come from a stream of their own,
  ``DECISIONS × n`` in float32;
* a follow-up (redial, repeat, escalation; ``FOLLOW_*``): the issue's j-th follow-up takes
  the issue's draws ``j · FOLLOW_ROWS`` to ``(j + 1) · FOLLOW_ROWS - 1``, counter-based
  uniforms of the issue's key and the counter alone (:class:`sim.rng.IssueDraws`): handle
  time, patience, lag, then the decisions. So the same issue's j-th follow-up has the same
  numbers in every arm and under any staffing, whatever the other issues do.

The order of the rows and columns is part of the results: changing it changes every number.
"""

from __future__ import annotations

from typing import Final

# ---- decision columns: what happens after the contact (columns of Contacts.decide)

U_RESOLVE: Final = 0
"""Whether an answered contact resolves its issue (against the reason's resolution)."""
U_INSIST: Final = 1
"""Whether the customer insists on a refund (an ``if_insist`` reason)."""
U_ESCALATE: Final = 2
"""Whether an unresolved contact goes to the second tier; after it, platform intervention."""
U_REPEAT: Final = 3
"""Whether an unresolved issue comes back as a repeat contact."""
U_REDIAL: Final = 4
"""Whether a contact that abandons redials."""
U_SWITCH: Final = 5
"""Whether a repeat switches channel."""
U_SILENT: Final = 6
"""Whether a contact abandons silently (a chat left without a word)."""
U_REVIEW: Final = 7
"""Whether the issue's customer writes a bad review (its first contact's column)."""
U_REVISE: Final = 8
"""Whether that bad review is revised (its first contact's column)."""
U_CHURN: Final = 9
"""Whether the issue's customer churns (its first contact's column)."""

DECISIONS: Final = U_CHURN + 1
"""Decision uniforms per contact."""

# ---- a direct arrival's rows, drawn as one DIRECT_ROWS × n array

DIRECT_TYPE: Final = 0
"""Customer type."""
DIRECT_HANDLE: Final = 1
"""Handle time (a quantile of the channel's distribution)."""
DIRECT_PATIENCE: Final = 2
"""Patience (a quantile of the channel's distribution)."""
DIRECT_DECISIONS: Final = 3
"""First decision row; row ``DIRECT_DECISIONS + U_x`` is column ``U_x``."""
DIRECT_ROWS: Final = DIRECT_DECISIONS + DECISIONS

# ---- an order's first contact: FIRST_ROWS counter-based draws of its order, per reason

FIRST_DRAW: Final = 1 << 63
"""The bit set in the counters of first contacts' draws: a follow-up's (``j · FOLLOW_ROWS``
for ``j`` below ``max_contacts_per_issue``) never has it, so the two never meet, even where
an order's key equals some issue's."""
FIRST_CHANNEL: Final = 0
"""The channel, from the reason's channel mix."""
FIRST_HANDLE: Final = 1
"""Handle time."""
FIRST_PATIENCE: Final = 2
"""Patience."""
FIRST_LAG: Final = 3
"""Lag from the reason's anchor (a quantile of its ``lag_hours``)."""
FIRST_BOT: Final = 4
"""Whether the channel's bot settles the contact (against its containment)."""
FIRST_SESSION: Final = 5
"""The bot session's length."""
FIRST_KEEP: Final = 6
"""Whether a pre-sale inquiry answered late still buys (``keep``)."""
FIRST_DECISIONS: Final = 7
"""First decision; ``FIRST_DECISIONS + U_x`` is the contact's column ``U_x``."""
FIRST_ROWS: Final = FIRST_DECISIONS + DECISIONS

# ---- a pre-sale browser's rows, drawn as one ORDER_ROWS × n array per block

ORDER_ISSUE: Final = 0
"""Unused by a browser, who has no order (drawn: the rows after it keep their place)."""
ORDER_CHANNEL: Final = 1
"""The channel, from the reason's channel mix."""
ORDER_HANDLE: Final = 2
"""Handle time."""
ORDER_PATIENCE: Final = 3
"""Patience."""
ORDER_ROWS: Final = 4

# ---- a follow-up's row: FOLLOW_ROWS of its issue's counter-based draws

FOLLOW_HANDLE: Final = 0
"""Handle time."""
FOLLOW_PATIENCE: Final = 1
"""Patience."""
FOLLOW_LAG: Final = 2
"""Lag before a redial or a repeat arrives (an escalation's is drawn and not used)."""
FOLLOW_DECISIONS: Final = 3
"""First decision; ``FOLLOW_DECISIONS + U_x`` is the follow-up's column ``U_x``."""
FOLLOW_ROWS: Final = FOLLOW_DECISIONS + DECISIONS
FOLLOW_CHANNEL: Final = FOLLOW_DECISIONS + U_SWITCH
"""A repeat that switches picks its channel with this uniform: the repeat's own ``U_SWITCH``
(so the channel it comes on and whether it would switch again share one number)."""
