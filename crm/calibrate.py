"""Fit a scenario to a CRM export: ``leadops calibrate``.

The export is streamed once into tallies (crm/observed.py); volumes, mixes, deal sizes,
conversion and the speed-to-lead decay are fitted from them (crm/volume_fit.py,
crm/conversion_fit.py); everything the export cannot show (headcounts, calendars, costs,
classification noise, customer success, ...) is taken from a base scenario and listed as
assumed. The result is a commented TOML file that loads like any scenario.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.conversion_fit import Conversion, fit_conversion
from crm.fit import Estimate, Findings, lognormal, share
from crm.observed import ChannelTally, ModelFactors, Observed, TouchTally
from crm.reader import (
    CrmDataError,
    ReadReport,
    SpendRecord,
    read_activities,
    read_leads,
    read_owners,
    read_spend,
)
from crm.scenario_toml import render
from crm.volume_fit import Span, fit_paid, fit_volume, monthly_cost, spend_curve_fits
from leadops.errors import InputError
from policies.schema import FollowUp, Policy
from scenarios.files import validate_model
from scenarios.schema import BusinessLine, Channel, DealSize, Quality, Scenario

MIN_DAYS = 2
MIN_CHANNEL_LEADS = 20
MIN_DEALS = 10
ALWAYS_ASSUMED = (
    "languages", "currency", "classification", "experience", "patience", "crm",
    "blocked_review", "activation", "customer_success", "monitoring",
)
TEAM_FITTED = ("connect_rate", "opportunity_rate", "win_rate", "cycle_days")


@dataclass
class Calibration:
    """A scenario fitted to an export, its file text and what was fitted or assumed."""

    scenario: Scenario
    toml: str
    reports: list[ReadReport]
    assumed: list[str]
    fitted: list[Estimate]


def calibrate(leads: Path, *, base: Scenario, base_name: str = "baseline",
              activities: Path | None = None, spend: Path | None = None,
              strict: bool = False, until: dt.datetime | None = None) -> Calibration:
    """Fit a scenario to ``leads`` (and optionally activities and spend) over ``base``.

    ``until`` fits only on leads (and activities) before that moment. Raises InputError
    (CrmDataError) on unreadable files, on bad rows under ``strict`` and when there is too
    little data to fit.
    """
    reports: list[ReadReport] = []
    touches = _read_touches(activities, leads, strict, until, reports) if activities else None
    policy = _default_policy(base)
    factors = ModelFactors.of(base, policy.circulation if policy is not None else None)
    observed = Observed(touches=touches, factors=factors, until=until)
    _read_leads(leads, strict, until, observed, reports)
    spending = _read_spend(spend, strict, reports) if spend else []
    _check_enough(observed, leads, base)
    findings = Findings.empty()
    follow_up = policy.follow_up if policy is not None else FollowUp()
    data = _scenario_data(observed, spending, base, follow_up, findings)
    header = _header(leads, observed, base_name, findings, reports)
    text = render(data, findings.comments, header)
    scenario = validate_model(Scenario, tomllib.loads(text), file="the calibrated scenario")
    assumed = list(dict.fromkeys(findings.assumed))
    return Calibration(scenario, text, reports, assumed, findings.fitted)


# --- reading ----------------------------------------------------------------------------


def _read_touches(path: Path, leads: Path, strict: bool, until: dt.datetime | None,
                  reports: list[ReadReport]) -> TouchTally:
    """The activities, with the owners in ``leads`` telling sales reps' calls from others'
    (SDRs own no leads); when leads.csv names no owners, every rep's call counts."""
    owners = read_owners(leads)
    report = ReadReport(path)
    reports.append(report)
    touches = TouchTally(sales_reps=owners or None)
    for activity in read_activities(path, strict=strict, report=report, until=until):
        touches.add(activity)
    return touches


def _read_leads(path: Path, strict: bool, until: dt.datetime | None, observed: Observed,
                reports: list[ReadReport]) -> None:
    report = ReadReport(path)
    reports.insert(0, report)
    for lead in read_leads(path, strict=strict, report=report, until=until):
        observed.add(lead)


