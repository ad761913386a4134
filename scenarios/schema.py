"""The scenario file: the company being simulated.

A scenario describes what a policy cannot change: where leads come from and what they cost,
what they are worth, and which teams exist with what capacity. Times are in hours unless a
field name says otherwise; money is in the scenario's currency.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Complexity = Literal["low", "medium", "high"]
COMPLEXITIES: tuple[Complexity, ...] = ("low", "medium", "high")
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Volume = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]
MOST_NAMES = 255  # channels, business lines or languages: the simulation keeps an index byte


class Strict(BaseModel):
    """Base of every file section: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Calendar(Strict):
    """When a team works. Hours are local clock hours, weekdays count Monday as 0."""

    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default=[0, 1, 2, 3, 4], description="Working weekdays, Monday = 0 ... Sunday = 6."
    )
    start_hour: Annotated[float, Field(ge=0, lt=24)] = Field(9.0, description="Shift start.")
    end_hour: Annotated[float, Field(gt=0, le=24)] = Field(18.0, description="Shift end.")

    @model_validator(mode="after")
    def _shift_is_positive(self) -> Calendar:
        if self.end_hour <= self.start_hour:
            raise ValueError(f"end_hour must be after start_hour ({self.start_hour})")
        if not self.weekdays:
            raise ValueError("weekdays must name at least one day")
        return self

    @property
    def always_open(self) -> bool:
        return len(set(self.weekdays)) == 7 and self.start_hour == 0 and self.end_hour == 24


class Duration(Strict):
    """A random duration in minutes."""

    distribution: Literal["exponential", "lognormal", "fixed"] = Field(
        "lognormal", description="Shape of the distribution."
    )
    mean_minutes: Positive = Field(description="Mean duration in minutes.")
    cv: NonNegative = Field(
        0.5, description="Coefficient of variation (lognormal only; exponential has 1)."
    )


class DecayCurve(Strict):
    """How a lead's chance to qualify falls while it waits (speed to lead).

    factor(h) = floor + (1 - floor) * (w * 2^(-h / fast) + (1 - w) * 2^(-h / slow)),
    where h is the delay in hours from arrival to the first contact. The default shape is
    steep over the first hour and then long and flat, as in the Lead Response Management
    study (Oldroyd & InsideSales, 2007; grade B) and Oldroyd, McElheran & Elkington, HBR
    2011 (grade A-/B). Those studies are observational: their odds ratios (21x for 5 vs 30
    minutes, 60x for 1 vs 24 hours) mix speed with firm quality, so the defaults here are
    deliberately milder than the raw ratios.
    """

    enabled: bool = Field(True, description="False removes decay entirely.")
    fast_half_life_hours: Positive = Field(0.25, description="Half-life of the steep part.")
    fast_weight: Probability = Field(0.6, description="Weight w of the steep part.")
    slow_half_life_hours: Positive = Field(96.0, description="Half-life of the long tail.")
    floor: Probability = Field(0.1, description="Share of value that never decays.")
    staleness_half_life_days: Positive = Field(
        45.0, description="Half-life of value in days since the last real conversation."
    )


class Quality(Strict):
    """Latent propensity of a channel's leads: a Beta distribution by mean and concentration.

    Propensity is the chance that a prompt first conversation with a skilled rep qualifies
    the lead.
    """

    mean: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(description="Mean propensity.")
    concentration: Positive = Field(8.0, description="Beta a + b; higher means less spread.")


class DealSize(Strict):
    """Deal value of a lead if won: lognormal by median and log-sd, in currency."""

    median: Positive = Field(description="Median deal value.")
    sigma: NonNegative = Field(0.8, description="Standard deviation of log deal value.")


