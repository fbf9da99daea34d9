"""Where the MUSCLE database comes from: --db, MUSCLE_TUI_DB, a MUSCLE .env file, or the demo.

A choice the user made that cannot be used is an error, never a fall-back to the demo. No message
shows any part of a password, nor of a URL that may hold one: they name the option and the key.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from muscle_tui.errors import DatabaseError

ENV_VARIABLE = "MUSCLE_TUI_DB"
MUSCLE_ENV_KEYS = ("SQL_DATABASE", "SQL_USER", "SQL_PASSWORD", "SQL_HOST", "SQL_PORT")
URL_EXAMPLES = "postgresql://user@host:5432/muscle or sqlite:///path/to/db.sqlite3"
POSTGRESQL_DRIVER = "postgresql+psycopg2"
POSTGRESQL_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgres+psycopg2")
ENV_FILE_MAX_BYTES = 1 << 20
ENV_KEYS_SHOWN = 12

_LIBPQ_PARAMETER_NAMES = """
    host hostaddr port dbname user password passfile service require_auth channel_binding
    connect_timeout client_encoding options application_name fallback_application_name
    target_session_attrs load_balance_hosts
    keepalives keepalives_idle keepalives_interval keepalives_count tcp_user_timeout
    sslmode requiressl sslnegotiation sslcompression sslcert sslkey sslpassword sslcertmode sslrootcert
    sslcrl sslcrldir sslsni requirepeer ssl_min_protocol_version ssl_max_protocol_version
    gssencmode krbsrvname gsslib gssdelegation
"""
LIBPQ_PARAMETERS = frozenset(_LIBPQ_PARAMETER_NAMES.split())
"""libpq's connection parameters (PostgreSQL 17), which psycopg2 takes from the URL's query;
`replication` is left out: a replication connection cannot run muscle-tui's queries."""
REPEATABLE_PARAMETERS = frozenset({"host", "port", "options"})
"""Several hosts (SQLAlchemy's multi-host form) and several server options are meaningful."""
KEEPALIVE_PARAMETERS = frozenset({"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count"})
INTEGER_PARAMETERS = KEEPALIVE_PARAMETERS | {"connect_timeout", "tcp_user_timeout"}
PARAMETER_CHOICES = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "sslcertmode": ("disable", "allow", "require"),
    "sslnegotiation": ("postgres", "direct"),
    "load_balance_hosts": ("disable", "random"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary", "standby", "prefer-standby"),
}

_SCHEME = re.compile(r"([A-Za-z][\w+.-]*)://")
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_WHOLE_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class DatabaseTarget:
    """A database to open, and how to name it to the user without its password."""

    url: URL
    source: str
    is_demo: bool = False

    @property
    def label(self) -> str:
        """`user@host/dbname`, a SQLite file's name, or `demo`."""
        if self.is_demo:
            return "demo"
        return describe_url(self.url)