def _read_spend(path: Path, strict: bool, reports: list[ReadReport]) -> list[SpendRecord]:
    report = ReadReport(path)
    reports.append(report)
    return read_spend(path, strict=strict, report=report)


def _check_enough(observed: Observed, path: Path, base: Scenario) -> None:
    """Enough days, and enough leads in every channel whose volume is fitted.

    Referral and outbound channels of the base are exempt: the model produces their leads
    (customers' referrals, reps' prospecting), so their volume is never fitted.
    """
    if observed.leads == 0:
        raise CrmDataError("holds no usable lead rows, nothing to fit", file=str(path))
    days = observed.span_days()
    if days < MIN_DAYS:
        raise CrmDataError(f"the leads span {days} day(s); at least {MIN_DAYS} are needed "
                           "to fit arrival rates", file=str(path), path="created_at")
    produced = {name for name, c in base.channels.items() if c.kind in ("referral", "outbound")}
    for name, tally in sorted(observed.channels.items()):
        if tally.leads < MIN_CHANNEL_LEADS and name not in produced:
            raise CrmDataError(f"channel '{name}' has {tally.leads} lead(s); at least "
                               f"{MIN_CHANNEL_LEADS} are needed to fit a channel (merge it "
                               "into another channel or drop its rows)", file=str(path),
                               path="channel")


def _default_policy(base: Scenario) -> Policy | None:
    """The base's default policy: its contact cadence (attempts before giving up) and its
    recycling rules shape what the export shows; None when it cannot be loaded."""
    from policies import load_policy

    try:
        return load_policy(base.default_policy)
    except InputError:
        return None


# --- the scenario -----------------------------------------------------------------------


def _scenario_data(observed: Observed, spending: list[SpendRecord], base: Scenario,
                   follow_up: FollowUp, findings: Findings) -> dict[str, Any]:
    assert observed.first_created is not None
    first = observed.first_created.date()
    span = Span.of(first, observed.span_days())
    data = base.model_dump(exclude_none=True)
    regions = _regions(observed, base, findings)
    conversion = fit_conversion(observed, base, follow_up, findings)
    data.update(
        name="calibrated", start_date=first, days=span.days, volume_scale=1.0,
        description=f"Fitted to a CRM export of {observed.leads:,} leads from {first} over "
                    f"{span.days} days.",
        business_lines=_business_lines(observed, base, findings), regions=regions,
        channels={name: _channel(name, tally, span, spending, base, regions, conversion,
                                 findings)
                  for name, tally in sorted(observed.channels.items())},
    )
    if conversion.decay is not None:
        data["decay"] = conversion.decay
    _teams(data, base, regions, conversion, findings)
    _keep_consistent(data, findings)
    return data


def _business_lines(observed: Observed, base: Scenario, findings: Findings
                    ) -> dict[str, dict[str, Any]]:
    names = sorted({name for t in observed.channels.values() for name in t.business_lines})
    lines = {}
    for name in names:
        known = base.business_lines.get(name)
        lines[name] = (known or BusinessLine()).model_dump()
        findings.assume(f"business_lines.{name}.gross_margin",
                        "the base's" if known else "the default (not in the base)")
    return lines


def _regions(observed: Observed, base: Scenario, findings: Findings) -> list[str]:
    names = sorted({name for t in observed.channels.values() for name in t.regions})
    if names:
        return names
    findings.assume("regions", "the base's (leads.csv has no region values)")
    return list(base.regions)


