"""The README's test command (``tools/run_tests.py``): what CI runs, and how it decides."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "run_tests.py"


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_tests", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_tests = _runner()


def test_ci_runs_exactly_the_readmes_second_command() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    ran = [line for line in ci if line and not line.startswith("#")]
    assert ran[-1] == f"exec {commands[1]}", ran


def test_the_readme_names_what_the_test_command_installs() -> None:
    readme = (ROOT / "README.md").read_text().split("## Using it", 1)[0]
    for installed in ("`chromium`", "`postgresql`", "pip install '.[test]'"):
        assert installed in readme, installed


def test_the_url_matches_the_one_the_store_tests_read() -> None:
    from conftest import POSTGRES_URL, POSTGRES_URL_ENV

    assert (run_tests.POSTGRES_ENV, run_tests.LOCAL_POSTGRES) == (POSTGRES_URL_ENV, POSTGRES_URL)


@contextmanager
def _fake_throwaway() -> Iterator[str]:
    yield "throw-away"


@pytest.mark.parametrize(
    ("named", "local_opens", "choice", "expected"),
    [
        ("postgresql+psycopg://u@h:1/db", True, "auto", "postgresql+psycopg://u@h:1/db"),
        (None, True, "auto", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        (None, False, "auto", "throw-away"),
        ("postgresql+psycopg://u@h:1/db", True, "throwaway", "throw-away"),
    ],
)
def test_the_postgresql_is_the_named_one_else_the_local_one_else_a_throwaway(
    monkeypatch: pytest.MonkeyPatch,
    named: str | None,
    local_opens: bool,
    choice: str,
    expected: str,
) -> None:
    if named is None:
        monkeypatch.delenv(run_tests.POSTGRES_ENV, raising=False)
    else:
        monkeypatch.setenv(run_tests.POSTGRES_ENV, named)
    monkeypatch.setattr(run_tests, "opens", lambda _python, _url: local_opens)
    monkeypatch.setattr(run_tests, "throwaway_postgres", _fake_throwaway)
    with run_tests.chosen_postgres(Path(sys.executable), choice) as url:
        assert url == expected


def _run(folder: Path, tests: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(tests)
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--python", sys.executable, str(folder), "-q"],
        env={"PATH": "/usr/bin:/bin", run_tests.POSTGRES_ENV: "postgresql+psycopg://u@h:1/db"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(not run_tests.CHROMIUM.exists(), reason="would install Chromium")
def test_pytests_exit_code_is_the_scripts_and_no_tests_is_a_failure(tmp_path: Path) -> None:
    assert _run(tmp_path, "def test_passes() -> None:\n    pass\n").returncode == 0
    assert _run(tmp_path, "def test_fails() -> None:\n    assert False\n").returncode == 1
    nothing = _run(tmp_path, "")
    assert nothing.returncode == 1 and re.search("collected no tests", nothing.stderr)
