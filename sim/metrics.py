"""Counting what happens during a replication, and turning the counts into KPIs.

Counters are plain Python numbers and lists, cheap to bump on every event. Per-lead delays
are kept in compact float arrays (8 bytes a lead) so that percentiles are exact.
"""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.leads import CONTACTED, OPPORTUNITY, QUALIFIED
from sim.leads import WON as WON_STAGE

# Columns of the daily time series, per business line x channel. ``followed_up`` counts
# leads by their arrival day when first contacted within the scenario's follow-up window;
# ``contacted``, ``qualified`` and ``opportunity`` count leads on the day they first reach
# the stage (a reactivated lead that reaches a stage again is not counted twice).
SERIES = ("leads", "first_contacts", "sla_met", "won", "revenue", "channel_cost",
          "campaign_cost", "busy_hours", "followed_up", "contacted", "qualified", "opportunity")
(LEADS, FIRST_CONTACTS, SLA_MET, WON, REVENUE, CHANNEL_COST, CAMPAIGN_COST,
 BUSY_HOURS, FOLLOWED_UP, CONTACTED_COLUMN, QUALIFIED_COLUMN,
 OPPORTUNITY_COLUMN) = range(len(SERIES))
COLUMNS = len(SERIES)
STAGE_COLUMNS = {CONTACTED: CONTACTED_COLUMN, QUALIFIED: QUALIFIED_COLUMN,
                 OPPORTUNITY: OPPORTUNITY_COLUMN}
POOL_COLUMNS = ("private", "public", "grand", "blocked")

# First-contact delay buckets (upper edges in hours) for "how conversion falls with delay".
DELAY_EDGES_HOURS = (5 / 60, 0.5, 1.0, 4.0, 24.0)
DELAY_BUCKETS = ("<5 min", "5-30 min", "30-60 min", "1-4 h", "4-24 h", ">24 h")
DELAY_COUNTS = ("first_contacted", "qualified", "won")


