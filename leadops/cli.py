"""The ``leadops`` command: parse, load, call the library, write, return an exit code.

User errors print one line naming the file, the field and the value, and exit with 2;
``--debug`` shows the traceback instead. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from leadops.errors import InputError, LeadopsError

app = typer.Typer(
    name="leadops",
    help="Simulate sales lead operations under a policy, compare policies, optimize them.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_state = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name.")] = "baseline",
    policy: Annotated[str | None, typer.Option(
        "--policy", "-p", help="Policy file or bundled name (default: the scenario's)")] = None,
    replications: Annotated[int, typer.Option("--replications", "-n",
                                              help="Independent replications.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run.")] = 1,
    days: Annotated[int | None, typer.Option(
        "--days", help="Horizon in days (default: the scenario's)")] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field: PATH=VALUE (prefix policy. for the policy).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Run directory (default: runs/SCENARIO-POLICY)")] = None,
    events: Annotated[bool, typer.Option("--events", help="Write the event log.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w",
                                         help="Worker processes for replications.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
) -> None:
    """Simulate a scenario under a policy and write a run directory."""
    from leadops import api, console

    api.check_run_options(replications=replications, seed=seed, days=days, workers=workers)
    setup = api.prepare(scenario, policy, overrides or [])
    for warning in api.policy_warnings(setup):
        console.warn(warning)
    target = out or Path("runs") / f"{setup.scenario.name}-{setup.policy.name}"
    with console.progress(replications, "replications", quiet) as advance:
        result = api.run_to_directory(setup, target, replications=replications, seed=seed,
                                      days=days, workers=workers, events=events,
                                      progress=lambda _: advance())
    if not quiet:
        console.kpi_table(result.kpis(), title=f"{setup.scenario.name} x {setup.policy.name}")
        console.say(f"wrote {target}")


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name.")],
    policies: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="A policy to compare (repeat); the first is the reference.")
    ] = None,
    variants: Annotated[list[str] | None, typer.Option(
        "--variant", help="A scenario variant NAME:PATH=VALUE[,PATH=VALUE...] (repeat).")
    ] = None,
    replications: Annotated[int, typer.Option("--replications", "-n",
                                              help="Replications per alternative.")] = 10,
    precision: Annotated[bool, typer.Option(
        "--precision", help="Add replications until the chosen differences are resolved.")
    ] = False,
    precision_kpis: Annotated[list[str] | None, typer.Option(
        "--precision-kpi", help="KPI that --precision must resolve (repeat) "
        "(default: roi, conversion_rate)")] = None,
    half_width: Annotated[float, typer.Option(
        "--relative-half-width", help="--precision: a difference whose half-width is below "
        "this share of the reference mean is precise enough.")] = 0.05,
    max_replications: Annotated[int, typer.Option(
        "--max-replications", help="--precision: replication cap.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run.")] = 1,
    days: Annotated[int | None, typer.Option("--days", help="Horizon in days.")] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="Override for every alternative: PATH=VALUE.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory (default: runs/compare-SCENARIO)")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker processes.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
) -> None:
    """Compare policies or scenario variants on common random numbers, paired."""
    from leadops import api, comparing, console

    api.check_run_options(replications=replications, seed=seed, days=days, workers=workers)
    api.check_precision_options(half_width=half_width, max_replications=max_replications,
                                replications=replications)
    if precision_kpis and not precision:
        raise InputError("only applies with --precision", path="--precision-kpi")
    plan = comparing.Plan(
        scenario, policies or [], variants or [], overrides or [], replications, seed, days,
        workers, precision, precision_kpis or ["roi", "conversion_rate"], half_width,
        max_replications,
    )
    with console.progress(None, "replications", quiet) as advance:
        document, alternatives = comparing.run_comparison(plan, progress=lambda _: advance())
    target = out or Path("runs") / f"compare-{document['scenario']['name']}"
    api.write_atomically_into(target, lambda: comparing.write_comparison(
        target, document, alternatives))
    if not quiet:
        console.comparison_table(document)
        console.say(f"wrote {target}")


@app.command()
def report(
    directory: Annotated[Path, typer.Argument(help="A run, compare or optimize directory.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="The HTML file (default: DIR/report.html)")] = None,
    png: Annotated[bool, typer.Option(
        "--png", help="Also write PNG images (needs kaleido and a Chromium).")] = False,
) -> None:
    """Write the strategy report of a directory: one offline HTML page and CSV tables."""
    from leadops import console
    from reports import write_report

    if out is not None and out.is_dir():
        raise InputError("must be a file name, but a directory of that name exists",
                         file=str(out), path="--out")
    written = write_report(directory, out, png=png)
    if written.note:
        console.warn(written.note)
    size = written.page.stat().st_size / 1e6
    console.say(f"wrote {written.page} ({size:.1f} MB)")
    if written.tables:
        console.say(f"wrote {len(written.tables)} tables in {written.tables[0].parent}")
    if written.images:
        console.say(f"wrote {len(written.images)} images in {written.images[0].parent}")


@app.command()
def optimize(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name.")],
    space: Annotated[str, typer.Option(
        "--space", help="Search-space file or bundled name.")] = "default",
    policy: Annotated[str | None, typer.Option(
        "--policy", "-p", help="Policy to start from and compare with (default: the "
        "scenario's).")] = None,
    trials: Annotated[int, typer.Option("--trials", help="Trials of the search.")] = 20,
    replications: Annotated[int, typer.Option(
        "--replications", "-n", help="Replications per trial (1 to 3).")] = 2,
    days: Annotated[int | None, typer.Option("--days", help="Horizon in days.")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w",
                                         help="Worker processes on the study.")] = 1,
    storage: Annotated[str | None, typer.Option(
        "--storage", help="Database URL, e.g. postgresql+psycopg://user:pw@host/db "
        "(default: a journal file in --out)")] = None,
    study: Annotated[str | None, typer.Option(
        "--study", help="Study name (default: SPACE-SCENARIO).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory (default: runs/optimize-SCENARIO).")] = None,
    objectives: Annotated[str | None, typer.Option(
        "--objectives", help="Pareto mode: KPIs such as roi,days_to_win_p50 (kpi:max or "
        "kpi:min where the better side is not known).")] = None,
    sweep: Annotated[str | None, typer.Option(
        "--sweep", help="Trace a frontier: KPI=V1,V2,... (one study per bound).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Study seed.")] = 1,
    select_k: Annotated[int, typer.Option(
        "--select-k", help="Candidates the selection stage compares.")] = 5,
    indifference: Annotated[float | None, typer.Option(
        "--indifference", help="Indifference zone of the selection, in objective units "
        "(default: the smallest difference the selection budget resolves)")] = None,
    selection_replications: Annotated[int, typer.Option(
        "--selection-replications", help="First-stage replications of the selection.")] = 3,
    final_replications: Annotated[int, typer.Option(
        "--final-replications", help="Fresh replications of the final report.")] = 10,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field for every run: PATH=VALUE.")] = None,
    search_only: Annotated[bool, typer.Option(
        "--search-only", help="Only run trials (a helper worker of a shared study).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
) -> None:
    """Search policies for the best objective under constraints, honestly estimated."""
    from leadops import console, optimizing
    from optimize.plan import Plan
    from optimize.storage import scrub
    from optimize.study import optimize as run_optimization

    plan = Plan(scenario, policy, space, overrides or [], trials, replications, days, workers,
                storage, study, out, _split(objectives), sweep, seed, select_k, indifference,
                selection_replications, final_replications, search_only)
    try:
        with optimizing.watching(quiet) as watcher:
            result = run_optimization(plan, watcher)
    except LeadopsError:
        raise
    except Exception as exc:  # noqa: BLE001 - shown once, without the storage password
        raise LeadopsError(scrub(f"{type(exc).__name__}: {exc}", storage)) from None
    if quiet or result.mode == "search":
        return
    if result.mode == "sweep":
        optimizing.frontier_table(result.selection)
    else:
        optimizing.final_table(result.selection)
    console.say(f"wrote {result.out}")


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


@app.command("export-crm")
def export_crm(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written with --events.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory (default: RUN_DIR/crm)")] = None,
    replication: Annotated[int, typer.Option(
        "--replication", help="The replication to export (default: 0)")] = 0,
) -> None:
    """Write a run's event log in the CRM export format: leads, activities and spend."""
    from crm.export import export_crm as write_export
    from leadops import console

    written = write_export(run_dir, out or run_dir / "crm", replication)
    console.say(f"wrote {written.leads} leads ({written.won} won), {written.activities} "
                f"activities and {written.spend_rows} spend rows of replication "
                f"{written.replication} to {written.out_dir}")


