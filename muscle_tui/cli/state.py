"""What every command shares, kept in click's `ctx.obj`: the database options, the database once
opened, and the stop signals."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from muscle_tui.cli.console import say_error
from muscle_tui.cli.signals import StopSignals
from muscle_tui.config import resolve_database
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.user_config import UserConfig, export_directory, load_user_config


@dataclass
class CliState:
    """The options of the `muscle-tui` group and the database they name, opened on first use.

    `db` is the URL from `--db` or MUSCLE_TUI_DB, and `db_source` says which of the two (messages
    name it); the URL may hold a password, so it is kept out of the repr. `debug` (--debug) shows
    the traceback of an error. `user_config` is the user's config file, read once per run.
    """

    stop: StopSignals = field(default_factory=StopSignals)
    db: str | None = field(default=None, repr=False)
    db_source: str = "--db"
    env_file: str | None = None
    debug: bool = False
    tui_requested: bool = False
    printing: bool = False  # a listing streams to stdout: a stop leaves its output incomplete
    _database: MuscleDatabase | None = field(default=None, repr=False)
    _user_config: UserConfig | None = field(default=None, repr=False)

    def database(self) -> MuscleDatabase:
        """The database: --db, then MUSCLE_TUI_DB, then --env-file or ./.env, then the demo (said in
        one line on stderr, so that no script reads the demo believing it is its own database)."""
        if self._database is None:
            target = resolve_database(db=self.db, env_file=self.env_file, db_source=self.db_source)
            if target.is_demo:
                say_error(f"no database configured; using the built-in demo database ({target.url.database})")
            self._database = MuscleDatabase.open(target.url, target.label)
        return self._database

    @property
    def user_config(self) -> UserConfig:
        """The user's config file (config.toml), read on first use; its warnings are said then,
        once per run, each as `muscle-tui: warning: ...` on stderr."""
        if self._user_config is None:
            self._user_config = load_user_config()
            for warning in self._user_config.warnings:
                say_error(f"warning: {warning}")
        return self._user_config

    def default_export_directory(self, output: str | os.PathLike[str] | None) -> Path | None:
        """Where an export goes when no --output is given: the configured `[export] directory`
        (created 0700 if missing), or None for the current one. None too when `output` is given,
        so that the config is read only when it matters. UserConfigError (one line) when the
        configured directory cannot be used."""
        if output is not None:
            return None
        return export_directory(self.user_config)

    def database_with_block(self, slug: str) -> MuscleDatabase:
        """The database, once it is known to hold the block `slug` (a cheap lookup, without counts):
        an unknown slug fails before the output rule creates any directory."""
        database = self.database()
        with database.snapshot() as snapshot:
            snapshot.block(slug)
        return database

    def interrupt(self) -> None:
        """Cancel the statements running on the database (any thread), if it was opened."""
        database = self._database
        if database is not None:
            database.interrupt()

    def close(self) -> None:
        """Close the database, if it was opened."""
        database, self._database = self._database, None
        if database is not None:
            database.close()


pass_state = click.make_pass_decorator(CliState, ensure=True)
"""Decorator handing a command the `CliState` of its context."""