class Response(Strict):
    """Paid-channel response curve: leads per day from monthly spend (Hill curve).

    leads_per_day = max_leads_per_day * s^shape / (half_saturation_spend^shape + s^shape),
    which has diminishing returns in spend s for shape <= 1.
    """

    max_leads_per_day: Annotated[float, Field(gt=0.0, le=1e6, allow_inf_nan=False)] = Field(
        description="Volume the channel saturates at."
    )
    half_saturation_spend: Positive = Field(description="Monthly spend giving half of it.")
    shape: Annotated[float, Field(gt=0.0, le=4.0)] = Field(1.0, description="Hill exponent.")


ChannelKind = Literal["organic", "paid", "referral", "outbound"]


class Channel(Strict):
    """A source of leads, with its volume profile, cost and the mix of leads it brings."""

    kind: ChannelKind = Field(
        description="organic, paid, referral (produced by won customers) or outbound "
        "(produced by reps' own prospecting)."
    )
    leads_per_day: Volume | None = Field(
        None, description="Mean arrivals per calendar day (organic; referral and outbound "
        "channels may add a base volume here on top of what customers and reps produce)."
    )
    monthly_cost: NonNegative = Field(0.0, description="Fixed cost per month (any channel).")
    monthly_spend: NonNegative | None = Field(
        None, description="Media spend per month (paid channels), turned into volume."
    )
    response: Response | None = Field(None, description="Spend-to-volume curve (paid).")
    weekday_profile: list[NonNegative] = Field(
        default=[1.0] * 7, description="Relative volume Monday..Sunday (7 values)."
    )
    hour_profile: list[NonNegative] = Field(
        default=[1.0] * 24, description="Relative volume per hour of day (24 values)."
    )
    seasonality: list[NonNegative] = Field(
        default=[1.0] * 12, description="Relative volume January..December (12 values)."
    )
    quality: Quality = Field(description="Latent propensity of this channel's leads.")
    business_lines: dict[str, NonNegative] = Field(description="Mix of business lines.")
    regions: dict[str, NonNegative] = Field(description="Mix of regions.")
    complexity: dict[Complexity, NonNegative] = Field(
        default={"low": 0.5, "medium": 0.35, "high": 0.15}, description="Mix of complexity."
    )
    languages: dict[str, NonNegative] | None = Field(
        None, description="Mix of customer languages (default: the scenario's first language)."
    )
    deal_size: DealSize = Field(description="Deal value if won.")
    decay: DecayCurve | None = Field(None, description="Overrides the scenario's decay.")

    @field_validator("weekday_profile")
    @classmethod
    def _seven_days(cls, value: list[float]) -> list[float]:
        return _profile(value, 7, "weekday_profile")

    @field_validator("hour_profile")
    @classmethod
    def _twenty_four_hours(cls, value: list[float]) -> list[float]:
        return _profile(value, 24, "hour_profile")

    @field_validator("seasonality")
    @classmethod
    def _twelve_months(cls, value: list[float]) -> list[float]:
        return _profile(value, 12, "seasonality")

    @field_validator("business_lines", "regions", "complexity", "languages")
    @classmethod
    def _mix_has_weight(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        if not value or sum(value.values()) <= 0:
            raise ValueError("must give at least one positive weight")
        return value

    @model_validator(mode="after")
    def _volume_is_defined(self) -> Channel:
        if self.kind == "paid":
            if self.monthly_spend is None or self.response is None:
                raise ValueError("a paid channel needs monthly_spend and response")
        elif self.kind == "organic" and self.leads_per_day is None:
            raise ValueError("an organic channel needs leads_per_day")
        return self


def _profile(value: list[float], length: int, name: str) -> list[float]:
    if len(value) != length:
        raise ValueError(f"{name} needs exactly {length} values")
    if sum(value) <= 0:
        raise ValueError(f"{name} needs at least one positive value")
    return value


class BusinessLine(Strict):
    """A product line with its own margin and public pool."""

    gross_margin: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.6, description="Share of deal value kept as margin."
    )


class CycleDays(Strict):
    """Mean days between sales-cycle meetings, drawn from an exponential distribution."""

    to_opportunity: Positive = Field(7.0, description="Qualified until the discovery meeting.")
    to_close: Positive = Field(14.0, description="Opportunity until the closing meeting.")