def _channel(name: str, tally: ChannelTally, span: Span, spending: list[SpendRecord],
             base: Scenario, regions: list[str], conversion: Conversion,
             findings: Findings) -> dict[str, Any]:
    known = base.channels.get(name)
    spend = [r for r in spending if r.channel == name]
    kind = _kind(name, known, spend, findings)
    flat = kind == "paid" and spend_curve_fits(tally, span, spend)
    fields, daily_rate = fit_volume(name, tally, span, kind, findings, flat_season=flat)
    if kind == "paid":
        fields.update(fit_paid(name, tally, span, spend, known, daily_rate, findings))
    elif kind in ("referral", "outbound"):
        findings.assume(f"channels.{name}.leads_per_day", f"none: {kind} leads are produced "
                        "by the model (customers' referrals, reps' prospecting)")
    fields["kind"] = kind
    fields["monthly_cost"] = monthly_cost(name, tally, span, known, findings)
    fields["quality"] = _quality(name, known, conversion, findings)
    fields["business_lines"] = _mix(f"channels.{name}.business_lines", tally.business_lines,
                                    tally.leads, findings)
    fields["regions"] = _channel_regions(name, tally, known, regions, findings)
    fields["complexity"] = _complexity(name, tally, known, findings)
    fields["deal_size"] = _deal_size(name, tally, known, findings)
    if known is not None and known.languages is not None:
        fields["languages"] = dict(known.languages)
        findings.assume(f"channels.{name}.languages", "the base's")
    if name in conversion.channel_decay:
        fields["decay"] = conversion.channel_decay[name]
    return fields


def _kind(name: str, known: Channel | None, spend: list[SpendRecord],
          findings: Findings) -> str:
    path = f"channels.{name}.kind"
    if spend and sum(r.amount for r in spend) > 0:
        findings.note(path, "paid: spend.csv has its spend")
        return "paid"
    if known is not None and known.kind in ("referral", "outbound"):
        findings.assume(path, f"{known.kind}, as in the base")
        return known.kind
    findings.note(path, "organic: no spend in spend.csv")
    return "organic"


def _quality(name: str, known: Channel | None, conversion: Conversion,
             findings: Findings) -> dict[str, float]:
    base = known.quality if known is not None else Quality(mean=0.25)
    mean = conversion.quality_mean.get(name)
    if mean is None:
        findings.assume(f"channels.{name}.quality.mean",
                        "the base's (too few contacted leads with a first-contact time)")
        findings.assume(f"channels.{name}.quality.concentration", "the base's or the default")
        mean = base.mean
    return {"mean": mean, "concentration": base.concentration}


def _mix(path: str, counts: Counter[str], total: int, findings: Findings) -> dict[str, float]:
    estimates = {key: share(f"{path}.{key}", counts[key], total) for key in sorted(counts)}
    findings.fitted.extend(estimates.values())
    findings.note(path, "fitted shares: " + "; ".join(
        f"{key} {e.brief()}" for key, e in estimates.items())
        + f"; n = {total:,} leads")
    return {key: e.estimate for key, e in estimates.items()}


def _channel_regions(name: str, tally: ChannelTally, known: Channel | None,
                     regions: list[str], findings: Findings) -> dict[str, float]:
    path = f"channels.{name}.regions"
    seen = sum(tally.regions.values())
    if seen:
        return _mix(path, tally.regions, seen, findings)
    if known is not None and set(known.regions) <= set(regions):
        findings.assume(path, "the base's mix (no region values for this channel)")
        return dict(known.regions)
    findings.assume(path, "even over the regions (no region values for this channel)")
    return {region: 1.0 / len(regions) for region in regions}


def _complexity(name: str, tally: ChannelTally, known: Channel | None,
                findings: Findings) -> dict[str, float]:
    path = f"channels.{name}.complexity"
    seen = sum(tally.complexity.values())
    if seen:
        return _mix(path, tally.complexity, seen, findings)
    mix = dict(known.complexity) if known is not None else \
        Channel.model_fields["complexity"].get_default(call_default_factory=True)
    findings.assume(path, "the base's or the default (no complexity values)")
    return dict(mix)


def _deal_size(name: str, tally: ChannelTally, known: Channel | None,
               findings: Findings) -> dict[str, float]:
    path = f"channels.{name}.deal_size"
    if tally.deals >= MIN_DEALS:
        median, sigma = lognormal(path, tally.deals, tally.log_deal_sum, tally.log_deal_squares)
        return {"median": findings.fit(median), "sigma": findings.fit(sigma)}
    deal = known.deal_size if known is not None else DealSize(median=10000.0)
    findings.assume(f"{path}.median", f"the base's or a placeholder ({tally.deals} won deals "
                    f"with a value; {MIN_DEALS} are needed)")
    findings.assume(f"{path}.sigma", "the base's or the default")
    return deal.model_dump()


