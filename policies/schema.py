"""The policy file: the rules a sales organisation chooses and may change.

Grade cut-offs, the routing table, how a rep is chosen, the follow-up cadence and the SLA.
A policy never holds SimPy objects; the model hands the decision functions plain views.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scenarios.schema import Complexity

Grade = Literal["A", "B", "C", "D"]
GRADES: tuple[Grade, ...] = ("A", "B", "C", "D")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Grading(Strict):
    """Observed-score cut-offs: a score at or above ``a`` is grade A, and so on; below ``c``
    is D. Scores lie in 0..1."""

    a: Annotated[float, Field(gt=0, lt=1)] = Field(0.5, description="Lowest score of grade A.")
    b: Annotated[float, Field(gt=0, lt=1)] = Field(0.3, description="Lowest score of grade B.")
    c: Annotated[float, Field(gt=0, lt=1)] = Field(0.15, description="Lowest score of grade C.")

    @model_validator(mode="after")
    def _descending(self) -> Grading:
        if not self.a > self.b > self.c:
            raise ValueError(f"cut-offs must fall a > b > c, got {self.a}, {self.b}, {self.c}")
        return self


class Condition(Strict):
    """What a lead must look like for a routing rule to match. Empty matches every lead."""

    grade: list[Grade] | None = Field(None, description="Any of these grades.")
    channel: list[str] | None = Field(None, description="Any of these channels.")
    business_line: list[str] | None = Field(None, description="Any of these business lines.")
    region: list[str] | None = Field(None, description="Any of these regions.")
    complexity: list[Complexity] | None = Field(None, description="Any of these complexities.")
    min_deal_size: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Expected deal size at least this."
    )
    max_deal_size: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Expected deal size below this."
    )

    @property
    def is_default(self) -> bool:
        return all(value is None for value in self.model_dump().values())


class RouteRule(Strict):
    """One routing rule: when the condition matches, send the lead down this path."""

    name: str = Field("", description="Label shown in outputs and lint messages.")
    when: Condition = Field(default_factory=Condition, description="Match condition.")
    sdr: bool = Field(False, description="Clean with the SDR team before the sales team.")
    team: str = Field(description="Sales team that owns the lead.")


class Routing(Strict):
    """An ordered routing table: the first matching rule wins. The last rule must match every
    lead, so that no lead is left without a path."""

    rules: list[RouteRule] = Field(min_length=1, description="Ordered rules.")
    sdr_team: str = Field("sdr", description="Team that does SDR cleaning.")
    sdr_disqualify: bool = Field(
        True, description="SDRs may disqualify leads they judge to be junk."
    )

    @model_validator(mode="after")
    def _ends_with_default(self) -> Routing:
        if not self.rules[-1].when.is_default:
            raise ValueError("the last routing rule must have an empty 'when' (the default)")
        return self


AssignmentStrategy = Literal[
    "round_robin", "weighted_round_robin", "count_based", "least_loaded", "next_available",
    "pk_ranking",
]


class PkRanking(Strict):
    """Performance-ranked allocation ("PK elimination") with statistical guardrails.

    Every period each rep's conversion efficiency (qualified, or won, per lead assigned in
    the trailing window) is shrunk toward the team's rate, reps are ranked, and allocation
    weight moves toward the top share and away from the bottom share. Reps with too few
    leads are not judged, new reps ramp up, and nobody drops below the exploration floor.
    """

    period_days: Annotated[float, Field(gt=0)] = Field(14.0, description="Days between rankings.")
    window_days: Annotated[float, Field(gt=0)] = Field(
        42.0, description="Trailing window the efficiency is measured over."
    )
    metric: Literal["qualified", "won"] = Field(
        "qualified", description="Success counted per lead assigned."
    )
    min_sample: Annotated[int, Field(ge=0)] = Field(
        30, description="Leads a rep needs in the window before being judged."
    )
    shrinkage_leads: Annotated[float, Field(ge=0)] = Field(
        40.0, description="Prior strength in leads: a rep's rate is shrunk toward the team "
        "rate as if it had this many extra leads at the team rate."
    )
    top_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.2, description="Share of judged reps that gain weight."
    )
    bottom_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.2, description="Share of judged reps that lose weight."
    )
    top_weight: Annotated[float, Field(ge=1)] = Field(1.5, description="Weight of the top reps.")
    bottom_weight: Annotated[float, Field(ge=0)] = Field(
        0.4, description="Weight of the bottom reps before the floor."
    )
    exploration_floor: Annotated[float, Field(ge=0, le=1)] = Field(
        0.2, description="No rep's weight falls below this, so everyone keeps being measured."
    )
    ramp_days: Annotated[float, Field(ge=0)] = Field(
        60.0, description="New reps' weight rises linearly to 1 over this many days."
    )
    ramp_start_weight: Annotated[float, Field(ge=0, le=1)] = Field(
        0.5, description="Weight of a rep on the first day."
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> PkRanking:
        if self.top_share + self.bottom_share > 1:
            raise ValueError(f"top_share + bottom_share must be <= 1, got "
                             f"{self.top_share} + {self.bottom_share}")
        return self


class Assignment(Strict):
    """How a rep is chosen inside the team a lead is routed to.

    - ``round_robin``: owners in turn (least recently assigned first), skipping full reps.
    - ``weighted_round_robin``: in turn, in proportion to weights (smooth weighted round robin).
    - ``count_based``: the rep with the fewest leads assigned in the current period.
    - ``least_loaded``: the rep with the most room under the private-pool cap.
    - ``next_available``: no owner at arrival; the first rep with free time takes the lead
      from the team's queue (one shared queue per region, as in a call centre).
    - ``pk_ranking``: weighted round robin with weights from performance ranking.

    Eligibility filters apply first, each only when someone passes it: region coverage,
    language, seniority for complex leads, and availability (on shift and not absent).
    """

    strategy: AssignmentStrategy = Field("round_robin", description="Rep choice rule.")
    weights: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default={}, description="weighted_round_robin: weight by rep name (e.g. "
        "'telesales-3'); unnamed reps weigh 1."
    )
    new_hire_weight: Annotated[float, Field(gt=0)] = Field(
        1.0, description="weighted_round_robin: weight of reps hired within new_hire_days."
    )
    new_hire_days: Annotated[float, Field(ge=0)] = Field(
        0.0, description="How long a rep counts as a new hire."
    )
    count_period_days: Annotated[float, Field(gt=0)] = Field(
        7.0, description="count_based: length of the counting period."
    )
    match_language: bool = Field(True, description="Only reps who speak the lead's language.")
    match_complexity: bool = Field(
        False, description="Complex leads only to senior reps (team senior_share)."
    )
    require_available: bool = Field(
        False, description="Only reps on shift and not absent now, when any are."
    )
    sticky_owner: bool = Field(
        True, description="A returning lead goes back to its previous owner if eligible."
    )
    pk_ranking: PkRanking = Field(default_factory=PkRanking, description="pk_ranking settings.")


class FollowUp(Strict):
    """Contact cadence for leads not yet reached."""

    max_attempts: Annotated[int, Field(ge=1, le=50)] = Field(
        6, description="Attempts before an unreached lead is released."
    )
    spacing_hours: list[Annotated[float, Field(ge=0)]] = Field(
        default=[2.0, 20.0, 48.0, 72.0, 120.0],
        description="Wait before attempt 2, 3, ...; the last value repeats.",
    )
    meeting_attempts: Annotated[int, Field(ge=1, le=20)] = Field(
        3, description="Tries to hold a sales-cycle meeting before the deal is lost."
    )
    work_order: Literal["new_first", "due_first"] = Field(
        "new_first", description="Whether reps take new leads or due follow-ups first."
    )

    @model_validator(mode="after")
    def _has_spacing(self) -> FollowUp:
        if not self.spacing_hours:
            raise ValueError("spacing_hours must hold at least one value")
        return self


PerGrade = dict[Grade, Annotated[float, Field(gt=0)]]


class Circulation(Strict):
    """Service levels and the rules that move leads between pools.

    The names follow the vocabulary of common CRMs: an SLA timer, recycling after days
    without follow-up or without progress, a protection period with extensions and a
    maximum, a daily claim limit, a previous-owner re-claim cooldown. Day counts of 0 turn
    a rule off. Rules with a per-grade table apply the lead's grade at the time.
    """

    sla_hours: Annotated[float, Field(gt=0)] = Field(
        24.0, description="First contact is due this many hours after the lead is routed; "
        "each new owner also owes a first touch this many hours after taking the lead."
    )
    sla_clock: Literal["calendar", "working"] = Field(
        "calendar", description="Count SLA hours around the clock or in the team's hours."
    )
    sla_action: Literal["alert", "return_to_pool", "reassign"] = Field(
        "alert", description="On breach: count it only, return the lead to the public "
        "pool, or reassign it to another rep of the team."
    )
    no_follow_up_days: Annotated[float, Field(ge=0)] = Field(
        0.0, description="Recycle a lead with no touch for this many days (0 = off)."
    )
    no_progress_days: PerGrade | Annotated[float, Field(ge=0)] = Field(
        0.0, description="Recycle a lead with no stage advance for this many days "
        "(0 = off); a number, or a table per grade such as {A = 45, D = 14}."
    )
    exempt_opportunities: bool = Field(
        True, description="Leads with an open opportunity are never recycled."
    )
    protection_days: Annotated[float, Field(ge=0)] = Field(
        0.0, description="A rep keeps a new lead this long before it returns to the public "
        "pool unless it progressed (0 = no limit)."
    )
    protection_extension_days: Annotated[float, Field(ge=0)] = Field(
        0.0, description="Each stage advance extends protection by this many days."
    )
    protection_max_days: Annotated[float, Field(ge=0)] = Field(
        0.0, description="Protection never runs longer than this in total (0 = no cap)."
    )
    release_to_pool: bool = Field(
        True, description="Leads whose attempts ran out go to the public pool (otherwise "
        "they are parked in the grand pool)."
    )
    unclaimed_days: Annotated[float, Field(ge=0)] = Field(
        30.0, description="Unclaimed this long in a public pool, a lead moves to the grand "
        "pool (0 = never)."
    )
    max_cycles: Annotated[int, Field(ge=0)] = Field(
        5, description="After this many circulations a lead leaves circulation (0 = never)."
    )
    over_cycles_to: Literal["blocked", "grand"] = Field(
        "grand", description="Where a lead goes after too many circulations."
    )
    daily_claim_limit: Annotated[int, Field(ge=0)] = Field(
        10, description="Leads one rep may claim from pools per day (0 = no claiming)."
    )
    claim_order: Literal["score", "freshness"] = Field(
        "score", description="Claim the best-scored or the most recently pooled lead first."
    )
    claim_from_grand: bool = Field(
        False, description="Reps may also claim from the grand pool when public pools are empty."
    )
    reclaim_cooldown_days: Annotated[float, Field(ge=0)] = Field(
        7.0, description="A rep may not re-claim a lead it released for this many days."
    )
    claim_delay_hours: Annotated[float, Field(ge=0)] = Field(
        0.0, description="A lead that just entered a pool cannot be claimed for this long."
    )
    cap_counts_won: bool = Field(
        False, description="Won customers kept by a rep count towards the private-pool cap."
    )
    cap_counts_opportunities: bool = Field(
        True, description="Open opportunities count towards the private-pool cap."
    )
    on_rep_exit: Literal["redistribute", "public_pool"] = Field(
        "redistribute", description="When a rep leaves: hand the leads to teammates, or "
        "return them to the public pool."
    )
    rebalance_every_days: Annotated[float, Field(ge=0)] = Field(
        0.0, description="An administrator moves leads from reps above rebalance_above of "
        "their cap to the teammate with most room, this often (0 = never)."
    )
    rebalance_above: Annotated[float, Field(gt=0, le=1)] = Field(
        0.9, description="Share of the cap above which a rep's leads are rebalanced."
    )
    block_harassed: bool = Field(
        False, description="Send a lead to the blocked pool once it has been harassed."
    )

    def no_progress_for(self, grade: Grade) -> float:
        """Days without progress before recycling, for a lead of this grade (0 = off)."""
        if isinstance(self.no_progress_days, dict):
            return float(self.no_progress_days.get(grade, 0.0))
        return float(self.no_progress_days)


class Campaign(Strict):
    """An activation campaign: a periodic push of messages to an audience in a pool."""

    name: str = Field(min_length=1, description="Label shown in outputs.")
    every_days: Annotated[float, Field(gt=0)] = Field(description="Days between sends.")
    first_day: Annotated[float, Field(ge=0)] = Field(7.0, description="Day of the first send.")
    pool: Literal["public", "grand", "both"] = Field("both", description="Audience pool.")
    business_line: list[str] | None = Field(None, description="Only these business lines.")
    min_score: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="Only leads scored at least this."
    )
    min_days_since_touch: Annotated[float, Field(ge=0)] = Field(
        14.0, description="Only leads untouched for this many days."
    )
    max_audience: Annotated[int, Field(ge=1)] = Field(
        5000, description="At most this many messages per send (best scores first)."
    )


class Activation(Strict):
    """Campaigns that re-score pooled leads and bring responders back into routing."""

    campaigns: list[Campaign] = Field(default=[], description="Scheduled campaigns.")


class Policy(Strict):
    """A lead-handling policy: grading, routing, assignment, follow-up and SLA."""

    name: str = Field(min_length=1, description="Short name shown in outputs.")
    description: str = Field("", description="What the policy stands for.")
    grading: Grading = Field(default_factory=Grading)
    routing: Routing
    assignment: Assignment = Field(default_factory=Assignment)
    follow_up: FollowUp = Field(default_factory=FollowUp)
    circulation: Circulation = Field(default_factory=Circulation)
    activation: Activation = Field(default_factory=Activation)