TeamRole = Literal["sdr", "telesales", "field", "key_account"]


class Team(Strict):
    """A team of SDRs or reps, with headcount, calendar, capacity and effectiveness."""

    role: TeamRole = Field(description="sdr, telesales, field or key_account.")
    headcount: Annotated[int, Field(ge=0, le=10_000)] = Field(description="People on the team.")
    monthly_cost_per_head: NonNegative = Field(0.0, description="Loaded cost per person.")
    calendar: Calendar = Field(default_factory=Calendar, description="Working time.")
    attempt_minutes: Duration | None = Field(
        None, description="Rep time one contact attempt takes (required for sales teams)."
    )
    meeting_minutes: Duration | None = Field(
        None, description="Rep time a later-stage meeting takes (defaults to attempt_minutes)."
    )
    connect_rate: Probability = Field(0.25, description="Chance an attempt reaches the lead.")
    meeting_show_rate: Probability = Field(0.85, description="Chance a booked meeting happens.")
    opportunity_rate: Probability = Field(0.5, description="Qualified -> opportunity chance.")
    win_rate: Probability = Field(0.3, description="Opportunity -> won chance.")
    cycle_days: CycleDays = Field(default_factory=CycleDays, description="Sales cycle pace.")
    private_pool_cap: Annotated[int, Field(ge=1)] = Field(
        200, description="Most leads one rep may own at once."
    )
    skill_spread: NonNegative = Field(
        0.2, description="Standard deviation of log overall conversion skill across people "
        "(0 = all alike); the team average stays the same."
    )
    complexity_fit: dict[Complexity, Positive] = Field(
        default={"low": 1.0, "medium": 1.0, "high": 1.0},
        description="Effectiveness multiplier by lead complexity.",
    )
    regions: list[str] = Field(
        default=[], description="Regions the team covers, people split evenly (empty = all)."
    )
    languages: dict[str, Probability] = Field(
        default={}, description="Share of the team speaking each language (empty = everyone "
        "speaks every language); the first people of the team get each language."
    )
    senior_share: Probability = Field(
        1.0, description="Share of the team senior enough for complex leads."
    )
    absence_rate: Probability = Field(
        0.0, description="Chance a person is absent on a given day (leave, sickness)."
    )
    clean_minutes: Duration | None = Field(None, description="SDR: time to clean one lead.")
    disqualify_accuracy: Probability = Field(
        0.8, description="SDR: chance a junk lead is disqualified."
    )
    false_disqualify_rate: Probability = Field(
        0.05, description="SDR: chance a good lead is wrongly disqualified."
    )
    refined_score_noise: NonNegative = Field(
        0.4, description="SDR: noise (logit units) of the score after cleaning."
    )

    attrition_per_year: NonNegative = Field(
        0.0, description="Share of the team that leaves per year (exponential tenure)."
    )
    vacancy_days: NonNegative = Field(
        30.0, description="Days until a leaver is replaced by a new hire."
    )
    outbound_share: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.0, description="Share of working time spent prospecting for outbound leads."
    )
    outbound_leads_per_hour: NonNegative = Field(
        0.5, description="Outbound leads found per hour of prospecting."
    )
    prospecting_block_minutes: Positive = Field(
        30.0, description="Length of one prospecting block."
    )

    @model_validator(mode="after")
    def _sdr_cleans(self) -> Team:
        if self.role == "sdr" and self.clean_minutes is None:
            raise ValueError("an sdr team needs clean_minutes")
        if self.role != "sdr" and self.attempt_minutes is None:
            raise ValueError(f"a {self.role} team needs attempt_minutes")
        return self


class Classification(Strict):
    """How well the scoring model sees a lead's latent propensity."""

    score_noise: NonNegative = Field(
        1.0, description="Noise (logit units) between latent propensity and observed score."
    )
    junk_propensity: Probability = Field(
        0.04, description="Leads below this propensity are junk that SDRs should remove."
    )
    rescore_noise: NonNegative = Field(
        0.6, description="Noise (logit units) of a re-score by an activation campaign."
    )