def describe_url(url: URL) -> str:
    """Name a database URL for people: never with its password."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{url.database or ':memory:'}"
    host = url.host or "localhost"
    if url.port:
        host = f"{host}:{url.port}"
    user = f"{url.username}@" if url.username else ""
    return f"{user}{host}/{url.database or ''}"


def parse_url(text: str, source: str) -> URL:
    """Parse a database URL given as `source` (`--db`, MUSCLE_TUI_DB); errors never echo it.

    `postgres://` and `postgresql://` both mean PostgreSQL through psycopg2. A password holding an
    unencoded `@`, `:`, `/` or `?` is refused (the URL's parts are ambiguous, and a piece of the
    password would show as a host name), and so are query parameters libpq would reject.
    """
    text = text.strip()
    if not text:
        raise DatabaseError(f"{source} is empty; give a database URL, e.g. {URL_EXAMPLES}, or leave it out")
    scheme = _SCHEME.match(text)
    if scheme is not None and not scheme.group(1).lower().startswith("sqlite"):
        _refuse_unencoded_userinfo(text[scheme.end() :], source)
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise DatabaseError(f"{source} is not a database URL; expected e.g. {URL_EXAMPLES}") from None
    url = _with_driver(url, source)
    _check_query(url, source)
    return url


def _refuse_unencoded_userinfo(rest: str, source: str) -> None:
    """Refuse a URL (after `scheme://`) whose user name or password holds an unencoded `@`, `:`,
    `/` or `?`: a well-formed one has at most one `@`, and before it no `/` or `?` and one `:`."""
    if "@" not in rest:
        return
    userinfo = rest[: rest.index("@")]
    if rest.count("@") > 1 or userinfo.count(":") > 1 or "/" in userinfo or "?" in userinfo:
        raise DatabaseError(
            f"{source}: an unencoded @, :, / or ? in the URL's password (or elsewhere) makes its parts "
            "ambiguous; percent-encode them: @ as %40, : as %3A, / as %2F, ? as %3F"
        )


def _with_driver(url: URL, source: str) -> URL:
    """The URL with psycopg2 as its PostgreSQL driver; other back ends and drivers are refused."""
    scheme = url.drivername.lower()
    if scheme in POSTGRESQL_SCHEMES:
        return url.set(drivername=POSTGRESQL_DRIVER)
    backend = scheme.split("+", 1)[0]
    if backend in ("postgresql", "postgres"):
        raise DatabaseError(
            f"{source} names the PostgreSQL driver {scheme.split('+', 1)[1]}; "
            "muscle-tui connects through psycopg2: write postgresql://..."
        )
    if backend != "sqlite":
        raise DatabaseError(f"{source} names a {backend} database; muscle-tui reads PostgreSQL and SQLite")
    return url


def _check_query(url: URL, source: str) -> None:
    """Refuse query parameters that are unknown, repeated or malformed, naming only the parameter."""
    names = sorted(url.query)
    if url.get_backend_name() == "sqlite":
        if names:
            raise DatabaseError(
                f"{source}: a SQLite URL takes no ?parameters (this one has {', '.join(names)})"
            )
        return
    for name in names:
        given = url.query[name]
        values = (given,) if isinstance(given, str) else tuple(given)
        if name not in LIBPQ_PARAMETERS:
            raise DatabaseError(
                f"{source}: unknown URL parameter {name}; muscle-tui takes libpq's connection "
                "parameters (e.g. sslmode, connect_timeout, application_name, options)"
            )
        if len(values) > 1 and name not in REPEATABLE_PARAMETERS:
            raise DatabaseError(f"{source}: the URL parameter {name} is given more than once")
        if name in INTEGER_PARAMETERS and not all(_WHOLE_NUMBER.fullmatch(value.strip()) for value in values):
            raise DatabaseError(f"{source}: the URL parameter {name} must be a whole number")
        choices = PARAMETER_CHOICES.get(name)
        if choices is not None and values[0] not in choices:
            raise DatabaseError(f"{source}: the URL parameter {name} must be one of {', '.join(choices)}")
    try:
        url.get_dialect()().create_connect_args(url)
    except (ArgumentError, ValueError, TypeError):
        raise DatabaseError(
            f"{source}: the URL's host and port parameters do not fit together "
            "(a port must be a number; use host=h1,h2&port=p1,p2 or host=h1:p1&host=h2:p2)"
        ) from None


def read_env_file(path: Path, hint: str = "") -> dict[str, str | None]:
    """The settings of a .env file, as python-dotenv reads them (`${VAR}` expanded).

    A file that cannot be read, is not UTF-8 or has a line that cannot be parsed is a DatabaseError
    naming the file (and the line), never its contents; `hint` ends each message.
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(ENV_FILE_MAX_BYTES + 1)
    except IsADirectoryError:
        raise DatabaseError(f"{path} is a folder, not a .env file{hint}") from None
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}{hint}") from None
    if len(data) > ENV_FILE_MAX_BYTES:
        raise DatabaseError(f"{path} is too large to be a .env file{hint}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DatabaseError(f"{path}: line {line} is not UTF-8 text{hint}") from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise DatabaseError(
                f"{path}: line {binding.original.line} cannot be parsed (expected KEY=value){hint}"
            )
    return dict(dotenv_values(stream=io.StringIO(text)))


