"""Conversion from the export mapped onto the model: decay, lead quality, teams' stage rates.

In the model (sim/work.py) a contacted lead qualifies when a sales attempt connects (each
attempt with the team's ``connect_rate``, up to the policy's ``max_attempts``) and the
conversation succeeds with chance propensity x decay(first-contact delay). So among contacted
leads, qualification = level x decay(delay), with level = quality.mean x P(connect within
max_attempts). Later stages need a meeting that shows (``meeting_show_rate``, up to
``meeting_attempts`` tries) and then succeeds with the team's ``opportunity_rate`` or
``win_rate``. The fits below invert those relations.

Known simplifications: reps' skill and complexity fit are taken as 1 on average, staleness
before the first conversation is ignored, SDR disqualification is not separated out, and
stage rates are not corrected for leads still in their cycle when the export was taken
(recent leads lower the rates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crm.fit import DecayFit, DelayBins, Estimate, Findings, fit_decay, mean_of, share
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
    reach = 1.0 - (1.0 - connect) ** follow_up.max_attempts
    fitted = [name for name, tally in sorted(observed.channels.items())
              if sum(tally.contacted) >= MIN_DECAY_CONTACTED]
    if not fitted:
        findings.assume("decay", "no channel has enough contacted leads "
                        f"({MIN_DECAY_CONTACTED}) with a first-contact time")
        return Conversion(None, {}, {}, _team_fields(observed, base, follow_up, findings))
    pooled = _pooled_decay(observed, fitted, base.decay, findings)
    levels = dict(zip(fitted, pooled.levels, strict=True))
    channel_decay = {}
    for name in fitted:
        own = _channel_decay(name, observed.channels[name], pooled.curve, findings)
        if own is not None:
            channel_decay[name] = own.curve.model_dump()
            levels[name] = own.levels[0]
    quality = {name: _quality(name, levels[name], reach, connect, follow_up, findings)
               for name in fitted}
    _grade_tables(observed, findings)
    return Conversion(pooled.curve.model_dump(), channel_decay, quality,
                      _team_fields(observed, base, follow_up, findings))


def _pooled_decay(observed: Observed, names: list[str], prior: DecayCurve,
                  findings: Findings) -> DecayFit:
    rows = [observed.channels[name].delay_bins() for name in names]
    bins = DelayBins(np.vstack([r.contacted for r in rows]), np.vstack([r.qualified for r in rows]),
                     np.vstack([r.delay_hours for r in rows]))
    fit = fit_decay(bins, prior, "decay", [f"channels.{n}.quality.level" for n in names])
    findings.note("decay", "fitted by maximum likelihood on qualification by first-contact "
                  f"delay over {len(names)} channels (each its own level), with a normal "
                  f"prior of sd 0.5 on log half-lives and logit weight and floor centred on "
                  "the base curve")
    for estimate in fit.shape:
        findings.fit(estimate)
    findings.assume("decay.staleness_half_life_days", "the base's (not observable here)")
    return fit


def _channel_decay(name: str, tally: ChannelTally, pooled: DecayCurve,
                   findings: Findings) -> DecayFit | None:
    contacted, qualified = sum(tally.contacted), sum(tally.qualified)
    path = f"channels.{name}.decay"
    if contacted < CHANNEL_DECAY_CONTACTED or qualified < CHANNEL_DECAY_QUALIFIED:
        findings.note(f"channels.{name}", f"decay: the pooled curve ({contacted:,} contacted, "
                      f"{qualified:,} qualified; a channel curve needs "
                      f"{CHANNEL_DECAY_CONTACTED:,} and {CHANNEL_DECAY_QUALIFIED:,})")
        return None
    fit = fit_decay(tally.delay_bins(), pooled, path, [f"channels.{name}.quality.level"])
    findings.note(path, "fitted on this channel alone, with the pooled curve as prior")
    for estimate in fit.shape:
        findings.fit(estimate)
    return fit


def _quality(name: str, level: Estimate, reach: float, connect: float, follow_up: FollowUp,
             findings: Findings) -> float:
    top = 0.999
    estimate = Estimate(f"channels.{name}.quality.mean", min(top, level.estimate / reach),
                        min(top, level.ci_low / reach), min(top, level.ci_high / reach),
                        level.n, f"contacted leads; qualification at zero delay "
                        f"{level.estimate:.3g} over the chance {reach:.3g} of connecting "
                        f"within {follow_up.max_attempts} attempts at {connect:.3g} each")
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
    if touches is None or not touches.first_touch:
        return "no touches"
    calls = sum(touches.calls.values())
    return (f"{calls / len(touches.first_touch):.2f} calls per touched lead "
            f"({len(touches.first_touch):,} leads)")


def _team_fields(observed: Observed, base: Scenario, follow_up: FollowUp,
                 findings: Findings) -> dict[str, dict[str, Any]]:
    pooled = TeamTally()
    for tally in observed.teams.values():
        pooled.qualified += tally.qualified
        pooled.opportunities += tally.opportunities
        pooled.won += tally.won
        for mine, theirs in ((pooled.to_opportunity, tally.to_opportunity),
                             (pooled.to_close, tally.to_close)):
            for i in range(3):
                mine[i] += theirs[i]
    calls = observed.calls_by_team()
    unknown = sorted(set(observed.teams) - set(base.teams))
    if unknown:
        findings.note("teams", f"teams in the data but not in the base (pooled only): "
                      f"{', '.join(unknown)}")
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
        show = 1.0 - (1.0 - team.meeting_show_rate) ** follow_up.meeting_attempts
        fields[name].update(_stage_rates(path, source, whose, show, team, findings))
        fields[name]["cycle_days"] = _cycle_days(path, source, whose, team.cycle_days.model_dump(),
                                                 findings)
    return fields


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
