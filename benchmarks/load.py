"""The HTTP API under load: concurrent clients reading and writing through the real server,
then a check that every write a client saw acknowledged is in the registry and that the audit
chain verifies.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, database ``test``, as in CI):

    python benchmarks/load.py                          # SQLite, 200 clients for 60 s
    python benchmarks/load.py --engine postgresql      # a fresh database, dropped afterwards
    python benchmarks/load.py --engine postgresql --workers 2   # serve --workers 2
    python benchmarks/load.py --clients 20 --seconds 10

A fresh deployment in a temporary folder: the database (a SQLite file, or a new PostgreSQL
database), a key file, one account per client made through the services (all with one
password hash at the production argon2id profile), and a synthetic registry
(``safepassage.synthetic``). ``safepassage serve`` then runs as a separate process on
127.0.0.1 and a free port, as an operation would start it (one uvicorn worker unless
``--workers`` says more; several only on PostgreSQL). Each client signs in once through
``POST /api/auth/token`` with a TOTP code before the clock starts, then sends requests back
to back over its own connection, no pause between them.
Coordinators and field leads (a fifth and four fifths of the clients) read households,
histories, members' records and exports, and write: status changes for coordinators,
checkpoint scans for field leads, each on households no other client writes on, so that
every write is one the registry's rules accept.

Afterwards, with the server stopped, every acknowledged write is looked up in the database
through the store, and the audit chain verified as ``safepassage audit verify`` does. Any
non-2xx answer or transport error is counted and listed; the client never retries.
The load generator runs on the same machine as the server and shares its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx2
import numpy as np
import pyotp
from argon2 import PasswordHasher
from sqlalchemy import create_engine, func, make_url, select, text

from safepassage.model.registry import (
    Household,
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    Sex,
    Status,
)
from safepassage.policy import Role, Scope
from safepassage.protection.keys import KeyRing, write_key_ring
from safepassage.services import account_requests, accounts, registry
from safepassage.services.registry import Operator
from safepassage.store import Database, audit, open_database
from safepassage.store.schema import upgrade
from safepassage.store.tables import AuditRow, CheckpointRow, StatusEventRow
from safepassage.synthetic.registry import generate_registry
from safepassage.synthetic.southwest_syria import HOME_TOWNS

POSTGRES_URL = os.environ.get(
    "SAFEPASSAGE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "load benchmark passphrase, not a real one"
CROSSING = "quneitra-crossing"
LOAD_REASON = "load"
"""Status changes carry ``load <client> <n>`` as their reason: an id the check looks up."""

READ_WEIGHTS = {
    Role.COORDINATOR: {
        "households": 10,
        "household": 25,
        "history": 15,
        "persons": 10,
        "hxl": 5,
        "discrepancies": 5,
    },
    Role.FIELD_LEAD: {"households": 10, "household": 30, "history": 15, "persons": 15},
}
WRITE_WEIGHT = 30
"""Out of 100 requests, per role: the reads above, and 30 writes (status changes for a
coordinator, checkpoint scans for a field lead)."""

MISCOUNT_SHARE = 0.1
"""Scans whose headcount is off by one: flagged for the coordinator, nothing moves."""


# --- the deployment --------------------------------------------------------------------------


@dataclass
class Client:
    """One API client: an account, what it may read, and the households only it writes on."""

    name: str
    role: Role
    town: str | None
    owned: list[str]
    households: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    totp_secret: str = ""
    token: str = ""


@dataclass
class Deployment:
    location: str
    key_file: Path
    ring: KeyRing
    members: dict[str, tuple[str, ...]]
    clients: list[Client]
    persons: int
    seconds_setup: float


@contextmanager
def fresh_location(engine: str, folder: Path, postgres_url: str) -> Iterator[str]:
    """A SQLite file in ``folder``, or a new PostgreSQL database dropped at the end."""
    if engine == "sqlite":
        yield str(folder / "registry.db")
        return
    name = f"load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` shared by weight (largest remainder), at least one each while it lasts."""
    keys = sorted(weights, key=lambda key: -weights[key])
    shares = {key: max(1, total * weights[key] // sum(weights.values())) for key in keys}
    while sum(shares.values()) > total:
        largest = max(keys, key=lambda key: shares[key])
        shares[largest] -= 1
    index = 0
    while sum(shares.values()) < total:
        shares[keys[index % len(keys)]] += 1
        index += 1
    return {key: value for key, value in shares.items() if value}


@contextmanager
def one_password_hash() -> Iterator[None]:
    """Every account shares the benchmark's password: hash it once (production profile)
    and give every account that hash, instead of spending a third of a second of both cores
    per account before the run. Signing in still verifies it at the production cost."""
    hasher = accounts.PASSWORD_HASHER
    hashed = hasher.hash(PASSWORD)

    class Once(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            return hashed if password == PASSWORD else hasher.hash(password, salt=salt)

    accounts.PASSWORD_HASHER = Once(
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=hasher.hash_len,
        salt_len=hasher.salt_len,
        type=hasher.type,
    )
    try:
        yield
    finally:
        accounts.PASSWORD_HASHER = hasher


def deploy(folder: Path, location: str, clients: int, persons: int, seed: int) -> Deployment:
    began = time.perf_counter()
    database = open_database(location)
    upgrade(database)
    ring = KeyRing.generate()
    key_file = folder / "keyring.json"
    write_key_ring(ring, key_file)
    operator = Operator.with_ring("benchmark", ring)

    people = generate_registry(
        seed=seed,
        persons=persons,
        towns=HOME_TOWNS,
        cleared_share=0.8,
        clearance=(CROSSING,),
        not_cleared_for=(),
    )
    members = {h.id: tuple(p.id for p in h.members) for h in people.households}
    with database.session() as session:
        for synthetic in people.households:
            cleared = bool(synthetic.cleared_for)
            registry.save_household(
                session,
                operator,
                Household(
                    synthetic.id, synthetic.origin, synthetic.priority, (CROSSING,) * cleared
                ),
            )
            registry.add_persons(
                session,
                operator,
                [
                    Person(
                        member.id,
                        synthetic.id,
                        Status.CLEARED if cleared else Status.VERIFIED,
                        date(2031, 1, 1),
                        PersonalData(
                            name_arabic=member.name_arabic,
                            name_icao=member.name_latin,
                            sex=Sex(member.sex),
                            birth=PartialDate(member.birth_year),
                            role=member.role,
                            relationship=member.relationship,
                            nationality="SYR",
                            documents=(IdentityDocument("passport", f"N{member.id[1:]}", "SYR"),),
                        ),
                    )
                    for member in synthetic.members
                ],
            )

    # A fifth of the clients coordinate and write on the households not cleared yet; the
    # others lead the field in the towns, as many per town as it has cleared households
    # in proportion, each scanning its own share of them.
    cleared_in: dict[str, list[str]] = defaultdict(list)
    waiting: list[str] = []
    for synthetic in people.households:
        (cleared_in[synthetic.origin] if synthetic.cleared_for else waiting).append(synthetic.id)
    coordinators = max(1, clients // 5)
    leads = split(clients - coordinators, {town: len(ids) for town, ids in cleared_in.items()})
    everyone: list[Client] = [
        Client(f"coordinator-{n:03d}", Role.COORDINATOR, None, waiting[n::coordinators])
        for n in range(coordinators)
    ]
    for town, count in sorted(leads.items()):
        everyone += [
            Client(f"lead-{town}-{n:03d}", Role.FIELD_LEAD, town, cleared_in[town][n::count])
            for n in range(count)
        ]
    by_town: dict[str, list[str]] = defaultdict(list)
    for synthetic in people.households:
        by_town[synthetic.origin].append(synthetic.id)
    for client in everyone:
        client.households = by_town[client.town] if client.town else list(members)
        client.persons = [p for h in client.households for p in members[h]]

    with database.session() as session, one_password_hash():
        for client in everyone:
            scope = Scope.parse(f"origin:{client.town}" if client.town else "all")
            asked = account_requests.request_account(
                session, Operator("requester", operator.sealer), client.name, client.role, scope
            )
            code = account_requests.approve(session, operator, asked.id, role=None).code
            assert code is not None
            enrolment = account_requests.enrol(session, operator.sealer, code, PASSWORD)
            client.totp_secret = enrolment.totp_secret
    database.dispose()
    return Deployment(
        location, key_file, ring, members, everyone, persons, time.perf_counter() - began
    )


# --- the server ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants alive now (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(deployment: Deployment, folder: Path, workers: int) -> Iterator[tuple[str, int]]:
    """``safepassage serve`` in its own process, until the block ends; the command line
    through this interpreter, so an uninstalled checkout (``PYTHONPATH=src``) runs too."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from safepassage.cli.main import app; app(prog_name='safepassage')",
        "serve",
        "--workers",
        str(workers),
        "--db",
        deployment.location,
        "--key-file",
        str(deployment.key_file),
        "--port",
        str(port),
    ]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server stopped:\n{(folder / 'server.log').read_text()}")
            try:
                if httpx2.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 120 s")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- the clients -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw: latencies by kind and endpoint, errors, acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    statuses: list[tuple[str, str, int]] = field(default_factory=list)
    """(reason, status, persons) of every acknowledged status change."""
    checkpoints: dict[int, tuple[str, str, int, str]] = field(default_factory=dict)
    """checkpoint id -> (household, kind, headcount, actor) of every acknowledged scan."""
    moved: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    """CPU seconds of the server's processes and of this one while the clock ran."""
    load_before: float = 0.0
    load_after: float = 0.0
    first: float = 0.0
    last: float = 0.0


async def sign_in(http: httpx2.AsyncClient, client: Client, gate: asyncio.Semaphore) -> None:
    async with gate:
        code = pyotp.TOTP(client.totp_secret).now()
        answer = await http.post(
            "/api/auth/token", json={"name": client.name, "password": PASSWORD, "code": code}
        )
    if answer.status_code != 200:
        raise SystemExit(f"sign-in of {client.name} refused: {answer.status_code}")
    client.token = answer.json()["access_token"]


class Worker:
    """One client's loop: requests back to back until the deadline, each timed alone."""

    def __init__(
        self,
        client: Client,
        http: httpx2.AsyncClient,
        members: dict[str, tuple[str, ...]],
        tally: Tally,
        seed: int,
    ) -> None:
        self.client, self.http, self.members, self.tally = client, http, members, tally
        self.random = random.Random(seed)
        self.writes = 0
        self.stage = dict.fromkeys(client.owned, 0)
        """Field lead: 0 to scan at assembly, 1 at departure, 2 departed (re-sent departure
        scans). Coordinator: 0 members at their status, 1 on hold."""
        weights = {**READ_WEIGHTS[client.role], "write": WRITE_WEIGHT}
        self.choices, self.weights = list(weights), list(weights.values())

    async def run(self, deadline: float) -> None:
        while time.perf_counter() < deadline:
            action = self.random.choices(self.choices, self.weights)[0]
            await getattr(self, action)()

    async def call(
        self, endpoint: str, method: str, url: str, json: object | None = None
    ) -> httpx2.Response | None:
        kind = "write" if endpoint in ("status", "checkpoint") else "read"
        began = time.perf_counter()
        try:
            answer = await self.http.request(method, url, json=json)
        except httpx2.HTTPError as error:
            self.tally.errors[f"{type(error).__name__} {endpoint}"] += 1
            return None
        finished = time.perf_counter()
        if not 200 <= answer.status_code < 300:
            key = f"HTTP {answer.status_code} {endpoint}"
            self.tally.errors[key] += 1
            self.tally.error_samples.setdefault(key, answer.text[:300])
            return None
        self.tally.latencies[f"{kind} {endpoint}"].append(finished - began)
        self.tally.last = max(self.tally.last, finished)
        return answer

    async def households(self) -> None:
        pages = max(1, (len(self.client.households) + 99) // 100)
        await self.call(
            "households", "GET", f"/api/households?offset={100 * self.random.randrange(pages)}"
        )

    async def household(self) -> None:
        household = self.random.choice(self.client.households)
        await self.call("household", "GET", f"/api/households/{household}")

    async def history(self) -> None:
        person = self.random.choice(self.client.persons)
        await self.call("history", "GET", f"/api/status/{person}/history")

    async def persons(self) -> None:
        household = self.random.choice(self.client.households)
        await self.call("persons", "GET", f"/api/households/{household}/persons")

    async def hxl(self) -> None:
        await self.call("hxl", "GET", "/api/exports/hxl")

    async def discrepancies(self) -> None:
        await self.call("discrepancies", "GET", "/api/checkpoints/discrepancies")

    async def write(self) -> None:
        if not self.client.owned:
            await self.household()
            return
        household = self.random.choice(self.client.owned)
        if self.client.role is Role.COORDINATOR:
            await self.change_status(household)
        else:
            await self.scan(household)

    async def change_status(self, household: str) -> None:
        held = self.stage[household]
        to = Status.VERIFIED if held else Status.ON_HOLD
        self.writes += 1
        reason = f"{LOAD_REASON} {self.client.name} {self.writes}"
        people = list(self.members[household])
        body = {"person_ids": people, "to": to.value, "reason": reason}
        if await self.call("status", "POST", "/api/status", body) is not None:
            self.stage[household] = 1 - held
            self.tally.statuses.append((reason, to.value, len(people)))

    async def scan(self, household: str) -> None:
        stage = self.stage[household]
        kind = "assembly" if stage == 0 else "departure"
        size = len(self.members[household])
        miscount = self.random.random() < MISCOUNT_SHARE
        headcount = size + 1 if miscount else size
        body = {
            "household_id": household,
            "kind": kind,
            "place": self.client.town,
            "headcount": headcount,
        }
        answer = await self.call("checkpoint", "POST", "/api/checkpoints", body)
        if answer is None:
            return
        outcome = answer.json()
        self.tally.checkpoints[outcome["checkpoint_id"]] = (
            household,
            kind,
            headcount,
            self.client.name,
        )
        self.tally.moved += len(outcome["moved"])
        if not miscount:
            self.stage[household] = min(stage + 1, 2)


async def load(
    base: str, pid: int, deployment: Deployment, seconds: float, timeout: float, seed: int
) -> Tally:
    tally = Tally()
    clients = deployment.clients
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    https = [httpx2.AsyncClient(base_url=base, limits=limits, timeout=timeout) for _ in clients]
    try:
        gate = asyncio.Semaphore(4)
        await asyncio.gather(
            *(sign_in(http, client, gate) for http, client in zip(https, clients, strict=True))
        )
        for http, client in zip(https, clients, strict=True):
            http.headers["Authorization"] = f"Bearer {client.token}"
        workers = [
            Worker(client, http, deployment.members, tally, seed * 100_003 + index)
            for index, (http, client) in enumerate(zip(https, clients, strict=True))
        ]
        tally.load_before = os.getloadavg()[0]
        server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
        tally.first = time.perf_counter()
        deadline = tally.first + seconds
        await asyncio.gather(*(worker.run(deadline) for worker in workers))
        tally.server_cpu = cpu_seconds(pid) - server_cpu
        tally.client_cpu = time.process_time() - client_cpu
        tally.load_after = os.getloadavg()[0]
    finally:
        await asyncio.gather(*(http.aclose() for http in https))
    return tally


# --- the check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    acknowledged: int
    found: int
    unacknowledged: int
    """Load writes in the database that no client saw acknowledged (a lost answer)."""
    moves_expected: int
    moves_found: int
    audit_intact: bool
    audit_entries: int
    audit_checkpoints: int


def check(deployment: Deployment, tally: Tally) -> Check:
    """Every acknowledged write looked up in the database, with the server stopped."""
    database = open_database(deployment.location)
    try:
        with database.session() as session:
            events = Counter(
                {
                    (reason, status): count
                    for reason, status, count in session.execute(
                        select(StatusEventRow.reason, StatusEventRow.to_status, func.count())
                        .where(StatusEventRow.reason.like(f"{LOAD_REASON} %"))
                        .group_by(StatusEventRow.reason, StatusEventRow.to_status)
                    )
                }
            )
            found = sum(
                events[(reason, status)] == persons for reason, status, persons in tally.statuses
            )
            acknowledged_reasons = {reason for reason, _, _ in tally.statuses}
            unacknowledged = sum(reason not in acknowledged_reasons for reason, _status in events)
            stored = {
                row.id: (row.household_id, row.kind, row.headcount, row.actor)
                for row in session.execute(select(CheckpointRow)).scalars()
            }
            found += sum(stored.get(id_) == seen for id_, seen in tally.checkpoints.items())
            unacknowledged += len(stored.keys() - tally.checkpoints.keys())
            moves = session.execute(
                select(func.count())
                .select_from(StatusEventRow)
                .where(StatusEventRow.reason.in_(("assembly checkpoint", "departure checkpoint")))
            ).scalar_one()
            audit_checkpoints = session.execute(
                select(func.count()).select_from(AuditRow).where(AuditRow.action == "checkpoint")
            ).scalar_one()
            report = audit.verify(session, deployment.ring)
    finally:
        database.dispose()
    return Check(
        acknowledged=len(tally.statuses) + len(tally.checkpoints),
        found=found,
        unacknowledged=unacknowledged,
        moves_expected=tally.moved,
        moves_found=moves,
        audit_intact=report.intact,
        audit_entries=report.entries,
        audit_checkpoints=audit_checkpoints,
    )


# --- the report ------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> list[str]:
    if not values:
        return ["", "", "", ""]
    ms = np.array(values) * 1000
    return [f"{value:.0f}" for value in (*np.percentile(ms, [50, 90, 99]), ms.max())]


def report(engine: str, workers: int, deployment: Deployment, tally: Tally, result: Check) -> None:
    elapsed = tally.last - tally.first
    reads = [v for key, values in tally.latencies.items() if key.startswith("read") for v in values]
    writes = [
        v for key, values in tally.latencies.items() if key.startswith("write") for v in values
    ]
    errors_of = {
        "all": sum(tally.errors.values()),
        "reads": sum(n for key, n in tally.errors.items() if key.split()[-1] in READ_ENDPOINTS),
        "writes": sum(n for key, n in tally.errors.items() if key.split()[-1] in WRITE_ENDPOINTS),
    }
    everything_ok = (
        errors_of["all"] == 0
        and result.found == result.acknowledged
        and result.unacknowledged == 0
        and result.moves_found == result.moves_expected
        and result.audit_checkpoints == len(tally.checkpoints)
        and result.audit_intact
    )
    header = (
        "engine",
        "workers",
        "clients",
        "seconds",
        "mix",
        "requests",
        "requests/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "acknowledged writes",
        "writes found",
        "audit chain",
    )
    print("| " + " | ".join(header) + " |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    clients = len(deployment.clients)
    chain = f"{'ok' if result.audit_intact else 'BROKEN'} ({result.audit_entries:,} entries)"
    for kind, values in (("all", reads + writes), ("reads", reads), ("writes", writes)):
        cells = [
            engine,
            str(workers),
            str(clients),
            f"{elapsed:.1f}",
            kind,
            f"{len(values):,}",
            f"{len(values) / elapsed:.0f}",
            *percentiles(values),
            str(errors_of[kind]),
            f"{result.acknowledged:,}" if kind != "reads" else "",
            f"{result.found:,}" if kind != "reads" else "",
            chain if kind == "all" else "",
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    print("| endpoint | requests | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for key in sorted(tally.latencies):
        values = tally.latencies[key]
        print(f"| {key} | {len(values):,} | " + " | ".join(percentiles(values)) + " |")
    print()
    coordinators = sum(client.role is Role.COORDINATOR for client in deployment.clients)
    print(
        f"- {clients} clients ({coordinators} coordinators, {clients - coordinators} field "
        f"leads), {deployment.persons:,} persons in {len(deployment.members):,} households; "
        f"setup (registry, {clients} accounts sharing one password hash at the production "
        "argon2id profile) "
        f"{deployment.seconds_setup:.0f} s"
    )
    print(
        f"- status changes acknowledged {len(tally.statuses):,}, checkpoint scans "
        f"{len(tally.checkpoints):,}; found {result.found:,}; in the database without an "
        f"acknowledgement {result.unacknowledged}; moves by scans {result.moves_expected:,} "
        f"acknowledged, {result.moves_found:,} found; checkpoint audit entries "
        f"{result.audit_checkpoints:,}"
    )
    print(
        f"- server: `safepassage serve --workers {workers}` ({workers} uvicorn worker "
        f"process(es), each with AnyIO's 40 worker threads and {CONNECTIONS} database "
        f"connections); {os.cpu_count()} cores shared with the load generator"
    )
    requests = len(reads) + len(writes)
    print(
        f"- CPU per request while the clock ran: server {1000 * tally.server_cpu / requests:.1f} "
        f"ms (all its processes), load generator {1000 * tally.client_cpu / requests:.1f} ms"
    )
    print(
        f"- machine load (1-minute average, other work included): {tally.load_before:.1f} "
        f"before the clients started, {tally.load_after:.1f} when they stopped"
    )
    print(f"- every check passed: {'yes' if everything_ok else 'NO'}")
    for key, count in sorted(tally.errors.items()):
        print(f"- error {key}: {count}  {tally.error_samples.get(key, '')!r}")


CONNECTIONS = Database.pool_size + Database.pool_overflow
READ_ENDPOINTS = frozenset(
    {"households", "household", "history", "persons", "hxl", "discrepancies"}
)
WRITE_ENDPOINTS = frozenset({"status", "checkpoint"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--persons", type=int, default=5000, help="synthetic registry size")
    parser.add_argument("--timeout", type=float, default=120, help="client timeout, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (serve --workers; PostgreSQL)"
    )
    parser.add_argument("--postgres", default=POSTGRES_URL, help="server to make a database in")
    parser.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        with fresh_location(args.engine, folder, args.postgres) as location:
            deployment = deploy(folder, location, args.clients, args.persons, args.seed)
            with server(deployment, folder, args.workers) as (base, pid):
                tally = asyncio.run(
                    load(base, pid, deployment, args.seconds, args.timeout, args.seed)
                )
            result = check(deployment, tally)
        report(args.engine, args.workers, deployment, tally, result)
        if args.server_log is not None:
            args.server_log.write_bytes((folder / "server.log").read_bytes())
        if tally.errors:
            log = (folder / "server.log").read_text(errors="replace")
            tracebacks = [line for line in log.splitlines() if "Error" in line]
            print(f"- server log: {len(tracebacks)} lines naming an error, last ones:")
            for line in tracebacks[-10:]:
                print(f"  {line}")


if __name__ == "__main__":
    main()
