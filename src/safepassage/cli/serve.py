"""``safepassage serve``: the web application and the API (accounts: :mod:`.accounts`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from safepassage.cli.registry_options import (
    DbOption,
    KeyFileOption,
    fail,
)
from safepassage.services.database import DatabaseUnavailable, OperationalError

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

console = Console()
errors = Console(stderr=True)

commands = typer.Typer()


@commands.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs TLS in front.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario folder of the operation, for manifests.")
    ] = None,
    plan: Annotated[Path | None, typer.Option(help="The current plan JSON, for manifests.")] = None,
    plan_from_registry: Annotated[
        bool,
        typer.Option("--registry", help="The plan was made from the registry's households."),
    ] = False,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help="Send the session cookie over plain HTTP too (a test server on a LAN only).",
        ),
    ] = False,
    anchor_dir: Annotated[
        Path | None,
        typer.Option(
            help="Write a signed audit anchor into this folder at the start and every "
            "--anchor-every seconds the log has grown; keep it where whoever can write to "
            "the database cannot, and check with `audit verify --anchor`.",
        ),
    ] = None,
    anchor_every: Annotated[
        float, typer.Option(help="Seconds between audit anchors (with --anchor-dir).")
    ] = 300.0,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Server processes (PostgreSQL only): one per core takes more requests at "
            "once than one process, whose Python runs on one core at a time.",
        ),
    ] = 1,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Start the web application and the HTTP API (OpenAPI at /api/docs)."""
    # Imported here: the web stack takes longer to load than most commands take to run.
    import uvicorn

    from safepassage.api.app import ServerUnavailable, create_app
    from safepassage.api.settings import Settings

    overrides: dict[str, Any] = {
        "cookie_secure": not insecure_cookies,
        "plan_from_registry": plan_from_registry,
        "anchor_seconds": anchor_every,
        "workers": workers,
    }
    for name, value in (
        ("database", db),
        ("key_file", key_file),
        ("scenario", scenario),
        ("anchor_dir", anchor_dir),
    ):
        if value is not None:
            overrides[name] = value
    if plan is not None:
        overrides["plan"] = plan
    try:
        settings = Settings(**overrides)
        app = create_app(settings)
    except ValidationError as invalid:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in invalid.errors()
        )
        raise fail(f"settings: {problems}") from None
    except (ServerUnavailable, DatabaseUnavailable) as unavailable:
        raise fail(str(unavailable)) from None
    except OperationalError as error:
        raise fail(f"cannot open the database: {type(error).__name__}") from None
    if host not in LOOPBACK:
        errors.print(
            f"[yellow]warning:[/yellow] listening on {escape(host)}: put a TLS proxy in front, "
            "passwords and personal data must not cross a network in clear"
        )
    # No access log: a request line carries its query string, and the audit log records what
    # an operation needs to know of who did what. uvloop and httptools (C) instead of asyncio's
    # loop and h11 (Python): with 200 clients h11 alone took 6% of the server's time
    # (benchmarks/load.py, py-spy).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "proxy_headers": False,
        "server_header": False,
        "access_log": False,
    }
    if workers == 1:
        uvicorn.run(app, **options)
        return
    # Each worker process builds its own application (and connection pool) from the settings
    # checked above, which reach it through the environment; this one only supervises.
    app.state.server.database.dispose()
    os.environ.update(settings.environment())
    uvicorn.run(
        "safepassage.api.app:app_from_environment", factory=True, workers=workers, **options
    )