@dataclass
class Tally:
    """Raw counts of one replication, filled in by the model as events happen."""

    channels: int
    lines: int
    days: int
    arrived: int = 0
    won: int = 0
    lost: dict[str, int] = field(default_factory=dict)
    touches: int = 0
    harassed: int = 0
    duplicated: int = 0
    sla_due: int = 0
    sla_met: int = 0
    abandoned: int = 0
    abandoned_wait_hours: float = 0.0
    first_contact_hours: array = field(default_factory=lambda: array("d"))
    sdr_wait_hours: array = field(default_factory=lambda: array("d"))
    days_to_win: array = field(default_factory=lambda: array("d"))
    sales_busy_hours: float = 0.0
    sales_capacity_hours: float = 0.0
    series: list[float] = field(default_factory=list)
    # circulation
    recycled: int = 0
    move_counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    pool_entries: dict[str, int] = field(default_factory=lambda: _per_pool(0))
    pool_hours: dict[str, float] = field(default_factory=lambda: _per_pool(0.0))
    pool_days: list[list[int]] = field(default_factory=list)
    public_days: list[list[int]] = field(default_factory=list)  # [day][business line]
    by_delay: list[list[int]] = field(default_factory=list)  # [bucket][DELAY_COUNTS]
    pool_end: dict[str, int] = field(default_factory=dict)
    cycles: array = field(default_factory=lambda: array("H"))
    owners: array = field(default_factory=lambda: array("H"))
    never_worked: int = 0
    sla_breaches: int = 0
    claims: int = 0
    rep_exits: int = 0
    rep_hires: int = 0
    # activation, customer success, prospecting
    reactivated: int = 0
    reactivated_won: int = 0
    messages: int = 0
    campaign_cost: float = 0.0
    repeat_purchases: int = 0
    repeat_revenue: float = 0.0
    referral_leads: int = 0
    outbound_leads: int = 0
    prospect_hours: float = 0.0
    # assignment fairness and performance ranking
    leads_per_rep: dict[str, list[int]] = field(default_factory=dict)
    pk_active: bool = False
    pk_rankings: int = 0
    pk_unjudged: int = 0
    pk_ramping: int = 0
    pk_floored: int = 0
    pk_reordered: int = 0

    def __post_init__(self) -> None:
        self.series = [0.0] * (self.days * self.channels * self.lines * len(SERIES))
        self.pool_days = [[0] * len(POOL_COLUMNS) for _ in range(self.days)]
        self.public_days = [[0] * self.lines for _ in range(self.days)]
        self.by_delay = [[0] * len(DELAY_COUNTS) for _ in DELAY_BUCKETS]

    def move(self, origin: str, target: str, rule: str) -> None:
        """Count a move between places (private, queue or a pool kind) by its rule."""
        key = (origin, target, rule)
        self.move_counts[key] = self.move_counts.get(key, 0) + 1

    @property
    def moves(self) -> dict[str, int]:
        """Move counts keyed 'origin->target:rule', for outputs."""
        return {f"{o}->{t}:{r}": n for (o, t, r), n in sorted(self.move_counts.items())}

    def record_pools(self, day: int, sizes: dict[str, int]) -> None:
        """Pool sizes at the end of ``day``; public pools of all lines are summed."""
        if 0 <= day < self.days:
            public = sum(size for name, size in sizes.items() if name.startswith("public:"))
            self.pool_days[day] = [sizes["private"], public, sizes["grand"], sizes["blocked"]]
            lines = [size for name, size in sizes.items() if name.startswith("public:")]
            if len(lines) == self.lines:
                self.public_days[day] = lines

    def contacted_first(self, lead: Any, day: int, delay_hours: float, follow_up_hours: float,
                        sla_met: bool) -> None:
        """A lead's first contact on ``day``: the delay, its bucket, whether it was followed
        up in time (counted on the arrival day) and whether it met the SLA."""
        self.first_contact_hours.append(delay_hours)
        self.by_delay[delay_bucket(delay_hours)][0] += 1
        if delay_hours <= follow_up_hours:
            arrival_day = int(lead.arrived_at // 24.0)
            self.add(arrival_day, lead.channel, lead.business_line, FOLLOWED_UP, 1.0)
        if 0 <= day < self.days:
            cell = ((day * self.channels + lead.channel) * self.lines + lead.business_line) \
                * COLUMNS
            self.series[cell + FIRST_CONTACTS] += 1.0
            if sla_met:
                self.series[cell + SLA_MET] += 1.0
        if sla_met:
            self.sla_met += 1

    def reached(self, lead: Any, stage: int, day: int) -> None:
        """Count a lead the first time it reaches a funnel stage."""
        if stage <= lead.furthest:
            return
        lead.furthest = stage
        column = STAGE_COLUMNS.get(stage)
        if column is not None:
            self.add(day, lead.channel, lead.business_line, column, 1.0)
        if (stage == QUALIFIED or stage == WON_STAGE) and lead.first_contact_at >= 0:
            bucket = delay_bucket(lead.first_contact_at - lead.arrived_at)
            self.by_delay[bucket][1 if stage == QUALIFIED else 2] += 1

    def add_campaign_cost(self, day: int, lead: Any, amount: float) -> None:
        self.add(day, lead.channel, lead.business_line, CAMPAIGN_COST, amount)

    def finished(self, lead: Any) -> None:
        """Per-lead pool-health figures, taken when a lead ends or the horizon does."""
        self.cycles.append(min(lead.cycles, 65535))
        self.owners.append(min(lead.owners, 65535))
        if lead.first_contact_at < 0:
            self.never_worked += 1

    def add(self, day: int, channel: int, line: int, column: int, amount: float) -> None:
        if 0 <= day < self.days:
            cell = (day * self.channels + channel) * self.lines + line
            self.series[cell * COLUMNS + column] += amount

    def series_array(self) -> np.ndarray:
        """The daily series as an array [day, channel, business line, column]."""
        shape = (self.days, self.channels, self.lines, len(SERIES))
        return np.asarray(self.series, dtype=float).reshape(shape)

    def count(self, bucket: dict[str, int], reason: str) -> None:
        bucket[reason] = bucket.get(reason, 0) + 1


@dataclass
class Money:
    """Costs of one replication, in currency."""

    channel_cost: np.ndarray  # per channel
    staff_cost: float
    staff_cost_by_team: dict[str, float]


def delay_bucket(hours: float) -> int:
    """Index into DELAY_BUCKETS of a first-contact delay."""
    return bisect.bisect_right(DELAY_EDGES_HOURS, hours)


def _per_pool(zero: Any) -> dict[str, Any]:
    return {"public": zero, "grand": zero, "blocked": zero}


def percentile(values: array, q: float) -> float | None:
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def mean(values: array) -> float | None:
    return float(np.mean(np.asarray(values, dtype=float))) if len(values) else None


def safe_ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def roi(revenue: float, cost: float) -> float | None:
    return (revenue - cost) / cost if cost > 0 else None


def kpis(tally: Tally, money: Money, warnings: int = 0) -> dict[str, float | None]:
    """The company-wide KPIs of one replication (names as in the design's KPI table).

    ``warnings`` is the number of early warnings that fired (see :mod:`sim.monitoring`).
    """
    cube = tally.series_array()
    revenue = float(cube[..., REVENUE].sum())
    cost = float(money.channel_cost.sum()) + money.staff_cost + tally.campaign_cost
    first = tally.first_contact_hours
    return {
        "leads": float(tally.arrived),
        "won": float(tally.won),
        "conversion_rate": safe_ratio(tally.won, tally.arrived),
        "revenue": revenue,
        "cost": cost,
        "channel_cost": float(money.channel_cost.sum()),
        "staff_cost": money.staff_cost,
        "campaign_cost": tally.campaign_cost,
        "roi": roi(revenue, cost),
        "first_contact_hours_p50": percentile(first, 50),
        "first_contact_hours_p90": percentile(first, 90),
        "first_contact_hours_mean": mean(first),
        "days_to_win_p50": percentile(tally.days_to_win, 50),
        "sla_met_rate": safe_ratio(tally.sla_met, tally.sla_due),
        "sla_breaches": float(tally.sla_breaches),
        "touches_per_lead": safe_ratio(tally.touches, tally.arrived),
        "harassment_rate": safe_ratio(tally.harassed, tally.arrived),
        "duplicate_contact_rate": safe_ratio(tally.duplicated, tally.arrived),
        "sdr_wait_hours_p50": percentile(tally.sdr_wait_hours, 50),
        "rep_utilization": safe_ratio(tally.sales_busy_hours, tally.sales_capacity_hours),
        "abandon_rate": safe_ratio(tally.abandoned, tally.arrived),
        **pool_health(tally),
        "reactivated": float(tally.reactivated),
        "reactivated_won": float(tally.reactivated_won),
        "messages_sent": float(tally.messages),
        "repeat_revenue": tally.repeat_revenue,
        "referral_leads": float(tally.referral_leads),
        "outbound_leads": float(tally.outbound_leads),
        **fairness(tally),
        "warnings": float(warnings),
    }


def gini(values: list[int]) -> float | None:
    """Gini coefficient of non-negative counts (0 = equal, towards 1 = concentrated)."""
    if len(values) < 2 or sum(values) == 0:
        return None
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    weighted = sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(ordered))
    return weighted / (n * total)


