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
from safepassage.services.demo import DemoAccount, PlanAccount, persons_by_cause
from safepassage.verifier import VerificationReport

PRIORITY_NAMES = {
    3.0: "volunteers at highest risk",
    2.0: "volunteer households",
    1.0: "other families",
}


def problems(console: Console, found: Iterable[Problem]) -> None:
    found = tuple(found)
    console.print(f"[bold red]{len(found)} problem(s) in the input; nothing was planned.[/]")
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
    console.print(
        f"\nThe scenario folder is {account.scenario_path}.\n"
        "Plan it yourself:   safepassage plan SCENARIO --from 2018-07-19T00:00:00+03:00 "
        "--out plan.json\n"
        "Check any plan:     safepassage verify SCENARIO plan.json",
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