class Experience(Strict):
    """Limits that define harassment and duplicate contact."""

    touch_window_days: Positive = Field(7.0, description="Rolling window for touches.")
    touch_limit: Annotated[int, Field(ge=1)] = Field(
        5, description="More touches than this inside the window is harassment."
    )
    duplicate_window_days: Positive = Field(
        30.0, description="Two or more reps contacting one lead inside this window."
    )
    opt_out_per_excess_touch: Probability = Field(
        0.05, description="Chance a touch over the limit makes the customer opt out."
    )


class Crm(Strict):
    """How the CRM applies circulation rules."""

    recycling: Literal["nightly", "realtime"] = Field(
        "nightly", description="Apply recycling rules in a nightly batch, or the moment "
        "they are due."
    )
    nightly_hour: Annotated[float, Field(ge=0, lt=24)] = Field(
        2.0, description="Clock hour of the nightly batch."
    )


class BlockedReview(Strict):
    """Manual handling of the blocked pool: the only way out of it."""

    reviews_per_week: Annotated[int, Field(ge=0, le=7)] = Field(
        0, description="Reviews of the blocked pool per week (0 = never)."
    )
    release_share: Probability = Field(
        0.1, description="Share of reviewed blocked leads released to the public pool."
    )


class ActivationFacts(Strict):
    """How customers answer activation messages, and what a message costs."""

    cost_per_message: NonNegative = Field(0.3, description="Cost of one message sent.")
    response_scale: NonNegative = Field(
        0.15, description="Response chance = scale x propensity x staleness factor."
    )
    opt_out_rate: Probability = Field(
        0.002, description="Chance that a message makes the customer opt out."
    )
    harassed_opt_out_multiplier: Annotated[float, Field(ge=1.0)] = Field(
        10.0, description="Opt-out chance multiplier for customers over the touch limit."
    )


class CustomerSuccess(Strict):
    """After the sale: repeat purchases and referrals from won customers."""

    headcount: Annotated[int, Field(ge=0, le=10_000)] = Field(
        0, description="Customer success managers."
    )
    monthly_cost_per_head: NonNegative = Field(0.0, description="Loaded cost per person.")
    accounts_per_manager: Positive = Field(
        150.0, description="Accounts one manager keeps fully covered; beyond that repeat "
        "chances shrink in proportion."
    )
    repeat_probability: Probability = Field(
        0.3, description="Chance of each further purchase when fully covered."
    )
    repeat_delay_days: Positive = Field(120.0, description="Mean days to a repeat purchase.")
    repeat_value_share: NonNegative = Field(
        0.4, description="A repeat purchase's value as a share of the first deal."
    )
    referrals_per_customer_per_year: NonNegative = Field(
        0.0, description="Referral leads a customer produces per year."
    )
    referral_channel: str = Field(
        "referral", description="Channel (kind referral) that referral leads arrive in."
    )


class Patience(Strict):
    """Leads waiting for first contact go cold at an exponential rate (Erlang-A)."""

    enabled: bool = Field(False, description="True makes waiting leads abandon.")
    mean_hours: Positive = Field(24.0, description="Mean patience before going cold.")


WarningMetric = Literal["leads", "follow_up_rate", "conversion_rate", "pool_backlog"]
WarningPeriod = Literal["daily", "weekly", "monthly"]
WarningTest = Literal["below", "above", "drop", "rise"]
PoolName = Literal["private", "public", "grand", "blocked"]
RATE_METRICS = ("follow_up_rate", "conversion_rate")