def fairness(tally: Tally) -> dict[str, float | None]:
    """Gini of leads per rep in each sales team, their mean, and ranking guardrails."""
    per_team = {f"gini_{team}": gini(counts) for team, counts in tally.leads_per_rep.items()}
    defined = [value for value in per_team.values() if value is not None]
    result: dict[str, float | None] = {
        "rep_gini": sum(defined) / len(defined) if defined else None, **per_team}
    if tally.pk_active:
        result.update({
            "pk_rankings": float(tally.pk_rankings),
            "pk_unjudged_small_sample": float(tally.pk_unjudged),
            "pk_ramping": float(tally.pk_ramping),
            "pk_floored": float(tally.pk_floored),
            "pk_reordered_by_shrinkage": float(tally.pk_reordered),
        })
    return result


TEAM_KPI_PREFIX = "gini_"


def kpi_names() -> list[str]:
    """Names of the company KPIs, in output order, ranking guardrails included.

    Per-team KPIs are named ``gini_<team>`` and depend on the scenario; see
    :func:`is_kpi_name`.
    """
    empty = Tally(1, 1, 1)
    empty.pk_active = True
    return list(kpis(empty, Money(np.zeros(1), 0.0, {})))


def is_kpi_name(name: str) -> bool:
    """Whether a run can produce a KPI of this name (per-team names included)."""
    return name in kpi_names() or (name.startswith(TEAM_KPI_PREFIX)
                                   and len(name) > len(TEAM_KPI_PREFIX))


