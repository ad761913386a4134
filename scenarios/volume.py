"""Expected lead volume of a channel: a property of the scenario, needed by the model,
by the policy linter and by reports alike."""

from __future__ import annotations

from scenarios.schema import Channel, Response


def response_leads_per_day(response: Response, monthly_spend: float) -> float:
    """Leads per day bought by a monthly spend, on the channel's Hill response curve."""
    if monthly_spend <= 0:
        return 0.0
    scaled = (monthly_spend / response.half_saturation_spend) ** response.shape
    return response.max_leads_per_day * scaled / (1.0 + scaled)


def mean_leads_per_day(channel: Channel) -> float:
    """The channel's mean daily volume before weekday, hour and season shaping."""
    if channel.kind == "paid" and channel.response is not None:
        return response_leads_per_day(channel.response, channel.monthly_spend or 0.0)
    return channel.leads_per_day or 0.0
