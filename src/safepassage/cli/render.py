"""How results look in a terminal. Kept apart so commands stay thin."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safepassage.formats.problems import Problem
from safepassage.model import Scenario
from safepassage.planning import Result
from safepassage.services.demo import DemoAccount, MatchingAccount, PlanAccount, persons_by_cause
from safepassage.verifier import VerificationReport

PRIORITY_NAMES = {
    3.0: "volunteers at highest risk",
    2.0: "volunteer households",
    1.0: "other families",
}


def problems(
    console: Console, found: Iterable[Problem], outcome: str = "nothing was planned"
) -> None:
    found = tuple(found)
    console.print(f"[bold red]{len(found)} problem(s) in the input; {outcome}.[/]")
    for problem in found:
        console.print(f"  {problem}", markup=False, highlight=False)


def plan_summary(console: Console, result: Result, out: Path | None) -> None:
    console.print(result.summary(), markup=False, highlight=False)
    if out is not None:
        console.print(f"  plan written to {out}", markup=False, highlight=False)


def verification(console: Console, scenario: Scenario, report: VerificationReport) -> None:
    if report.is_valid():
        console.print(
            f"[green]valid[/]: the plan obeys all eight rules of the contract "
            f"(objective {report.objective:g})."
        )
        return
    console.print(f"[bold red]{len(report.violations)} violation(s)[/]")
    table = Table("rule", "household", "step", "time", "what is wrong")
    for v in report.violations:
        when = scenario.grid.describe(v.step) if v.step is not None else ""
        table.add_row(
            str(v.rule),
            escape(v.household or ""),
            "" if v.step is None else str(v.step),
            when,
            escape(v.message),
        )
    console.print(table)


def demo(console: Console, account: DemoAccount) -> None:
    scenario = account.scenario
    cleared = sum(
        h.size
        for h in scenario.households
        if h.cleared_for is None
        or any(c.node in h.cleared_for and c.windows for c in scenario.crossings)
    )
    console.rule(f"[bold]SafePassage demo: {scenario.name}")
    console.print(
        f"{len(scenario.households)} households, {scenario.total_persons} persons "
        f"({cleared} cleared for a crossing that opens) in {len(scenario.nodes)} places, "
        f"{len(scenario.roads)} directed roads. The registry is SYNTHETIC: no real person."
    )
    load = account.registry
    where = (
        f"the registry at {load.kept_at}"
        if load.kept_at
        else "a throw-away sealed registry (deleted at the end)"
    )
    console.print(
        f"Registry: {load.imported.rows} registrations imported into {where}: "
        f"{load.imported.added} added, {load.imported.quarantined} quarantined; "
        f"{load.households} households planned from the store."
    )
    for crossing in scenario.crossings:
        name = scenario.node_by_id[crossing.node].name
        if crossing.windows:
            spans = "; ".join(
                f"{scenario.grid.describe(scenario.grid.step_of(w.open))} to "
                f"{scenario.grid.describe(scenario.grid.step_of(w.close))}, {w.capacity} places"
                for w in crossing.windows
            )
            console.print(f"  crossing {name} ({crossing.country}): open {spans}")
        else:
            console.print(f"  crossing {name} ({crossing.country}): closed")
    _account(console, account.planned)
    _account(console, account.counterfactual)
    _comparison(console, account)
    _robustness(console, account)
    _matching(console, account.matching)
    console.print(
        f"\nThe scenario folder is {account.scenario_path}.\n"
        "Plan it yourself:   safepassage plan SCENARIO --from 2018-07-19T00:00:00+03:00 "
        "--out plan.json\n"
        "Check any plan:     safepassage verify SCENARIO plan.json\n"
        "Open the web app:   safepassage demo --db demo.db; safepassage users create-admin "
        "admin --db demo.db; safepassage serve --db demo.db --registry; sign in at "
        "http://127.0.0.1:8000/, ask for a coordinator on the Accounts page, have a second "
        "person approve it (`safepassage users approve ID --db demo.db`) and redeem the code "
        "at /enrol (README, 'The web application and the API')",
        markup=False,
        highlight=False,
    )


def _account(console: Console, account: PlanAccount) -> None:
    result = account.result
    scenario = result.scenario
    console.rule(f"[bold]{account.label[0].upper()}{account.label[1:]}")
    console.print(
        f"{result.persons_out} of {scenario.total_persons} persons brought out "
        f"({len(result.plan.evacuated)} households)."
    )
    console.print(
        f"Verified by the independent verifier: {'yes' if result.is_feasible() else 'NO'}"
    )
    out = Table("crossing", "priority", "households", "persons", title="Brought out")
    for (crossing, priority), (households, persons) in account.out_by_crossing_priority.items():
        out.add_row(
            crossing, PRIORITY_NAMES.get(priority, f"{priority:g}"), str(households), str(persons)
        )
    console.print(out)
    cut = Table("why", "from", "households", "persons", "details", title="Cut off")
    for group in account.cut_off:
        cut.add_row(
            group.cause, group.town, str(group.households), str(group.persons), group.detail
        )
    console.print(cut)
    first = Table(
        "household", "persons", "from", "leaves", "crosses at", "when", title="First departures"
    )
    for d in account.first_departures:
        first.add_row(d.household, str(d.persons), d.town, d.departs, d.crossing, d.crosses)
    console.print(first)


def _robustness(console: Console, account: DemoAccount) -> None:
    console.rule("[bold]A plan that holds up (planning from 1 July)")
    choice = account.robust.choice
    table = Table("plan", "expected persons out", "expected value", "worst 5% (value)", "CVaR 10%")
    for label, candidate in (("nominal", choice.nominal), ("robust", choice.chosen)):
        e = candidate.evaluation
        table.add_row(
            label,
            f"{e.expected_persons:,.1f}",
            f"{e.expected_value:,.1f}",
            f"{e.low_quantile:,.1f}",
            f"{e.cvar:,.1f}",
        )
    console.print(table)
    console.print(
        f"Across {account.robust.samples} futures drawn from the scenario's uncertainty (towns "
        f"falling days early or late, the Golan night late, short or shut), the robust plan "
        f"({choice.chosen.label}) expects {choice.gain:+,.1f} against the nominal plan; "
        "`safepassage plan --robust` also proves how much any plan could expect.",
        highlight=False,
    )


def _comparison(console: Console, account: DemoAccount) -> None:
    console.rule("[bold]What earlier planning would have changed")
    table = Table(
        "plan", "persons out", "households out", "objective", "cut off: town fell", "cut off: other"
    )
    for plan in (account.planned, account.counterfactual):
        causes = persons_by_cause(plan)
        fell = causes.pop("town fell", 0)
        table.add_row(
            plan.label,
            str(plan.result.persons_out),
            str(len(plan.result.plan.evacuated)),
            f"{plan.result.cost():g}",
            str(fell),
            str(sum(causes.values())),
        )
    console.print(table)
    gained = account.counterfactual.result.persons_out - account.planned.result.persons_out
    console.print(
        f"Planning from 1 July brings out {gained:+d} persons against planning from 19 July. "
        f"In July 2018, {account.historical_out} persons got out of about 800 planned."
    )
    console.print(
        "Households wait at their home towns until a plan moves them; in 2018 many had already "
        "fled toward Quneitra as their towns fell, which this registry does not record, so the "
        "19 July figure is what a plan could do for people still at home on that day."
    )


def _matching(console: Console, account: MatchingAccount) -> None:
    result = account.result
    problem = result.problem
    console.rule("[bold]Resettlement: the households out, matched to the 2018 pledges")
    console.print(
        f"{len(problem.households)} households ({problem.total_persons} persons) brought out by "
        f"planning from 1 July, {sum(p.places_persons for p in problem.pledges)} places "
        f"pledged. Matched by {result.solver} ({result.method}): "
        f"{result.households_placed} households, {result.persons_placed} persons placed; "
        f"independent check: {'passed' if result.is_feasible() else 'FAILED'}"
        + ("" if result.gap is None else f"; gap to the bound {result.gap:.2%}")
        + "."
    )
    hosts = Table(
        "host", "persons placed", "of places", "households", "of households", title="Pledges used"
    )
    for use in account.hosts:
        hosts.add_row(
            use.country,
            str(use.persons),
            str(use.pledged_persons),
            str(use.households),
            "-" if use.pledged_households is None else str(use.pledged_households),
        )
    console.print(hosts)
    if account.unplaced:
        unplaced = Table("why", "households", "persons", title="Not placed")
        for why, households, persons in account.unplaced:
            unplaced.add_row(why, str(households), str(persons))
        console.print(unplaced)
    placed = next((e for e in account.explanations.households if e.pledge is not None), None)
    if placed is not None:
        parts = ", ".join(
            f"{c.name} +{c.points:.1f} per person" for c in placed.components if c.points
        )
        console.print(
            f"Why, for example, {placed.household} ({placed.size} "
            f"{'person' if placed.size == 1 else 'persons'}) goes to "
            f"{placed.pledge}: {parts or 'placement alone'}."
        )
        for alternative in placed.alternatives:
            console.print(f"  not {alternative.pledge}: {alternative.why_not}")
    console.print(
        f"{account.proposals_kept} proposals kept in the registry. Keep it with --db DB to go "
        "on: safepassage proposals list --db DB; safepassage override pin|forbid HOUSEHOLD "
        "PLEDGE --reason ... --db DB; and match again with safepassage plan SCENARIO "
        "--registry --db DB --from 2018-07-01T00:00:00+03:00 --out p.json, then safepassage "
        "match --registry --db DB --plan p.json --from-csv SCENARIO/resettlement.",
        markup=False,
        highlight=False,
    )


@contextmanager
def progress_bar(
    console: Console, total: int | None, label: str
) -> Iterator[Callable[[int], None]]:
    """A bar on ``console`` (standard error, so output stays clean) that vanishes when done."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