def pool_health(tally: Tally) -> dict[str, float | None]:
    """Recycling, ownership and pool figures that CRMs do not report."""
    health: dict[str, float | None] = {
        "recycled_rate": safe_ratio(tally.recycled, tally.arrived),
        "recycles_per_lead_mean": mean(tally.cycles),
        "recycles_per_lead_p90": percentile(tally.cycles, 90),
        "owners_per_lead_mean": mean(tally.owners),
        "owners_per_lead_p90": percentile(tally.owners, 90),
        "never_worked_rate": safe_ratio(tally.never_worked, tally.arrived),
        "claims": float(tally.claims),
    }
    for kind in ("public", "grand", "blocked"):
        health[f"{kind}_pool_hours_mean"] = safe_ratio(tally.pool_hours[kind],
                                                       tally.pool_entries[kind])
        health[f"{kind}_pool_end"] = float(tally.pool_end.get(kind, 0))
    health["private_pool_end"] = float(tally.pool_end.get("private", 0))
    return health


FUNNEL_COLUMNS = (CONTACTED_COLUMN, QUALIFIED_COLUMN, OPPORTUNITY_COLUMN, FOLLOWED_UP)


def breakdowns(tally: Tally, money: Money) -> tuple[np.ndarray, np.ndarray]:
    """Leads, won, revenue, cost, then the funnel counts of FUNNEL_COLUMNS, per (channel,
    business line) cell.

    Channel cost goes to the channel's cells by their share of its leads; staff cost goes to
    cells by their share of the busy hours spent on their leads.
    """
    cube = tally.series_array().sum(axis=0)  # [channel, line, column]
    leads, won, revenue = cube[..., LEADS], cube[..., WON], cube[..., REVENUE]
    busy = cube[..., BUSY_HOURS]
    per_channel = leads.sum(axis=1, keepdims=True)
    lead_share = np.divide(leads, per_channel, out=np.full_like(leads, 1.0 / tally.lines),
                           where=per_channel > 0)
    cost = lead_share * money.channel_cost[:, None] + cube[..., CAMPAIGN_COST]
    if busy.sum() > 0:
        cost = cost + money.staff_cost * busy / busy.sum()
    funnel = [cube[..., column] for column in FUNNEL_COLUMNS]
    return np.stack([leads, won, revenue, cost, *funnel], axis=-1), cube


def group_kpis(cells: np.ndarray) -> dict[str, float | None]:
    """KPIs of a group of cells [..., 8] from :func:`breakdowns`."""
    leads, won, revenue, cost, contacted, qualified, opportunity, followed = (
        float(cells[..., i].sum()) for i in range(8))
    return {
        "leads": leads,
        "won": won,
        "conversion_rate": safe_ratio(won, leads),
        "revenue": revenue,
        "cost": cost,
        "roi": roi(revenue, cost),
        "contacted": contacted,
        "qualified": qualified,
        "opportunity": opportunity,
        "follow_up_rate": safe_ratio(followed, leads),
    }
