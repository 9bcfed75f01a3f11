"""Install SafePassage in ``.venv`` and run its whole test suite, with everything it needs.

    python3 tools/run_tests.py                       # the README's test command, and CI's
    python3 tools/run_tests.py tests/store -x -q     # arguments after the options go to pytest
    python3 tools/run_tests.py --postgres throwaway  # always a throw-away PostgreSQL
    python3 tools/run_tests.py --python /path/to/venv/bin/python   # no .venv, no pip

On a fresh Debian machine with Python 3.11 or newer, nothing else has to be set up first:

1. ``.venv`` is created and ``pip install '.[test]'`` run in it (``apt-get install
   python3-venv`` first when Debian's Python lacks it).
2. The browser tests (``tests/web``) drive Debian's Chromium at ``/usr/bin/chromium``: when it
   is missing, ``apt-get install chromium`` (as root, else through sudo).
3. The store tests run on SQLite and on PostgreSQL and never skip, so a PostgreSQL is found or
   made: the one ``SAFEPASSAGE_TEST_POSTGRES`` names; else the one at 127.0.0.1:5432 when
   database ``test`` opens there as user ``postgres``; else a throw-away server from Debian's
   ``postgresql`` binaries (``apt-get install postgresql`` when ``initdb`` is missing) in a
   temporary folder on a free port, stopped and deleted at the end, whatever happens.
4. pytest runs, with ``SAFEPASSAGE_TEST_POSTGRES`` naming that server. Its exit code is this
   script's, except that "no tests collected" (5) is a failure: a suite that ran nothing
   proves nothing.

Only the standard library is used: this runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ENV = "SAFEPASSAGE_TEST_POSTGRES"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""As ``tests/conftest.py`` reads it: a SQLAlchemy URL, user ``postgres``, database ``test``."""
CHROMIUM = Path("/usr/bin/chromium")
DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")
"""Where Debian puts each major version's binaries: ``<version>/bin/initdb``."""
NO_TESTS_COLLECTED = 5


class SetupFailed(Exception):
    """A step of the set-up failed; the message says which and what to do."""


def say(message: str) -> None:
    print(f"run_tests: {message}", file=sys.stderr, flush=True)


def run(command: Sequence[str], **options: object) -> None:
    """A set-up command, echoed; its failure stops the run."""
    say("$ " + " ".join(command))
    try:
        subprocess.run(command, check=True, **options)  # type: ignore[call-overload]
    except (OSError, subprocess.CalledProcessError) as failed:
        raise SetupFailed(f"{command[0]} failed: {failed}") from None


# --- Python -----------------------------------------------------------------------------------


def installed_python() -> Path:
    """``.venv`` with the package and its test extras, as the README's command makes it.

    Debian's own Python makes virtual environments only with ``python3-venv`` installed."""
    if importlib.util.find_spec("ensurepip") is None:
        say("this Python cannot make a virtual environment: installing Debian's python3-venv")
        apt_install("python3-venv")
    venv = ROOT / ".venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", ".[test]"], cwd=ROOT)
    return python


# --- Debian packages --------------------------------------------------------------------------


def as_root(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return command
    if shutil.which("sudo") is None:
        raise SetupFailed(f"{command[0]} needs root, and sudo is missing: run this as root")
    return ["sudo", *command]


def apt_install(*packages: str) -> None:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(as_root(["apt-get", "update", "-qq"]), env=environment)
    run(as_root(["apt-get", "install", "-y", "-qq", *packages]), env=environment)


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    say(f"no Chromium at {CHROMIUM} (the browser tests need it): installing Debian's")
    apt_install("chromium")
    if not CHROMIUM.exists():
        raise SetupFailed(f"apt-get installed chromium but {CHROMIUM} is still missing")


# --- PostgreSQL -------------------------------------------------------------------------------


def opens(python: Path, url: str) -> bool:
    """Whether ``url`` (a SQLAlchemy URL) opens, tried with psycopg from ``python``: a port
    that answers is not enough, the tests need that user and that database."""
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    probe = (
        "import sys, psycopg\n"
        "try:\n"
        "    psycopg.connect(sys.argv[1], connect_timeout=5).close()\n"
        "except psycopg.Error:\n"
        "    sys.exit(1)\n"
    )
    result = subprocess.run(
        [str(python), "-c", probe, libpq_url], capture_output=True, check=False, timeout=60
    )
    return result.returncode == 0


def postgres_binaries() -> Path:
    """The newest Debian ``postgresql`` binaries, installed when there are none."""
    found = _initdbs()
    if not found:
        say("no PostgreSQL binaries (initdb) found: installing Debian's postgresql")
        clusters_before = _debian_clusters()
        apt_install("postgresql")
        _stop_new_clusters(clusters_before)
        found = _initdbs()
        if not found:
            raise SetupFailed(
                f"apt-get installed postgresql but no initdb is in {DEBIAN_POSTGRESQL}"
            )
    return found[-1].parent


def _initdbs() -> list[Path]:
    """Every version's ``initdb``, oldest first (``9.6`` before ``15``)."""

    def version(initdb: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in initdb.parents[1].name.split(".") if part.isdigit())

    return sorted(DEBIAN_POSTGRESQL.glob("*/bin/initdb"), key=version)


def _debian_clusters() -> dict[tuple[str, str], str]:
    """The status (online, down) of each (version, name) cluster Debian's tools know."""
    if shutil.which("pg_lsclusters") is None:
        return {}
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False
    )
    clusters = {}
    for line in listed.stdout.splitlines():
        version, name, _port, status, *_ = [*line.split(), "", "", "", ""]
        if version:
            clusters[(version, name)] = status
    return clusters