@app.command()
def replay(
    leads: Annotated[Path, typer.Argument(help="The CRM export leads.csv to replay.")],
    policy: Annotated[str, typer.Option(
        "--policy", "-p", help="Policy file or bundled name to replay the leads under.")],
    scenario: Annotated[str | None, typer.Option(
        "--scenario", help="Scenario file or bundled name: the company (teams, calendars, "
        "rates) that works the leads (default: fitted to LEADS.csv over --base).")] = None,
    base: Annotated[str, typer.Option(
        "--base", help="Without --scenario: the scenario giving what the export cannot show "
        "(teams, calendars, costs).")] = "baseline",
    replications: Annotated[int, typer.Option(
        "--replications", "-n", help="Replications: outcomes re-drawn over the same leads.")
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run.")] = 1,
    strict: Annotated[bool, typer.Option(
        "--strict", help="A bad row of the file is an error (exit 2), not skipped.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Run directory (default: runs/replay-FILE-POLICY)")] = None,
    events: Annotated[bool, typer.Option("--events", help="Write the event log.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w",
                                         help="Worker processes for replications.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
) -> None:
    """Push historical leads through a policy: last period as it happened vs replayed."""
    from leadops import api, console, replaying

    api.check_run_options(replications=replications, seed=seed, days=None, workers=workers)
    prepared = replaying.prepare(leads, scenario, policy, strict=strict, base=base)
    for line in prepared.read_summary():
        console.say(line)
    target = out or Path("runs") / f"replay-{leads.stem}-{prepared.setup.policy.name}"
    with console.progress(replications, "replications", quiet) as advance:
        result = replaying.replay_to_directory(prepared, target, replications=replications,
                                               seed=seed, workers=workers, events=events,
                                               progress=lambda _: advance())
    if not quiet:
        console.side_by_side_table(replaying.side_by_side(prepared, result),
                                   f"{leads.name} under {prepared.setup.policy.name} "
                                   f"on {prepared.setup.scenario.name}",
                                   "as it happened", "replayed")
        console.say(f"wrote {target}")


@app.command()
def calibrate(
    leads: Annotated[Path, typer.Argument(help="The CRM export's leads.csv.")],
    activities: Annotated[Path | None, typer.Option(
        "--activities", help="activities.csv: touches, for connect rates and first contacts.")
    ] = None,
    spend: Annotated[Path | None, typer.Option(
        "--spend", help="spend.csv: monthly spend per paid channel.")] = None,
    base: Annotated[str, typer.Option(
        "--base", help="Scenario (bundled name or file) giving what the export cannot show.")
    ] = "baseline",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first bad row (exit 2) instead of skipping it.")] = False,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="The scenario file to write.")] = Path("calibrated.toml"),
) -> None:
    """Fit a scenario to a CRM export; every fitted value is commented with its interval."""
    from leadops import calibrating

    calibration = calibrating.run(leads, activities=activities, spend=spend, base=base,
                                  strict=strict, out=out)
    calibrating.show(calibration, out)


@app.command()
def backtest(
    scenario: Annotated[str, typer.Argument(
        help="Base scenario (file or bundled name): teams and what data cannot identify.")],
    leads: Annotated[Path, typer.Argument(help="leads.csv of the CRM export.")],
    holdout_from: Annotated[str, typer.Option(
        "--holdout-from", help="Fit before this date, simulate from it (ISO date).")],
    policy: Annotated[str | None, typer.Option(
        "--policy", "-p", help="Policy in force over the history (default: the scenario's)")
    ] = None,
    activities: Annotated[Path | None, typer.Option(
        "--activities", help="activities.csv of the export.")] = None,
    spend: Annotated[Path | None, typer.Option("--spend", help="spend.csv of the export.")
                     ] = None,
    replications: Annotated[int, typer.Option("--replications", "-n",
                                              help="Replications of the holdout.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run.")] = 1,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop with exit 2 at the first bad row instead of skipping it.")
    ] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory (default: runs/backtest-LEADS)")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker processes.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the verdict.")] = False,
) -> None:
    """Fit on the history before a date, simulate after it, and judge the fit."""
    from leadops import api, backtesting, console

    api.check_run_options(replications=replications, seed=seed, days=None, workers=workers)
    result = backtesting.run_backtest(scenario, leads, holdout_from, policy=policy,
                                      replications=replications, seed=seed,
                                      activities=activities, spend=spend, strict=strict,
                                      workers=workers)
    target = out or backtesting.default_out(leads)
    backtesting.write_backtest(target, result)
    if not quiet:
        for report in result.calibration.reports:
            console.say(report.summary())
        console.backtest_table(result)
    console.say(result.verdict())
    if not quiet:
        console.say(f"wrote {target}")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario, policy or space files.")],
    scenario: Annotated[str | None, typer.Option(
        "--scenario", help="Also check policies and spaces against this scenario.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 2).")
                      ] = False,
) -> None:
    """Check scenario and policy files and lint policies; exit 2 at the first invalid one."""
    from leadops import api, console

    warned = False
    for file in files:
        kind, warnings = api.validate_file(file, scenario)
        for warning in warnings:
            console.warn(warning)
        warned = warned or bool(warnings)
        console.say(f"{file}: valid {kind}" + (" (with warnings)" if warnings else ""))
    if strict and warned:
        raise InputError("the linter found problems and --strict was given", path="--strict")


@app.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    from leadops import console
    from scenarios import bundled_scenarios

    console.listing(bundled_scenarios())


@app.command()
def policies() -> None:
    """List the bundled policies."""
    from leadops import console
    from policies import bundled_policies

    console.listing(bundled_policies())


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="scenario, policy or space")],
    markdown: Annotated[bool, typer.Option("--markdown", help="A reference page.")] = False,
) -> None:
    """Print the JSON Schema (or a Markdown reference) of a file kind."""
    from leadops import reference

    model = reference.model_for(kind)
    if markdown:
        typer.echo(reference.markdown(model, kind), nl=False)
    else:
        typer.echo(json.dumps(model.model_json_schema(), indent=2))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and map errors to exit codes (2 input, 1 other).

    Usage errors of options and arguments are reported by the command-line library itself,
    with exit code 2.
    """
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except InputError as exc:
        return _fail(exc, 2)
    except KeyboardInterrupt:
        return _fail(Exception("interrupted"), 130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence of a command
        return _fail(exc, 1)
    return 0


def _fail(exc: BaseException, code: int) -> int:
    if _state["debug"]:
        traceback.print_exception(exc)
    message = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
    print(f"error: {message}", file=sys.stderr)
    return code
