"""What the report tests build their directories from: names full of markup, a tiny
scenario and policy carrying them, and a hand-made optimize directory."""

from __future__ import annotations

import json
from pathlib import Path

from policies import BUNDLED_DIR as POLICY_DIR

# A name in every user-named place, each one markup that would act if it were not escaped.
SCENARIO_NAME = '<script>document.title="hacked"</script>'
LINE_NAME = "<img src=x onerror=alert(1)>"
CHANNEL_NAME = "<b>web</b>"
POLICY_NAME = "<i>policy</i>&co"
RULE_NAME = "<svg onload=alert(2)>"
MARKUP_NAMES = (SCENARIO_NAME, LINE_NAME, CHANNEL_NAME, POLICY_NAME, RULE_NAME)

MARKUP_SCENARIO = f"""
name = '{SCENARIO_NAME}'
days = 6
regions = ["north"]
default_policy = "policy.toml"

[business_lines."{LINE_NAME}"]
gross_margin = 0.5

[channels."{CHANNEL_NAME}"]
kind = "organic"
leads_per_day = 40.0
monthly_cost = 3000.0
quality = {{ mean = 0.4 }}
business_lines = {{ "{LINE_NAME}" = 1.0 }}
regions = {{ north = 1.0 }}
deal_size = {{ median = 5000.0 }}

[teams.reps]
role = "telesales"
headcount = 3
monthly_cost_per_head = 5000.0
calendar = {{ weekdays = [0, 1, 2, 3, 4, 5, 6], start_hour = 0, end_hour = 24 }}
attempt_minutes = {{ mean_minutes = 20.0 }}
connect_rate = 0.6
opportunity_rate = 0.9
win_rate = 0.9
cycle_days = {{ to_opportunity = 0.5, to_close = 0.5 }}

[[monitoring.rules]]
name = "{RULE_NAME}"
metric = "leads"
test = "above"
threshold = 0
"""

MARKUP_POLICY = f"""
name = "{POLICY_NAME}"

[routing]
rules = [{{ name = "<u>all</u>", team = "reps" }}]
"""


TRIALS = [  # number, roi, first_contact_hours_p90, sla_hours, max_attempts, feasible
    (0, 0.10, 30.0, 24.0, 6, True), (1, 0.15, 26.0, 16.0, 5, True),
    (2, 0.05, 40.0, 30.0, 3, False), (3, 0.22, 18.0, 8.0, 4, True),
    (4, 0.18, 12.0, 4.0, 6, True), (5, 0.25, 22.0, 12.0, 4, True),
    (6, 0.12, 9.0, 2.0, 8, False), (7, 0.24, 14.0, 8.0, 5, True),
]


def write_optimize_files(out: Path) -> None:
    lines = ["number,state,values_roi,values_first_contact_hours_p90,"
             "params_circulation.sla_hours,params_follow_up.max_attempts,user_attrs_feasible"]
    lines += [f"{n},COMPLETE,{roi},{p90},{sla},{attempts},{feasible}"
              for n, roi, p90, sla, attempts, feasible in TRIALS]
    lines.append("8,PRUNED,,,,6,False")
    (out / "trials.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    front = [{"number": n, "values": [roi, p90], "params": {"circulation.sla_hours": sla}}
             for n, roi, p90, sla, _, _ in TRIALS if n in (4, 5, 7)]
    (out / "pareto.json").write_text(json.dumps(front), encoding="utf-8")
    selection = {"trial": 7, "objectives": ["roi", "first_contact_hours_p90"],
                 "directions": ["maximize", "minimize"],
                 "values": {"roi": 0.24, "first_contact_hours_p90": 14.0},
                 "reason": "best ROI on the front within the experience limits",
                 "baseline_policy": "default"}
    (out / "selection.json").write_text(json.dumps(selection), encoding="utf-8")
    importances = {"roi": {"circulation.sla_hours": 0.7, "follow_up.max_attempts": 0.3},
                   "first_contact_hours_p90": {"circulation.sla_hours": 0.9,
                                               "follow_up.max_attempts": 0.1}}
    (out / "importances.json").write_text(json.dumps(importances), encoding="utf-8")
    policy = (POLICY_DIR / "default.toml").read_text(encoding="utf-8")
    policy = policy.replace("sla_hours = 24.0", "sla_hours = 8.0")
    policy = policy.replace("max_attempts = 6", "max_attempts = 5")
    (out / "best_policy.toml").write_text(policy, encoding="utf-8")