def _teams(data: dict[str, Any], base: Scenario, regions: list[str], conversion: Conversion,
           findings: Findings) -> None:
    for name, team in data["teams"].items():
        team.update(conversion.teams.get(name, {}))
        for field in team:
            if field not in TEAM_FITTED:
                findings.assumed.append(f"teams.{name}.{field}")
        covered = [region for region in team.get("regions", []) if region in regions]
        if team.get("regions") and covered != team["regions"]:
            findings.assume(f"teams.{name}.regions", "the base's regions found in the data "
                            "(empty: all regions)")
            team["regions"] = covered


def _keep_consistent(data: dict[str, Any], findings: Findings) -> None:
    """Drop what refers to names the data lacks, so the scenario stays valid."""
    channels, lines = data["channels"], data["business_lines"]
    success = data["customer_success"]
    referral = channels.get(success["referral_channel"], {}).get("kind") == "referral"
    if success["referrals_per_customer_per_year"] > 0 and not referral:
        success["referrals_per_customer_per_year"] = 0.0
        findings.note("customer_success.referrals_per_customer_per_year",
                      f"set to 0: the data has no referral channel "
                      f"'{success['referral_channel']}'")
    if not any(c["kind"] == "outbound" for c in channels.values()):
        for name, team in data["teams"].items():
            if team.get("outbound_share", 0.0) > 0:
                team["outbound_share"] = 0.0
                findings.note(f"teams.{name}.outbound_share",
                              "set to 0: the data has no outbound channel")
    rules = data["monitoring"]["rules"]
    kept = [r for r in rules if r.get("channel") in (None, *channels)
            and r.get("business_line") in (None, *lines)]
    if len(kept) < len(rules):
        findings.note("monitoring", f"{len(rules) - len(kept)} of the base's warning rules "
                      "dropped: they watch channels or business lines not in the data")
    data["monitoring"]["rules"] = kept


def _header(leads: Path, observed: Observed, base_name: str, findings: Findings,
            reports: Sequence[ReadReport]) -> list[str]:
    for section in ALWAYS_ASSUMED:
        findings.assumed.append(section)
    files = "; ".join(f"{r.path.name} ({r.kept:,} rows used, {r.skipped:,} skipped)"
                      for r in reports)
    span = (f"{observed.first_created:%Y-%m-%d %H:%M} to {observed.last_created:%Y-%m-%d %H:%M}"
            if observed.first_created and observed.last_created else "")
    assumed = grouped_paths(findings.assumed)
    lines = [
        f"Calibrated by leadops calibrate from {leads.name}: {observed.leads:,} leads created "
        f"{span}, over the base scenario '{base_name}'. Files: {files}.",
        "Each fitted value has a comment: estimate [95% interval], n = sample size.",
    ]
    if observed.first_touch_used:
        lines.append(f"{observed.first_touch_used:,} first contacts were taken from the first "
                     "activity of leads without first_contact_at.")
    lines += ["", f"Assumed (taken from the base '{base_name}' or a stated prior, not from "
              "data; the comment at each field says more):", *assumed]
    return lines


def grouped_paths(paths: Sequence[str]) -> list[str]:
    """Assumed paths grouped by channel, team or section, one line each."""
    groups: dict[str, list[str]] = {}
    for path in dict.fromkeys(paths):
        parts = path.split(".")
        depth = 2 if parts[0] in ("channels", "teams", "business_lines") and len(parts) > 2 else 1
        prefix, rest = ".".join(parts[:depth]), ".".join(parts[depth:])
        groups.setdefault(prefix, [])
        if rest:
            groups[prefix].append(rest)
    return [f"- {prefix}: {', '.join(fields)}" if fields else f"- {prefix}"
            for prefix, fields in groups.items()]
