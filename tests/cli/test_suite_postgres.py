"""The suite launcher's findings database, on its own (no service is started): `up`
ensures the suite's cluster where ARBITER_POSTGRES_DIR/_PORT say unless
ANALYSIS_DATABASE_URL names a database, `status` shows it, `down` stops the cluster `up`
started and keeps its data; two suites with their own folders and ports run side by side."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from arbiter_cli import suite
from arbiter_cli.postgres import Cluster
from arbiter_kit.errors import InvalidArgument


@pytest.fixture
def cluster_dirs() -> Iterator[list[Path]]:
    """Two folders a cluster may live in, its clusters stopped and deleted afterwards."""
    # Under /tmp, open to all: as root the server runs as another account, which must
    # reach its data directory (pytest's own tmp folders are private).
    roots = [Path(tempfile.mkdtemp(prefix="arbiter-suite-pg-")) for _ in range(2)]
    for root in roots:
        os.chmod(root, 0o755)
    try:
        yield [root / "postgres" for root in roots]
    finally:
        for root in roots:
            Cluster(root / "postgres").stop()
            shutil.rmtree(root, ignore_errors=True)


def settings_for(root: Path, port: int = 0) -> dict[str, str]:
    return {"ARBITER_POSTGRES_DIR": str(root), "ARBITER_POSTGRES_PORT": str(port)}


def run(url: str, sql: str) -> object:
    async def go() -> object:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(go())


def test_up_ensures_the_cluster_and_down_keeps_its_data(cluster_dirs: list[Path]) -> None:
    root = cluster_dirs[0]
    settings, database = suite.ensure_database(settings_for(root))
    assert database == suite.RecordedDatabase(root=str(root.resolve()), started=True)
    owner, reader = (settings[k] for k in suite.DATABASE_SETTINGS)
    assert run(owner, "SELECT current_user") == "arbiter_owner"
    assert run(reader, "SELECT current_user") == "arbiter_reader"
    run(owner, "CREATE SCHEMA kept")
    line, up = suite.database_status(database)
    port = Cluster(root).port()
    assert up and f"127.0.0.1:{port}" in line and "RUNNING" in line

    # Up again while it runs: the same cluster, not started by this suite.
    again, second = suite.ensure_database(settings_for(root))
    assert (again, second.started) == (settings, False)
    suite.stop_database(second)
    assert Cluster(root).running()

    suite.stop_database(database)
    assert not Cluster(root).running()
    line, up = suite.database_status(database)
    assert not up and "STOPPED" in line

    settings, database = suite.ensure_database(settings_for(root))
    assert database.started
    assert run(settings["ANALYSIS_DATABASE_URL"], "SELECT to_regnamespace('kept') IS NOT NULL")


def test_two_suites_keep_their_own_clusters(cluster_dirs: list[Path]) -> None:
    first, second = (suite.ensure_database(settings_for(root))[1] for root in cluster_dirs)
    ports = [Cluster(root).port() for root in cluster_dirs]
    assert None not in ports and ports[0] != ports[1]
    suite.stop_database(first)
    assert not Cluster(cluster_dirs[0]).running()
    assert Cluster(cluster_dirs[1]).port() == ports[1]
    suite.stop_database(second)


def test_a_database_the_settings_name_starts_no_cluster(cluster_dirs: list[Path]) -> None:
    settings = {
        **settings_for(cluster_dirs[0]),
        "ANALYSIS_DATABASE_URL": "postgresql://o:p@db.internal:5432/arbiter",
    }
    assert suite.ensure_database(settings) == ({}, suite.RecordedDatabase(None, started=False))
    assert not cluster_dirs[0].exists()
    line, up = suite.database_status(suite.RecordedDatabase(None, started=False))
    assert up and "external" in line


def test_down_stops_the_recorded_cluster_and_forgets_the_suite(
    cluster_dirs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = cluster_dirs[0]
    _, database = suite.ensure_database(settings_for(root))
    suite.write_state(tmp_path, [], database)
    assert suite.recorded_database(tmp_path) == database
    assert suite.main(["down", "--run-dir", str(tmp_path)]) == 0
    assert "postgres  stopped (data kept in" in capsys.readouterr().out
    assert not Cluster(root).running() and Cluster(root).initialized()
    assert suite.recorded_database(tmp_path) is None


def test_up_says_why_the_cluster_could_not_start(
    cluster_dirs: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.delenv("ANALYSIS_DATABASE_URL", raising=False)
        for key, value in settings_for(cluster_dirs[0], taken.getsockname()[1]).items():
            monkeypatch.setenv(key, value)
        assert suite.main(["up", "--run-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "the findings database could not start" in err and "Traceback" not in err
    assert suite.recorded(tmp_path) == [] and suite.recorded_database(tmp_path) is None


def test_the_cluster_settings() -> None:
    default = suite.ClusterConfig.from_env({})
    assert (default.root, default.port) == (suite.REPO / ".data" / "postgres", 55432)
    chosen = suite.ClusterConfig.from_env(settings_for(Path("/srv/pg"), 55500))
    assert (chosen.root, chosen.port) == (Path("/srv/pg"), 55500)
    with pytest.raises(InvalidArgument, match="ARBITER_POSTGRES_PORT"):
        suite.ClusterConfig.from_env({"ARBITER_POSTGRES_PORT": "five"})
