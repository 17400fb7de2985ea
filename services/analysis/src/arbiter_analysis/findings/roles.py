"""The findings database's two roles and what each may do.

The owner runs migrations and loading and owns the `findings` schema. Questions run as a
separate reader role, limited in three layers:

* privileges, granted by the owner (`grant_reader`, every start): CONNECT on the database,
  USAGE on `findings` and SELECT on its tables, nothing else; PUBLIC loses CONNECT and TEMP
  on the database and every right on schema `public`, so the reader can create nothing
  anywhere and write nowhere, whatever it SETs;
* settings, per role and database by the superuser (`restrict_as_admin`) and again per
  session by the service's pool (`session_settings`; `temp_file_limit` only the superuser
  may set, so it holds only where the roles were made by one): read-only transactions, a statement
  timeout, an idle-in-transaction timeout, a temp-file limit, `search_path = findings`;
* functions, revoked from PUBLIC by the superuser (`DENIED_FUNCTIONS`: sleeping, settings,
  large objects, files, signals, advisory locks, notifications).

What only the SQL guard refuses: reading the system catalogs and `information_schema`
(PUBLIC must keep them: drivers read them), `SET`/`RESET` of the session's own settings
(any role may; privileges still refuse every write after `SET
default_transaction_read_only = off`), and, where the owner is no superuser (a managed
PostgreSQL), the function revocations, which only the functions' owner may make. Reading
files, `COPY ... TO PROGRAM`, `dblink` and `lo_import` need superuser or roles the reader
is never granted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbiter_kit.errors import FailedPrecondition

from arbiter_analysis.config import DatabaseConfig
from arbiter_analysis.findings.migrate import META_SCHEMA
from arbiter_analysis.findings.schema import SCHEMA

if TYPE_CHECKING:
    from arbiter_analysis.findings.migrate import Connection

DENIED_FUNCTIONS = (
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "set_config",
    "current_setting",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_cancel_backend",
    "pg_terminate_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_notify",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "lo_open",
    "lo_close",
    "loread",
    "lowrite",
    "lo_lseek",
    "lo_lseek64",
    "lo_tell",
    "lo_tell64",
    "lo_truncate",
    "lo_truncate64",
    "lo_creat",
    "lo_create",
    "lo_unlink",
    "lo_import",
    "lo_export",
    "lo_get",
    "lo_put",
    "lo_from_bytea",
)
"""pg_catalog functions PUBLIC may no longer execute in Arbiter's database (the owner is
given them back: migrations take an advisory lock)."""


class MissingReader(FailedPrecondition):
    """The read-only role the settings name does not exist in the database."""


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """`value` as a quoted SQL string literal (utility statements take no parameters)."""
    return "'" + value.replace("'", "''") + "'"


SUPERUSER_SETTINGS = ("temp_file_limit",)
"""Reader settings only a superuser may set (per role, by `restrict_as_admin`): a
session cannot set them for itself, so the pool leaves them out."""


def session_settings(config: DatabaseConfig) -> dict[str, str]:
    """The reader settings a session may set for itself (the pool sets them on connect)."""
    return {k: v for k, v in reader_settings(config).items() if k not in SUPERUSER_SETTINGS}


def reader_settings(config: DatabaseConfig) -> dict[str, str]:
    """The settings every reader session runs with."""
    idle_ms = int(config.idle_in_transaction_seconds * 1000)
    return {
        "default_transaction_read_only": "on",
        "statement_timeout": f"{int(config.statement_timeout_seconds * 1000)}ms",
        "idle_in_transaction_session_timeout": f"{idle_ms}ms",
        "temp_file_limit": f"{config.temp_file_limit_kb}kB",
        "search_path": SCHEMA,
        # The SQL guard reads a backslash in '...' as an ordinary character; so must the
        # database, whatever a cluster's default says.
        "standard_conforming_strings": "on",
    }


async def create_role(conn: Connection, name: str, password: str) -> None:
    """A login role with no special powers, its password set (run by the superuser)."""
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
    verb = "ALTER" if exists else "CREATE"
    await conn.execute(
        f"{verb} ROLE {ident(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
        f" NOBYPASSRLS PASSWORD {literal(password)}"
    )


async def restrict_as_admin(
    conn: Connection,
    *,
    database: str,
    reader: str,
    config: DatabaseConfig = DatabaseConfig.default,
) -> None:
    """What only a superuser may do, in `database` (connected to it): the reader's
    per-database settings and the revocation of `DENIED_FUNCTIONS` from PUBLIC."""
    owner = await conn.fetchval(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database
    )
    for key, value in reader_settings(config).items():
        await conn.execute(
            f"ALTER ROLE {ident(reader)} IN DATABASE {ident(database)} SET {key} = {literal(value)}"
        )
    signatures = await conn.fetch(
        "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p"
        " WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY($1::text[])",
        list(DENIED_FUNCTIONS),
    )
    await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")  # PostgreSQL 14 grants CREATE
    for row in signatures:
        await conn.execute(f"REVOKE EXECUTE ON FUNCTION {row['signature']} FROM PUBLIC")
        await conn.execute(f"GRANT EXECUTE ON FUNCTION {row['signature']} TO {ident(owner)}")


async def grant_reader(conn: Connection, reader: str) -> None:
    """The reader's privileges, granted by the owner after migrations (idempotent).

    Raises MissingReader when the reader role does not exist."""
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", reader)
    if not exists:
        raise MissingReader(
            f"the read-only role {reader!r} does not exist: create it as an administrator "
            "(a LOGIN role with no other attribute) before the analysis service starts"
        )
    database = await conn.fetchval("SELECT current_database()")
    role = ident(reader)
    async with conn.transaction():
        await conn.execute(f"REVOKE ALL ON DATABASE {ident(database)} FROM PUBLIC")
        await conn.execute(f"GRANT CONNECT ON DATABASE {ident(database)} TO {role}")
        await conn.execute(f"REVOKE ALL ON SCHEMA {META_SCHEMA} FROM PUBLIC, {role}")
        await conn.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {role}")
        await conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {role}")
        public_owner = await conn.fetchval(
            "SELECT pg_has_role(nspowner, 'USAGE') FROM pg_namespace WHERE nspname = 'public'"
        )
        if public_owner:  # PostgreSQL 15+: the database owner owns schema public
            await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
