"""`arbiter verify SESSION_ID`: recompute a session's hash chain from the gateway's event log
and say whether anything stored was altered (exit 0: intact, 1: altered, 2: not found or no
database). `arbiter sessions prune`: apply the retention now; `arbiter sessions retention`:
give a tenant its own. They read the database GATEWAY_DATABASE_URL names, else the running
suite's cluster (`--database-url` overrides both)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

import asyncpg
from arbiter_gateway import chain
from arbiter_gateway.config import GatewayConfig
from arbiter_gateway.database import migrate
from arbiter_gateway.pg_log import read_links
from arbiter_gateway.retention import Retention, prune, set_retention
from arbiter_kit.errors import ArbiterError

from arbiter_cli.findings import Refused, database, without_password

SECONDS = 10.0
"""Cap on each database call."""
EXIT_ALTERED, EXIT_UNUSABLE = 1, 2


def database_url(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """Where the event log is: --database-url, GATEWAY_DATABASE_URL, the suite's cluster."""
    if args.database_url:
        return str(args.database_url)
    if env.get("GATEWAY_DATABASE_URL"):
        return env["GATEWAY_DATABASE_URL"]
    return database(Path(args.run_dir), env).config.url


async def _verify(url: str, session_id: str) -> tuple[int, str]:
    conn = await asyncpg.connect(url, timeout=SECONDS)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM gateway.sessions WHERE id = $1", session_id, timeout=SECONDS
        )
        if not exists:
            return EXIT_UNUSABLE, f"no session {session_id} in the event log"
        head, links = await read_links(conn, session_id, seconds=SECONDS)
    finally:
        await conn.close()
    broken = chain.first_break(links, head=head)
    if broken is None:
        return 0, f"intact: {len(links)} events, head {head.hex()}"
    return EXIT_ALTERED, (
        f"ALTERED: the chain breaks at seq {broken} of {len(links)} stored events"
        " (that event, or the head, was changed, removed or reordered)"
    )


def verify(args: argparse.Namespace) -> int:
    try:
        url = database_url(args, os.environ)
        code, said = asyncio.run(_verify(url, args.session_id))
    except Refused as refused:
        print(f"arbiter verify: {refused}")
        return EXIT_UNUSABLE
    except (OSError, asyncpg.PostgresError, ArbiterError, TimeoutError) as error:
        print(f"arbiter verify: the event log cannot be read: {error}")
        return EXIT_UNUSABLE
    print(f"session {args.session_id}: {said}")
    return code


async def _prune(url: str, retention: Retention) -> int:
    conn = await asyncpg.connect(url, timeout=SECONDS)
    try:
        await migrate(conn)
        return await prune(conn, retention, seconds=SECONDS)
    finally:
        await conn.close()


async def _set(url: str, tenant: str, retention: Retention) -> None:
    conn = await asyncpg.connect(url, timeout=SECONDS)
    try:
        await migrate(conn)
        await set_retention(conn, tenant, retention, seconds=SECONDS)
    finally:
        await conn.close()


def sessions(args: argparse.Namespace) -> int:
    try:
        url = database_url(args, os.environ)
        if args.sessions_command == "prune":
            config = GatewayConfig.from_env()
            default = Retention(config.retention_days * 86400, config.retention_max_sessions)
            removed = asyncio.run(_prune(url, default))
            print(f"removed {removed} finished sessions past their retention")
        else:
            retention = Retention(args.days * 86400, args.max_sessions)
            asyncio.run(_set(url, args.tenant, retention))
            print(
                f"tenant {args.tenant}: finished sessions kept {args.days:g} days, at most"
                f" {args.max_sessions} (in {without_password(url)})"
            )
    except Refused as refused:
        print(f"arbiter sessions: {refused}")
        return EXIT_UNUSABLE
    except (OSError, asyncpg.PostgresError, ArbiterError, TimeoutError) as error:
        print(f"arbiter sessions: the event log cannot be used: {error}")
        return EXIT_UNUSABLE
    return 0


def _positive(kind: type[float] | type[int]) -> object:
    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be greater than 0")
        return value

    return parse


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run_dir = os.environ.get("RUN_DIR") or ".run"

    def where(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database-url", help="the event log (default GATEWAY_DATABASE_URL)")
        p.add_argument("--run-dir", default=run_dir, help=f"the suite's run dir ({run_dir})")

    v = sub.add_parser("verify", help="check a session's record was not altered")
    v.add_argument("session_id")
    where(v)
    v.set_defaults(func=verify)
    s = sub.add_parser("sessions", help="the gateway's stored sessions: retention")
    commands = s.add_subparsers(dest="sessions_command", required=True)
    p = commands.add_parser("prune", help="delete finished sessions past their retention")
    where(p)
    r = commands.add_parser("retention", help="give a tenant its own retention")
    r.add_argument("--tenant", required=True)
    r.add_argument("--days", type=_positive(float), required=True)  # type: ignore[arg-type]
    r.add_argument("--max-sessions", type=_positive(int), required=True)  # type: ignore[arg-type]
    where(r)
    for command in (p, r):
        command.set_defaults(func=sessions)