class WarningRule(Strict):
    """An early-warning rule: when a monitored figure crosses a line, the rule fires.

    The figure is measured over each complete day, ISO week (Monday to Sunday) or calendar
    month of the horizon. ``leads`` counts arrivals; ``follow_up_rate`` is the share of the
    period's leads first contacted within ``monitoring.follow_up_hours`` of arrival;
    ``conversion_rate`` is leads won in the period over leads arrived in it;
    ``pool_backlog`` is a pool's size at the end of the period. ``below`` and ``above``
    compare with ``threshold``; ``drop`` (``rise``) fires when the figure is more than
    ``threshold`` (a share) below (above) its mean over the ``trailing_periods`` before.
    """

    name: str = Field(min_length=1, description="Name shown in warnings.csv and the report.")
    metric: WarningMetric = Field(
        description="leads, follow_up_rate, conversion_rate or pool_backlog."
    )
    period: WarningPeriod = Field("daily", description="daily, weekly or monthly.")
    test: WarningTest = Field(
        description="below or above threshold; drop or rise by more than threshold (a share) "
        "against the trailing mean."
    )
    threshold: NonNegative = Field(
        description="The line: a count, a rate (0-1), or for drop and rise a share (0.3 = 30%)."
    )
    trailing_periods: Annotated[int, Field(ge=1, le=52)] = Field(
        4, description="drop and rise: periods in the trailing mean (all must be judged)."
    )
    business_line: str | None = Field(
        None, description="Watch one business line (with pool_backlog: its public pool); "
        "empty = all."
    )
    channel: str | None = Field(None, description="Watch one channel; empty = all.")
    pool: PoolName | None = Field(
        None, description="pool_backlog: private (all reps), public, grand or blocked."
    )
    min_leads: NonNegative = Field(
        1.0, description="Rates are judged only in periods with at least this many leads."
    )
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default=[0, 1, 2, 3, 4, 5, 6], description="daily rules: the weekdays judged, Monday "
        "= 0 (skip days whose arrivals wait for the weekend); trailing means skip them too."
    )

    @model_validator(mode="after")
    def _scope_fits_the_metric(self) -> WarningRule:
        backlog = self.metric == "pool_backlog"
        if backlog and self.pool is None:
            raise ValueError("pool_backlog needs pool (private, public, grand or blocked)")
        if not backlog and self.pool is not None:
            raise ValueError(f"pool applies only to pool_backlog, not to {self.metric}")
        if backlog and self.channel is not None:
            raise ValueError("pool_backlog cannot watch a channel: pools mix channels")
        if backlog and self.business_line is not None and self.pool != "public":
            raise ValueError("pool_backlog of a business line needs pool = 'public'")
        if self.period != "daily" and len(set(self.weekdays)) != 7:
            raise ValueError("weekdays apply only to daily rules")
        if not self.weekdays:
            raise ValueError("weekdays must name at least one day")
        if self.test == "drop" and self.threshold >= 1.0:
            raise ValueError(f"a drop is a share below 1, got threshold {self.threshold}")
        if self.test in ("below", "above") and self.metric in RATE_METRICS \
                and self.threshold > 1.0:
            raise ValueError(f"a rate threshold is at most 1, got {self.threshold}")
        return self


