"""Conversion from the export mapped onto the model: decay, lead quality, teams' stage rates.

In the model (sim/work.py) a sales attempt connects with the team's ``connect_rate``; a
conversation qualifies the lead with chance min(1, propensity x decay(first-contact delay) x
staleness x skill x fit), where staleness halves every ``decay.staleness_half_life_days``
without a conversation, skill is the rep's (mean slightly under 1) and fit the team's for the
lead's complexity. A lead that does not qualify is released, may be recycled and claimed
again, and gets a new conversation with a new chance; so the share of leads ever qualified is
well above the per-conversation chance that ``quality.mean`` describes. A qualified lead
waits ``cycle_days.to_opportunity`` (exponential) for a meeting, which shows with
``meeting_show_rate`` (up to ``meeting_attempts`` tries, else the deal goes dark); a held
meeting moves the deal on with chance rate x staleness x skill x fit, else it is lost; the
same again from opportunity to won.

With activities.csv (every touch, with its outcome) the fits follow that per conversation and
per meeting held:
- quality and decay: whether each lead's first conversation (its first connected call by a
  sales rep) qualified it, by first-contact delay, each with the factor the base scenario
  says the model multiplies in (staleness since arrival, the team's fit and mean skill);
  the level at zero delay is then quality.mean itself;
- stage rates: leads whose meeting at the stage was held, moved on or not, over the sum of
  the same factors (staleness over the wait since the stage began), so leads still in their
  cycle at the export's end and meetings that never happened drop out;
- cycle days: the wait from reaching a stage to its held meeting, exponential with leads
  still waiting at the end as censored waits.

Without activities only leads.csv stages are known: qualification among contacted leads is
level x decay(delay) with level = quality.mean x P(connect within max_attempts), and stage
rates are shares of leads reaching the next stage over the chance that a meeting is held
(also when the activities log calls but no meetings, or too few held). That path ignores
repeated conversations, skill, fit, staleness and leads still in their cycle, so it
overstates quality and understates stage rates on data like the model's.

Known simplifications of the per-conversation path: staleness at the first conversation is
counted from arrival (an SDR's cleaning call also resets it in the model), the team of a
meeting is the lead's last owner, SDR disqualification before any sales conversation is not
modelled (it removes mostly junk, raising the mean of the leads left a little), the cap at
chance 1 is ignored, and the wait for a held meeting includes the time the lead waited for a
free rep and the rep's working hours, which the model adds to cycle_days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from crm.fit import Z95, DecayFit, DelayBins, Estimate, Findings, fit_decay, mean_of, share
from crm.observed import STAGES, ChannelTally, Observed, TeamTally
from policies.schema import FollowUp
from scenarios.schema import DecayCurve, Scenario

MIN_DECAY_CONTACTED = 20
"""A channel enters the decay fit with this many contacted leads (else its quality is the
base's)."""
CHANNEL_DECAY_CONTACTED = 3000
CHANNEL_DECAY_QUALIFIED = 300
"""A channel gets its own decay curve with this many contacted and qualified leads; others
share the pooled curve."""
MIN_GRADE_TALKS = 30
"""An arrival grade gets its own level with this many first conversations in the channel."""
MIN_TEAM_QUALIFIED = 30
MIN_CYCLES = 10
MIN_CALLS = 30


@dataclass(frozen=True)
class Conversion:
    """The fitted conversion fields: pooled decay, channel overrides, quality, team fields."""

    decay: dict[str, Any] | None
    channel_decay: dict[str, dict[str, Any]]
    quality_mean: dict[str, float]
    teams: dict[str, dict[str, Any]]


def fit_conversion(observed: Observed, base: Scenario, follow_up: FollowUp,
                   findings: Findings) -> Conversion:
    """Decay curves, channel quality and team rates from the observed tallies."""
    connect = _connect_rates(observed, base, findings)
    talks = observed.conversations() > 0
    reach = None if talks else 1.0 - (1.0 - connect) ** follow_up.max_attempts
    groups = {name: _groups(tally, talks) for name, tally in sorted(observed.channels.items())}
    fitted = [name for name, tally in sorted(observed.channels.items())
              if _bins(tally, groups[name], talks).leads >= MIN_DECAY_CONTACTED]
    if not fitted:
        findings.assume("decay", "no channel has enough contacted leads "
                        f"({MIN_DECAY_CONTACTED}) with a first-contact time")
        return Conversion(None, {}, {}, _team_fields(observed, base, follow_up, findings))
    pooled = _pooled_decay(observed, fitted, groups, base.decay, talks, findings)
    levels, row = {}, 0
    for name in fitted:
        levels[name] = pooled.levels[row:row + len(groups[name])]
        row += len(groups[name])
    channel_decay = {}
    for name in fitted:
        own = _channel_decay(name, observed.channels[name], groups[name], pooled.curve, talks,
                             findings)
        if own is not None:
            channel_decay[name] = own.curve.model_dump()
            levels[name] = own.levels
    quality = {name: _quality(name, _level(name, levels[name], groups[name]), reach, connect,
                              follow_up, findings)
               for name in fitted}
    _grade_tables(observed, findings)
    return Conversion(pooled.curve.model_dump(), channel_decay, quality,
                      _team_fields(observed, base, follow_up, findings))


@dataclass(frozen=True)
class GradeGroup:
    """Grades fitted with one level, and their share of the channel's leads."""

    grades: list[str]
    weight: float


def _groups(tally: ChannelTally, talks: bool) -> list[GradeGroup]:
    """Levels per arrival grade with enough first conversations, the rest as one group.

    Which leads get a conversation depends on their grade (routing, claiming by score), and
    the grade goes with the lead's propensity; so the channel's quality is the level of each
    grade weighted by the grade's share of all the channel's leads, conversed or not.
    Without conversations: one group (the channel's contacted leads).
    """
    if not talks:
        return [GradeGroup([], 1.0)]
    leads = {grade: reached[0] for grade, reached in tally.stages_by_grade.items()}
    total = max(1, sum(leads.values()))
    talked = {grade: sum(bins.talked) for grade, bins in tally.talks.items()}
    own = sorted(g for g, n in talked.items() if n >= MIN_GRADE_TALKS)
    rest = sorted(g for g in talked if g not in own)
    if not own:
        return [GradeGroup(rest, 1.0)]
    grades = [[grade] for grade in own]
    if sum(talked[g] for g in rest) >= MIN_GRADE_TALKS:
        grades.append(rest)
    else:  # too few to stand alone: with the last grade that has enough
        grades[-1] = sorted(grades[-1] + rest)
    weights = [sum(leads.get(g, 0) for g in group) for group in grades]
    # leads of grades never conversed count with the last (in A-D order, the lowest) group
    weights[-1] += sum(n for g, n in leads.items() if g not in talked)
    return [GradeGroup(group, weight / total) for group, weight in zip(grades, weights,
                                                                        strict=True)]


def _bins(tally: ChannelTally, groups: list[GradeGroup], talks: bool) -> DelayBins:
    """First conversations (with activities) per grade group, or contacted leads, by
    first-contact delay."""
    if not talks:
        return tally.delay_bins()
    return tally.conversation_bins([group.grades for group in groups])


def _level(name: str, levels: list[Estimate], groups: list[GradeGroup]) -> Estimate:
    """The channel's level: the groups' levels weighted by their shares of its leads."""
    if len(levels) == 1:
        return levels[0]
    value = sum(g.weight * e.estimate for g, e in zip(groups, levels, strict=True))
    sd = math.sqrt(sum((g.weight * (e.ci_high - e.ci_low) / (2 * Z95)) ** 2
                       for g, e in zip(groups, levels, strict=True)))
    parts = ", ".join(f"{'/'.join(g.grades)} {e.estimate:.3g} x {g.weight:.2f}"
                      for g, e in zip(groups, levels, strict=True))
    return Estimate(f"channels.{name}.quality.level", value, max(0.0, value - Z95 * sd),
                    value + Z95 * sd, sum(e.n for e in levels), f"by arrival grade: {parts}")


def _pooled_decay(observed: Observed, names: list[str], groups: dict[str, list[GradeGroup]],
                  prior: DecayCurve, talks: bool, findings: Findings) -> DecayFit:
    rows = [_bins(observed.channels[name], groups[name], talks) for name in names]
    factors = [r.factor for r in rows if r.factor is not None]
    bins = DelayBins(np.vstack([r.contacted for r in rows]), np.vstack([r.qualified for r in rows]),
                     np.vstack([r.delay_hours for r in rows]),
                     np.vstack(factors) if talks else None)
    paths = [f"channels.{n}.quality.level" for n in names for _ in groups[n]]
    fit = fit_decay(bins, prior, "decay", paths)
    what = ("whether each lead's first conversation qualified it, with the base's staleness, "
            "fit and skill factors, by first-contact delay over "
            f"{len(names)} channels (each arrival grade with enough conversations its own "
            "level)" if talks else "qualification of contacted leads by first-contact delay "
            f"over {len(names)} channels (each its own level)")
    findings.note("decay", f"fitted by maximum likelihood on {what}, with a normal "
                  f"prior of sd 0.5 on log half-lives and logit weight and floor centred on "
                  "the base curve")
    for estimate in fit.shape:
        findings.fit(estimate)
    findings.assume("decay.staleness_half_life_days", "the base's (not observable here)")
    return fit


def _channel_decay(name: str, tally: ChannelTally, groups: list[GradeGroup],
                   pooled: DecayCurve, talks: bool, findings: Findings) -> DecayFit | None:
    bins = _bins(tally, groups, talks)
    contacted, qualified = bins.leads, int(bins.qualified.sum())
    path = f"channels.{name}.decay"
    if contacted < CHANNEL_DECAY_CONTACTED or qualified < CHANNEL_DECAY_QUALIFIED:
        findings.note(f"channels.{name}", f"decay: the pooled curve ({contacted:,} contacted, "
                      f"{qualified:,} qualified; a channel curve needs "
                      f"{CHANNEL_DECAY_CONTACTED:,} and {CHANNEL_DECAY_QUALIFIED:,})")
        return None
    fit = fit_decay(bins, pooled, path, [f"channels.{name}.quality.level"] * len(groups))
    findings.note(path, "fitted on this channel alone, with the pooled curve as prior")
    for estimate in fit.shape:
        findings.fit(estimate)
    return fit


def _quality(name: str, level: Estimate, reach: float | None, connect: float,
             follow_up: FollowUp, findings: Findings) -> float:
    """quality.mean: the level itself from first conversations (``reach`` None), else the
    level over the chance of ever connecting."""
    top = 0.999
    note = ("first conversations; their qualification chance at zero delay with the model's "
            "factors taken out" if reach is None else
            f"contacted leads; qualification at zero delay {level.estimate:.3g} over the "
            f"chance {reach:.3g} of connecting within {follow_up.max_attempts} attempts at "
            f"{connect:.3g} each")
    reach = reach or 1.0
    estimate = Estimate(f"channels.{name}.quality.mean", min(top, level.estimate / reach),
                        min(top, level.ci_low / reach), min(top, level.ci_high / reach),
                        level.n, note)
    findings.assume(f"channels.{name}.quality.concentration", "the base's or the default")
    return max(0.001, findings.fit(estimate))


def _connect_rates(observed: Observed, base: Scenario, findings: Findings) -> float:
    """Connect rates per team written into the findings; returns the pooled sales rate."""
    calls = observed.calls_by_team()
    total = sum(c for c, _ in calls.values())
    connected = sum(k for _, k in calls.values())
    sales = [t for t in base.teams.values() if t.role != "sdr"] or list(base.teams.values())
    if total >= MIN_CALLS:
        pooled = share("connect_rate", connected, total, "calls (pooled over teams)")
        findings.note("teams", f"pooled connect rate per call: {pooled.describe()}; "
                      f"{_attempts_per_lead(observed)}")
        return pooled.estimate
    return sum(t.connect_rate for t in sales) / max(1, len(sales))


def _attempts_per_lead(observed: Observed) -> str:
    touches = observed.touches
    if touches is None or not touches.leads():
        return "no touches"
    calls = sum(touches.calls.values())
    return (f"{calls / touches.leads():.2f} calls per touched lead "
            f"({touches.leads():,} leads)")


def _team_fields(observed: Observed, base: Scenario, follow_up: FollowUp,
                 findings: Findings) -> dict[str, dict[str, Any]]:
    pooled = TeamTally()
    for tally in observed.teams.values():
        pooled.qualified += tally.qualified
        pooled.opportunities += tally.opportunities
        pooled.won += tally.won
        for stage in range(2):
            pooled.trials[stage] += tally.trials[stage]
            pooled.hits[stage] += tally.hits[stage]
            pooled.factor[stage] += tally.factor[stage]
            pooled.waits[stage].add(tally.waits[stage])
        for mine, theirs in ((pooled.to_opportunity, tally.to_opportunity),
                             (pooled.to_close, tally.to_close)):
            for i in range(3):
                mine[i] += theirs[i]
    calls = observed.calls_by_team()
    unknown = sorted(set(observed.teams) - set(base.teams))
    if unknown:
        findings.note("teams", f"teams in the data but not in the base (pooled only): "
                      f"{', '.join(unknown)}")
    # activities that log meetings give rates per meeting held; else leads.csv stages
    held = observed.touches is not None and pooled.trials[0] >= MIN_TEAM_QUALIFIED
    fields: dict[str, dict[str, Any]] = {}
    for name, team in base.teams.items():
        path = f"teams.{name}"
        fields[name] = {"connect_rate": _team_connect(path, calls, team.connect_rate, findings)}
        if team.role == "sdr":
            continue
        source, whose = pooled, "all teams"
        own = observed.teams.get(name)
        if own is not None and own.qualified >= MIN_TEAM_QUALIFIED:
            source, whose = own, "this team's leads"
        if held:
            if own is None or own.trials[0] < MIN_TEAM_QUALIFIED:
                source, whose = pooled, "all teams"
            fields[name].update(_held_rates(path, source, whose, team, findings))
            closed = observed.factors.closed_days.get(name, 0.0) if observed.factors else 0.0
            fields[name]["cycle_days"] = _held_waits(path, source, whose, observed.end_seen(),
                                                     closed, team.cycle_days.model_dump(),
                                                     findings)
            continue
        show = 1.0 - (1.0 - team.meeting_show_rate) ** follow_up.meeting_attempts
        fields[name].update(_stage_rates(path, source, whose, show, team, findings))
        fields[name]["cycle_days"] = _cycle_days(path, source, whose, team.cycle_days.model_dump(),
                                                 findings)
    return fields


def _held_rates(path: str, source: TeamTally, whose: str, team: Any, findings: Findings
                ) -> dict[str, float]:
    """Stage rates per meeting held, with the model's factors divided out."""
    found = {}
    for stage, (field, fallback) in enumerate((("opportunity_rate", team.opportunity_rate),
                                               ("win_rate", team.win_rate))):
        n, hits, factor = source.trials[stage], source.hits[stage], source.factor[stage]
        if n < MIN_TEAM_QUALIFIED or factor <= 0:
            findings.assume(f"{path}.{field}", f"the base's ({n} meetings held at the stage)")
            found[field] = fallback
            continue
        seen = share(f"{path}.{field}", hits, n)
        scale = n / factor
        estimate = Estimate(seen.path, min(1.0, seen.estimate * scale),
                            min(1.0, seen.ci_low * scale), min(1.0, seen.ci_high * scale), n,
                            f"({whose}); meetings held: {seen.estimate:.3g} moved on, over "
                            f"the mean factor {1 / scale:.3g} of staleness, fit and skill")
        found[field] = findings.fit(estimate)
    return found


def _held_waits(path: str, source: TeamTally, whose: str, end: float, closed: float,
                base: dict[str, float], findings: Findings) -> dict[str, float]:
    """Cycle days: mean wait from a stage to its held meeting, censored at the end and at
    the recycling limits, less the team's mean wait for working hours (``closed`` days)."""
    found = dict(base)
    for stage, field in enumerate(("to_opportunity", "to_close")):
        wait = source.waits[stage]
        if wait.ended < MIN_CYCLES:
            findings.assume(f"{path}.cycle_days.{field}", f"the base's ({wait.ended} held "
                            "meetings)")
            continue
        waited = wait.mean_days(end)
        mean = max(0.01, waited - closed)
        half = Z95 / math.sqrt(wait.ended)
        estimate = Estimate(f"{path}.cycle_days.{field}", mean, mean / (1 + half),
                            mean / max(0.05, 1 - half), wait.ended,
                            f"({whose}); exponential wait to the held meeting {waited:.3g} "
                            f"days ({len(wait.open_since)} leads still waiting at the end and "
                            "waits beyond the policy's recycling limits censored) less "
                            f"{closed:.2g} days' mean wait for working hours; still includes "
                            "waits for a free rep")
        found[field] = max(0.01, findings.fit(estimate))
    return found


def _team_connect(path: str, calls: dict[str, tuple[int, int]], base_rate: float,
                  findings: Findings) -> float:
    team = path.split(".", 1)[1]
    done, connected = calls.get(team, (0, 0))
    if done >= MIN_CALLS:
        return findings.fit(share(f"{path}.connect_rate", connected, done, "calls"))
    findings.assume(f"{path}.connect_rate", f"the base's ({done} calls in activities.csv; "
                    f"{MIN_CALLS} are needed)")
    return base_rate


def _stage_rates(path: str, source: TeamTally, whose: str, show: float, team: Any,
                 findings: Findings) -> dict[str, float]:
    found = {}
    for field, hits, n, fallback in (("opportunity_rate", source.opportunities,
                                      source.qualified, team.opportunity_rate),
                                     ("win_rate", source.won, source.opportunities,
                                      team.win_rate)):
        if n < MIN_TEAM_QUALIFIED:
            findings.assume(f"{path}.{field}", f"the base's ({n} leads at the stage before)")
            found[field] = fallback
            continue
        seen = share(f"{path}.{field}", hits, n)
        estimate = Estimate(seen.path, min(1.0, seen.estimate / show),
                            min(1.0, seen.ci_low / show), min(1.0, seen.ci_high / show), n,
                            f"({whose}); observed {seen.estimate:.3g} over the chance "
                            f"{show:.3g} that a meeting is held (base show rate)")
        found[field] = findings.fit(estimate)
    return found


def _cycle_days(path: str, source: TeamTally, whose: str, base: dict[str, float],
                findings: Findings) -> dict[str, float]:
    found = dict(base)
    for field, sums in (("to_opportunity", source.to_opportunity),
                        ("to_close", source.to_close)):
        n = int(sums[0])
        if n < MIN_CYCLES:
            findings.assume(f"{path}.cycle_days.{field}", f"the base's ({n} observed gaps)")
            continue
        estimate = mean_of(f"{path}.cycle_days.{field}", n, sums[1], sums[2],
                           f"({whose}); mean days between the stages, including waits for "
                           "meetings that did not happen")
        found[field] = max(0.01, findings.fit(estimate))
    return found


def _grade_tables(observed: Observed, findings: Findings) -> None:
    """Conversion by channel and grade at each stage, as comments (grades are the policy's)."""
    for name, tally in sorted(observed.channels.items()):
        lines = [f"conversion by grade (share of leads reaching {', '.join(STAGES[1:])}):"]
        for grade, reached in sorted(tally.stages_by_grade.items()):
            leads = reached[0]
            parts = [f"{stage} {reached[i] / leads:.3f}" for i, stage in enumerate(STAGES)
                     if i in (1, 3)]
            qualified = share("", reached[2], leads).brief()
            won = share("", reached[4], leads).brief()
            lines.append(f"grade {grade}: {leads:,} leads; {parts[0]}, qualified {qualified}, "
                         f"{parts[1]}, won {won}")
        for line in lines:
            findings.note(f"channels.{name}", line)
