"""Command line entry point. Every command reads, calls a service, renders; nothing more.

Exit codes: 0 success; 1 a plan that does not verify, an audit log that does not, or a
checkpoint flagged for the coordinator; 2 input that cannot be used or a change refused.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safepassage.cli import accounts as accounts_cli
from safepassage.cli import dedup as dedup_cli
from safepassage.cli import importing as importing_cli
from safepassage.cli import matching as matching_cli
from safepassage.cli import operations as operations_cli
from safepassage.cli import registry as registry_cli
from safepassage.cli import registry_options, render
from safepassage.cli import robustness as robustness_cli
from safepassage.cli import serve as serve_cli
from safepassage.formats.plan_json import read_plan, write_plan
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.road_network import GEOJSON_SUFFIXES, read_geojson_roads, read_tntp
from safepassage.formats.scenario_folder import read_scenario, write_scenario
from safepassage.model import Scenario
from safepassage.planning import PLANNERS, PlanParams, prove_bound, solve
from safepassage.planning.replanning import commitments
from safepassage.protection.keys import KeyRing, write_key_ring
from safepassage.robustness.choice import Risk
from safepassage.services.demo import run_demo
from safepassage.synthetic.network_scenario import network_scenario
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.synthetic.southwest_syria import write_southwest_syria
from safepassage.verifier import verify

app = typer.Typer(
    help="SafePassage: plan, verify and audit the evacuation of people at risk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
generate_app = typer.Typer(
    help="Write scenario folders (synthetic people only).", no_args_is_help=True
)
app.add_typer(generate_app, name="generate")
app.add_typer(registry_cli.db_app, name="db")
app.add_typer(registry_cli.keys_app, name="keys")
app.add_typer(registry_cli.audit_app, name="audit")
app.add_typer(registry_cli.status_app, name="status")
app.add_typer(registry_cli.commands)
app.add_typer(importing_cli.commands)
app.add_typer(importing_cli.quarantine_app, name="quarantine")
app.add_typer(dedup_cli.dedup_app, name="dedup")
app.add_typer(operations_cli.commands)
app.add_typer(operations_cli.export_app, name="export")
app.add_typer(serve_cli.commands)
app.add_typer(matching_cli.commands)
app.add_typer(matching_cli.override_app, name="override")
app.add_typer(matching_cli.proposals_app, name="proposals")
app.add_typer(accounts_cli.users_app, name="users")
app.add_typer(robustness_cli.commands)

console = Console()
errors = Console(stderr=True)

ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario folder (scenario.yaml, nodes.csv, edges.csv, households.csv)."),
]


def _fail_on_input(problems: tuple[Problem, ...]) -> typer.Exit:
    render.problems(errors, problems)
    return typer.Exit(2)


def _load(folder: Path, from_registry: bool = False, db: str | None = None) -> Scenario:
    try:
        scenario = read_scenario(folder)
    except InputError as error:
        raise _fail_on_input(error.problems) from None
    if from_registry:
        return registry_options.with_registry_households(scenario, db)
    return scenario


def _parse_instant(text: str, scenario: Scenario) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise _fail_on_input(
            (
                Problem(
                    "--from",
                    None,
                    None,
                    f"'{text}' is not an ISO 8601 instant; write e.g. 2018-07-19T00:00:00+03:00",
                ),
            )
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=scenario.grid.start.tzinfo)


@app.command()
def plan(
    scenario_folder: ScenarioArg,
    solver: Annotated[str, typer.Option(help=f"Planner: {', '.join(PLANNERS)}.")] = "fast",
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Plan from this instant: nobody moves before it (ISO 8601)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the plan as JSON here.")] = None,
    bound: Annotated[
        bool,
        typer.Option(
            help="Prove an upper bound (LP relaxation) so the summary shows objective / bound.",
        ),
    ] = True,
    time_limit: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="Stop each optimisation (rip-up, exact MILP, bound) after this many seconds. "
            "Without it they stop on counts of work, so the plan is the same at any load.",
        ),
    ] = None,
    fixed: Annotated[
        Path | None,
        typer.Option(
            help="Re-plan: keep the moves this earlier plan made before --from and plan the rest.",
        ),
    ] = None,
    from_registry: registry_options.FromRegistryOption = False,
    db: registry_options.DbOption = None,
    robust: Annotated[
        bool,
        typer.Option(
            "--robust",
            help="Choose, among candidate plans, the one that holds up best across the "
            "scenario's futures (see `safepassage robustness`).",
        ),
    ] = False,
    risk: Annotated[
        Risk, typer.Option(help="With --robust: maximise the expected value or CVaR 10%.")
    ] = Risk.EXPECTED,
    samples: Annotated[
        int | None, typer.Option(min=1, help="With --robust: futures drawn to value candidates.")
    ] = None,
    seed: Annotated[int, typer.Option(help="With --robust: seed of the drawn futures.")] = 0,
    workers: Annotated[
        int | None, typer.Option(min=1, help="With --robust: local processes (default: cores).")
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(envvar="SAFEPASSAGE_DASK", help="With --robust: run on this Dask cluster."),
    ] = None,
) -> None:
    """Plan the evacuation of a scenario and print a summary."""
    scenario = _load(scenario_folder, from_registry, db)
    if robust:
        if solver != "fast" or from_ is not None or fixed is not None:
            raise _fail_on_input(
                (
                    Problem(
                        "--robust",
                        None,
                        None,
                        "--robust plans with the fast solver from the start: "
                        "leave out --solver, --from and --fixed",
                    ),
                )
            )
        robustness_cli.plan_robust(
            scenario_folder,
            scenario,
            risk=risk,
            samples=samples,
            seed=seed,
            workers=workers,
            dask=dask,
            out=out,
        )
        return
    if solver not in PLANNERS:
        raise _fail_on_input(
            (
                Problem(
                    "--solver",
                    None,
                    None,
                    f"unknown solver '{solver}': use one of {', '.join(PLANNERS)}",
                ),
            )
        )
    from_step = (
        0 if from_ is None else max(0, scenario.grid.step_of(_parse_instant(from_, scenario)))
    )
    committed = None
    if fixed is not None:
        if from_ is None or solver not in ("fast", "ccrp"):
            raise _fail_on_input(
                (
                    Problem(
                        "--fixed",
                        None,
                        None,
                        "re-planning needs --from and the fast or ccrp solver",
                    ),
                )
            )
        try:
            committed = commitments(scenario, read_plan(fixed), from_step, source=str(fixed))
        except InputError as error:
            raise _fail_on_input(error.problems) from None
    params = PlanParams(
        from_step=from_step, time_limit=time_limit, with_bound=False, committed=committed
    )
    with render.progress_bar(errors, len(scenario.households), f"planning ({solver})") as advance:
        result = solve(scenario, solver=solver, params=params, progress=advance)
    if (bound or solver == "bound") and committed is None:
        with errors.status("proving an upper bound (LP relaxation)"):
            result = prove_bound(result, params)
    if out is not None:
        write_plan(result.plan, scenario.grid, out)
    render.plan_summary(console, result, out)
    if not result.is_feasible():
        raise typer.Exit(1)


@app.command(name="verify")
def verify_command(
    scenario_folder: ScenarioArg,
    plan_file: Annotated[Path, typer.Argument(help="Plan JSON to check.")],
    from_registry: registry_options.FromRegistryOption = False,
    db: registry_options.DbOption = None,
) -> None:
    """Check a plan against every rule of the contract: exit 0 valid, 1 not, 2 unreadable."""
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = read_scenario(scenario_folder)
    except InputError as error:
        problems.extend(error.problems)
    try:
        plan_data = read_plan(plan_file)
    except InputError as error:
        problems.extend(error.problems)
    if problems or scenario is None:
        raise _fail_on_input(tuple(problems))
    if from_registry:
        scenario = registry_options.with_registry_households(scenario, db)
    report = verify(scenario, plan_data)
    render.verification(console, scenario, report)
    if not report.is_valid():
        raise typer.Exit(1)


@app.command()
def demo(
    db: registry_options.DbOption = None,
    key_file: registry_options.KeyFileOption = None,
) -> None:
    """Import the bundled synthetic registry, plan the southwest Syria 2018 scenario from it,
    and tell what happened and why. With --db the registry is kept there; otherwise it is a
    throw-away one."""
    database = registry_options.database(db) if db else None
    ring = None
    if database is not None:
        path = key_file or registry_options.default_key_file()
        if not path.exists():
            write_key_ring(KeyRing.generate(), path)
        ring = registry_options.key_ring(path)
    with render.progress_bar(errors, None, "planning the bundled scenario") as advance:
        account = run_demo(progress=advance, database=database, ring=ring)
    render.demo(console, account)


@generate_app.command("southwest-syria")
def generate_southwest_syria(
    folder: Annotated[Path, typer.Argument(help="Folder to write (created if missing).")],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic registry.")] = 2018,
) -> None:
    """Write the southwest Syria 2018 scenario with a synthetic registry."""
    write_southwest_syria(folder, seed=seed)
    console.print(f"wrote {folder}")


@generate_app.command("random")
def generate_random(
    folder: Annotated[Path, typer.Argument(help="Folder to write (created if missing).")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    nodes: Annotated[int, typer.Option(min=2, help="Places in the region.")] = 12,
    households: Annotated[int, typer.Option(min=0, help="Households to bring out.")] = 20,
    crossings: Annotated[int, typer.Option(min=1, help="Border crossings.")] = 2,
    horizon_steps: Annotated[int, typer.Option(min=1, help="Steps in the plan.")] = 96,
) -> None:
    """Write a random scenario (a front line sweeping east to west, synthetic households)."""
    if crossings >= nodes:
        raise _fail_on_input(
            (Problem("--crossings", None, None, "needs fewer crossings than nodes"),)
        )
    scenario = random_scenario(
        seed, nodes=nodes, households=households, crossings=crossings, horizon_steps=horizon_steps
    )
    write_scenario(scenario, folder)
    console.print(f"wrote {folder}")


@generate_app.command("network")
def generate_network(
    network_file: Annotated[
        Path, typer.Argument(help="Road network: a TNTP *_net.tntp or GeoJSON road lines.")
    ],
    folder: Annotated[Path, typer.Argument(help="Folder to write (created if missing).")],
    nodes: Annotated[
        Path | None,
        typer.Option("--nodes", help="TNTP node coordinates: *_node.tntp or GeoJSON points."),
    ] = None,
    households: Annotated[int, typer.Option(min=0, help="Households to bring out.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    horizon_steps: Annotated[int, typer.Option(min=1, help="Steps in the plan.")] = 288,
    step_minutes: Annotated[int, typer.Option(min=1, help="Minutes in a step.")] = 15,
    crossings: Annotated[int, typer.Option(min=1, help="Border crossings.")] = 3,
) -> None:
    """Write a scenario on a real road network (front line, crossings, synthetic households)."""
    geojson = network_file.suffix.lower() in GEOJSON_SUFFIXES
    if geojson and nodes is not None:
        raise _fail_on_input(
            (
                Problem(
                    "--nodes",
                    None,
                    None,
                    "GeoJSON roads carry their own coordinates: leave --nodes out",
                ),
            )
        )
    try:
        network = read_geojson_roads(network_file) if geojson else read_tntp(network_file, nodes)
    except InputError as error:
        raise _fail_on_input(error.problems) from None
    if crossings >= network.node_count:
        raise _fail_on_input(
            (
                Problem(
                    "--crossings",
                    None,
                    None,
                    f"needs fewer crossings than the network's {network.node_count} nodes",
                ),
            )
        )
    scenario = network_scenario(
        network,
        seed=seed,
        households=households,
        horizon_steps=horizon_steps,
        step_minutes=step_minutes,
        crossings=crossings,
    )
    write_scenario(scenario, folder)
    console.print(
        f"wrote {folder} ({network.node_count} nodes, {network.road_count} roads, "
        f"{households} households)"
    )


if __name__ == "__main__":
    app()