def _key_names(values: Mapping[str, str | None]) -> str:
    """The names of the keys a .env file sets (never their values), SQL-like ones first."""
    names = [name for name, value in values.items() if value is not None and _ENV_KEY.fullmatch(name)]
    names.sort(key=lambda name: not any(part in name.upper() for part in ("SQL", "DATA", "DB")))
    if not names:
        return "it sets no keys"
    shown = ", ".join(names[:ENV_KEYS_SHOWN])
    more = len(names) - ENV_KEYS_SHOWN
    return f"its keys: {shown}" + (f" and {more} more" if more > 0 else "")


def url_from_muscle_env(path: Path, hint: str = "") -> URL:
    """Build the PostgreSQL URL from MUSCLE's own SQL_* settings in a .env file."""
    values = read_env_file(path, hint)
    if not values.get("SQL_DATABASE"):
        state = "an empty" if "SQL_DATABASE" in values else "no"
        raise DatabaseError(
            f"{path} has {state} SQL_DATABASE, MUSCLE's database name ({_key_names(values)}){hint}"
        )
    port = values.get("SQL_PORT") or None
    try:
        port_number = int(port) if port else None
    except ValueError:
        raise DatabaseError(f"{path}: SQL_PORT is not a number{hint}") from None
    return URL.create(
        POSTGRESQL_DRIVER,
        username=values.get("SQL_USER") or None,
        password=values.get("SQL_PASSWORD") or None,
        host=values.get("SQL_HOST") or None,
        port=port_number,
        database=values["SQL_DATABASE"],
    )


def _env_file_target(env_file: str | os.PathLike[str]) -> DatabaseTarget:
    path = Path(env_file)
    try:
        if path.is_dir():
            raise DatabaseError(f"--env-file {path} is a folder, not a .env file")
        if not path.exists():
            raise DatabaseError(f"--env-file {path}: no such file")
        if not path.is_file():
            raise DatabaseError(f"--env-file {path} is not a regular file")
    except OSError as exc:
        raise DatabaseError(f"cannot read --env-file {path}: {exc.strerror or exc}") from None
    return DatabaseTarget(url_from_muscle_env(path), str(path))


def _local_env_target(cwd: Path) -> DatabaseTarget | None:
    """The database of `./.env`, or None when there is no such file (a folder named .env, e.g. a
    virtualenv, is not one)."""
    path = cwd / ".env"
    hint = (
        "; muscle-tui reads MUSCLE's SQL_* settings from ./.env: fix it, or name the database with "
        f"--db URL or {ENV_VARIABLE}"
    )
    try:
        if path.is_symlink() and not path.exists():
            raise DatabaseError(f"cannot read {path}: a symbolic link to nothing{hint}")
        if not path.is_file():
            return None
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}{hint}") from None
    return DatabaseTarget(url_from_muscle_env(path, hint), str(path))


def resolve_database(
    db: str | None = None,
    env_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    db_source: str = "--db",
) -> DatabaseTarget:
    """Pick the database: --db, then MUSCLE_TUI_DB, then --env-file or ./.env, then the demo.

    `db_source` names where `db` came from in messages (the CLI reads MUSCLE_TUI_DB into `db`
    itself and passes ENV_VARIABLE here). An empty `db` or MUSCLE_TUI_DB, and a .env that is
    there but unusable, are errors: the demo is used only when nothing names a database.
    """
    environ = os.environ if environ is None else environ
    if db is not None:
        return DatabaseTarget(parse_url(db, db_source), db_source)
    if ENV_VARIABLE in environ:
        return DatabaseTarget(parse_url(environ[ENV_VARIABLE], ENV_VARIABLE), ENV_VARIABLE)
    if env_file is not None:
        return _env_file_target(env_file)
    try:
        cwd = cwd or Path.cwd()
    except OSError:  # the current folder was removed: it holds no .env
        cwd = None
    local = None if cwd is None else _local_env_target(cwd)
    if local is not None:
        return local
    from muscle_tui.demo import demo_database_path, ensure_demo_database

    path = ensure_demo_database(demo_database_path())
    return DatabaseTarget(URL.create("sqlite", database=str(path)), "demo", is_demo=True)