def _stop_new_clusters(before: dict[tuple[str, str], str]) -> None:
    """Debian creates and starts a ``main`` cluster when it installs postgresql; the tests do
    not use it, and the run must leave nothing running that was not running before."""
    for (version, name), status in _debian_clusters().items():
        if (version, name) not in before and status == "online":
            say(f"Debian started cluster {version}/{name} while installing: stopping it")
            run(as_root(["pg_ctlcluster", version, name, "stop"]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL of the run's own in a temporary folder, removed with everything in it.

    ``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user
    Debian's package creates, owning the folder. fsync is off: the data dies with the run."""
    binaries = postgres_binaries()
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="safepassage-test-postgres-"))
    data, log = folder / "data", folder / "server.log"
    if os.geteuid() == 0:
        shutil.chown(folder, user)
    as_user = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
    port = free_port()
    started = False
    server = [str(binaries / "pg_ctl"), "--pgdata", str(data), "--wait", "--silent"]
    try:
        initdb = [str(binaries / "initdb"), "--pgdata", str(data), "--username", "postgres"]
        initdb += ["--auth", "trust", "--encoding", "UTF8", "--no-instructions"]
        run([*as_user, *initdb], stdout=subprocess.DEVNULL)
        options = f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c synchronous_commit=off"
        started = True
        run([*as_user, *server, "--log", str(log), "--options", options, "start"])
        createdb = [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
        run([*as_user, *createdb, "--username", "postgres", "test"])
        say(f"throw-away PostgreSQL on 127.0.0.1:{port}, in {folder}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"
    finally:
        if started:
            stop = [*as_user, *server, "--mode", "fast", "stop"]
            if subprocess.run(stop, check=False).returncode == 0:
                say(f"throw-away PostgreSQL on port {port} stopped")
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def chosen_postgres(python: Path, choice: str) -> Iterator[str]:
    """The server the store tests use (see the module's docstring for the order)."""
    if choice == "auto":
        named = os.environ.get(POSTGRES_ENV)
        if named:
            say(f"PostgreSQL from {POSTGRES_ENV}")
            yield named
            return
        if opens(python, LOCAL_POSTGRES):
            say("PostgreSQL at 127.0.0.1:5432, database test")
            yield LOCAL_POSTGRES
            return
        say("no PostgreSQL answers at 127.0.0.1:5432 with database test: starting one")
    with throwaway_postgres() as url:
        yield url


# --- the run ----------------------------------------------------------------------------------


def _stop_on_sigterm(_signal: int, _frame: FrameType | None) -> None:
    """A cancelled CI job sends SIGTERM: unwind as for Ctrl-C, so the server is stopped."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Any other argument goes to pytest (for example tests/store -x -q).",
    )
    parser.add_argument(
        "--postgres",
        choices=("auto", "throwaway"),
        default="auto",
        help=f"auto: ${POSTGRES_ENV}, else 127.0.0.1:5432 when it opens, else a throw-away "
        "server; throwaway: always a throw-away server (this checks that fallback)",
    )
    parser.add_argument(
        "--python",
        type=Path,
        help="run pytest with this interpreter as it is, instead of creating .venv and "
        "installing into it",
    )
    options, pytest_args = parser.parse_known_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        python = options.python or installed_python()
        ensure_chromium()
        with chosen_postgres(python, options.postgres) as url:
            environment = {**os.environ, POSTGRES_ENV: url}
            command = [str(python), "-m", "pytest", *pytest_args]
            say("$ " + " ".join(command))
            status = subprocess.run(command, cwd=ROOT, env=environment, check=False).returncode
    except SetupFailed as failed:
        say(f"set-up failed: {failed}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    if status == NO_TESTS_COLLECTED:
        say("pytest collected no tests: a suite that ran nothing proves nothing")
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