class Monitoring(Strict):
    """Daily early warnings, weekly tracking and the monthly review of the lead flow."""

    follow_up_hours: Positive = Field(
        24.0, description="A lead counts as followed up when first contacted within this "
        "many hours of arrival."
    )
    rules: list[WarningRule] = Field(
        default=[], description="Warning rules; the run counts when each fires."
    )

    @field_validator("rules")
    @classmethod
    def _names_are_unique(cls, rules: list[WarningRule]) -> list[WarningRule]:
        names = [rule.name for rule in rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique, '{repeated[0]}' repeats")
        return rules


class Scenario(Strict):
    """A company to simulate: channels, business lines, regions and teams."""

    name: str = Field(min_length=1, description="Short name shown in outputs.")
    description: str = Field("", description="What this scenario represents.")
    days: Annotated[int, Field(ge=1, le=3660)] = Field(365, description="Horizon in days.")
    start_date: Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2900, 1, 1))] = Field(
        dt.date(2026, 1, 5), description="Calendar date of day 0."
    )
    currency: str = Field("USD", description="Currency of every money field.")
    volume_scale: Annotated[float, Field(gt=0.0, le=1000.0, allow_inf_nan=False)] = Field(
        1.0, description="Multiplies every channel's arrival volume (what-if growth)."
    )
    default_policy: str = Field(
        "default", description="Policy (bundled name or path) used when none is given."
    )
    business_lines: dict[str, BusinessLine] = Field(description="Product lines by name.")
    regions: list[str] = Field(min_length=1, description="Sales regions.")
    languages: list[str] = Field(
        default=["en"], min_length=1, description="Customer languages; the first is the default."
    )
    channels: dict[str, Channel] = Field(description="Lead sources by name.")
    teams: dict[str, Team] = Field(description="Teams by name.")
    classification: Classification = Field(default_factory=Classification)
    decay: DecayCurve = Field(default_factory=DecayCurve, description="Default decay curve.")
    experience: Experience = Field(default_factory=Experience)
    patience: Patience = Field(default_factory=Patience)
    crm: Crm = Field(default_factory=Crm)
    blocked_review: BlockedReview = Field(default_factory=BlockedReview)
    activation: ActivationFacts = Field(default_factory=ActivationFacts)
    customer_success: CustomerSuccess = Field(default_factory=CustomerSuccess)
    monitoring: Monitoring = Field(
        default_factory=Monitoring, description="Early-warning rules of daily, weekly and "
        "monthly monitoring.",
    )

    @model_validator(mode="after")
    def _names_are_known(self) -> Scenario:
        if not self.business_lines:
            raise ValueError("business_lines must name at least one business line")
        if not self.channels:
            raise ValueError("channels must name at least one channel")
        for field, names in (("channels", self.channels), ("business_lines", self.business_lines),
                             ("languages", self.languages)):
            if len(names) > MOST_NAMES:
                raise ValueError(f"{field} may name at most {MOST_NAMES} entries "
                                 f"(a lead keeps the index in one byte); given {len(names)}")
        for name, channel in self.channels.items():
            _check_keys(f"channels.{name}.business_lines", channel.business_lines,
                        self.business_lines)
            _check_keys(f"channels.{name}.regions", channel.regions, self.regions)
        for name, channel in self.channels.items():
            _check_keys(f"channels.{name}.languages", channel.languages or {}, self.languages)
        for name, team in self.teams.items():
            _check_keys(f"teams.{name}.regions", team.regions, self.regions)
            _check_keys(f"teams.{name}.languages", team.languages, self.languages)
        self._check_driven_channels()
        for index, rule in enumerate(self.monitoring.rules):
            path = f"monitoring.rules[{index}]"
            _check_keys(f"{path}.business_line", _named(rule.business_line), self.business_lines)
            _check_keys(f"{path}.channel", _named(rule.channel), self.channels)
        return self

    def _check_driven_channels(self) -> None:
        success = self.customer_success
        if success.referrals_per_customer_per_year > 0:
            channel = self.channels.get(success.referral_channel)
            if channel is None or channel.kind != "referral":
                raise ValueError(f"customer_success.referral_channel: "
                                 f"'{success.referral_channel}' must name a channel of kind "
                                 f"'referral'")
        prospecting = [name for name, team in self.teams.items() if team.outbound_share > 0]
        outbound = [name for name, c in self.channels.items() if c.kind == "outbound"]
        if prospecting and not outbound:
            raise ValueError(f"teams.{prospecting[0]}.outbound_share: prospecting needs a "
                             f"channel of kind 'outbound' for its leads")


def _named(name: str | None) -> list[str]:
    return [] if name is None else [name]


def _check_keys(path: str, used: object, known: object) -> None:
    unknown = sorted(set(used) - set(known))  # type: ignore[call-overload]
    if unknown:
        allowed = ", ".join(sorted(known))  # type: ignore[call-overload]
        raise ValueError(f"{path}: '{unknown[0]}' is not defined (defined: {allowed})")
