"""What a server is started with, checked before it serves anything.

Every setting can come from the environment (``SAFEPASSAGE_SERVER_...``) or from the
``serve`` command's options; a value out of range stops the start with a message instead of
surfacing at the first request.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safepassage.services.accounts import LockOut


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEPASSAGE_SERVER_", frozen=True)

    database: str | None = Field(
        None,
        description="SQLite file or PostgreSQL URL; default as the CLI's --db "
        "($SAFEPASSAGE_DB, else registry.db in the data folder).",
    )
    key_file: Path | None = Field(
        None, description="Key ring file; default as the CLI's --key-file."
    )
    cookie_secure: bool = Field(
        True,
        description="Send the session cookie over HTTPS only. Browsers treat 127.0.0.1 and "
        "localhost as secure, so only a plain-HTTP server on another address needs False.",
    )
    session_minutes: int = Field(
        480, ge=5, le=7 * 24 * 60, description="How long a cookie or token stays valid."
    )
    lockout_threshold: int = Field(
        5, ge=3, le=20, description="Failed sign-ins in a row that lock an account."
    )
    lockout_minutes: int = Field(15, ge=1, le=24 * 60, description="How long a lock-out lasts.")
    import_mapping: Path | None = Field(
        None, description="YAML column mapping for imports; default the bundled KoboToolbox one."
    )
    upload_megabytes: int = Field(50, ge=1, le=1024, description="Largest import file taken.")
    scenario: Path | None = Field(
        None, description="Scenario folder of the operation, for manifests."
    )
    plan: Path | None = Field(None, description="The current plan JSON, for manifests.")
    plan_from_registry: bool = Field(
        False, description="The plan was made from the registry's households (plan --registry)."
    )

    anchor_dir: Path | None = Field(
        None,
        description="Folder to write signed audit anchors into (keep it off this machine's "
        "database disk: a share or write-once media); none written if unset.",
    )
    anchor_seconds: float = Field(
        300.0, ge=0.05, le=24 * 3600, description="Seconds between audit anchors."
    )

    workers: int = Field(
        1,
        ge=1,
        le=32,
        description="Server processes; more than one only on PostgreSQL (SQLite takes one "
        "writer at a time).",
    )

    def environment(self) -> dict[str, str]:
        """These settings as the variables that make them again in another process: how
        the workers of ``serve --workers`` get them (never on a command line, where a
        database URL's password would show in the process list)."""
        variables = {}
        for name, value in self.model_dump().items():
            if value is not None:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                variables[f"{self.model_config['env_prefix']}{name.upper()}"] = text
        return variables

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(minutes=self.session_minutes)

    @property
    def lockout(self) -> LockOut:
        return LockOut(self.lockout_threshold, self.lockout_minutes)

    @property
    def cookie_name(self) -> str:
        """``__Host-`` binds a secure cookie to this host and path ``/``: no subdomain and no
        plain-HTTP page can set or overwrite it."""
        return "__Host-safepassage" if self.cookie_secure else "safepassage"
