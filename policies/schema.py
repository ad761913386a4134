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
    model_config = ConfigDict(extra="forbid", frozen=True)


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


AssignmentStrategy = Literal["round_robin", "least_loaded", "next_available"]


class Assignment(Strict):
    """How a rep is chosen inside the team a lead is routed to.

    - ``round_robin``: owners in turn, skipping reps at their private-pool cap.
    - ``least_loaded``: the rep with the most room under the cap.
    - ``next_available``: no owner at arrival; the first rep with free time takes the lead
      from the team's queue (a single shared queue, as in a call centre).
    """

    strategy: AssignmentStrategy = Field("round_robin", description="Rep choice rule.")


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


class Circulation(Strict):
    """Service levels and, later, the rules that move leads between pools."""

    sla_hours: Annotated[float, Field(gt=0)] = Field(
        24.0, description="First contact is due this many hours after assignment."
    )


class Policy(Strict):
    """A lead-handling policy: grading, routing, assignment, follow-up and SLA."""

    name: str = Field(min_length=1, description="Short name shown in outputs.")
    description: str = Field("", description="What the policy stands for.")
    grading: Grading = Field(default_factory=Grading)
    routing: Routing
    assignment: Assignment = Field(default_factory=Assignment)
    follow_up: FollowUp = Field(default_factory=FollowUp)
    circulation: Circulation = Field(default_factory=Circulation)
