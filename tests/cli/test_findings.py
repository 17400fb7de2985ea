"""`arbiter findings generate / load / dsn` through the CLI's entry point, against the
session's throwaway PostgreSQL cluster (tests/support/postgres.py): same seed, same
bytes; loading twice changes nothing; the DSN of a running cluster, and sentences (never
tracebacks) with non-zero exit codes when there is none."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from arbiter_analysis.findings import sample
from arbiter_cli import suite
from arbiter_cli.main import main
from arbiter_cli.postgres import READER, Cluster, free_port

from tests.support.postgres import FindingsDb, prepare

# Settings a developer's shell may hold that would point the commands elsewhere.
_SETTINGS = (*suite.DATABASE_SETTINGS, "ARBITER_POSTGRES_DIR", "ARBITER_POSTGRES_PORT", "RUN_DIR")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Ran]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """`arbiter <argv>` in this process with `settings` as its environment's additions."""
    for key in _SETTINGS:
        monkeypatch.delenv(key, raising=False)

    def run(*argv: str, **settings: str) -> Ran:
        with monkeypatch.context() as m:
            for key, value in settings.items():
                m.setenv(key, value)
            code = main(["findings", *argv])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    yield run


def database_settings(db: FindingsDb) -> dict[str, str]:
    return {"ANALYSIS_DATABASE_URL": db.owner, "ANALYSIS_DATABASE_READER_URL": db.reader}


def password(url: str) -> str:
    return url.split("@")[0].rsplit(":", 1)[1]


def fetchval(url: str, sql: str) -> object:
    async def run() -> object:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_generate_writes_the_same_bytes_for_the_same_seed(cli: Cli, tmp_path: Path) -> None:
    first, again, other = tmp_path / "first", tmp_path / "again", tmp_path / "other"
    for seed, out in (("11", first), ("11", again), ("12", other)):
        ran = cli("generate", "--seed", seed, "--out", str(out))
        assert ran.code == 0, ran.err
        assert f"SAMPLE DATA of seed {seed} written to {out}" in ran.out
    files = sorted(p.name for p in first.iterdir())
    assert files == sorted(
        ["firms.csv", "audits.csv", "findings.csv", "dispositions.csv", "manifest.json"]
    )
    assert sorted(p.name for p in again.iterdir()) == files
    assert all((first / f).read_bytes() == (again / f).read_bytes() for f in files)
    assert (first / "findings.csv").read_bytes() != (other / "findings.csv").read_bytes()
    assert sample.read(first).seed == 11
    assert "not real supervision" in ran.out


def test_generate_prints_the_counts_it_wrote(cli: Cli, tmp_path: Path) -> None:
    ran = cli("generate", "--seed", "5", "--out", str(tmp_path))
    written = sample.read(tmp_path)
    assert ran.code == 0
    assert ", ".join(f"{t} {n:,}" for t, n in written.counts().items()) in ran.out


@pytest.mark.parametrize("seed", ["-1", "2147483648", "seven"])
def test_a_seed_the_database_cannot_record_is_a_usage_error(cli: Cli, seed: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("generate", "--seed", seed)
    assert exited.value.code == 2


def test_load_twice_changes_nothing(
    cli: Cli, fresh_findings_db: FindingsDb, tmp_path: Path
) -> None:
    settings = database_settings(fresh_findings_db)
    first = cli("load", "--seed", str(sample.DEFAULT_SEED), **settings)
    assert first.code == 0, first.err
    assert "applied schema migrations 1" in first.out
    assert f"loaded the SAMPLE DATA of seed {sample.DEFAULT_SEED}" in first.out
    assert password(fresh_findings_db.owner) not in first.out + first.err
    loaded_at = fetchval(fresh_findings_db.owner, "SELECT loaded_at FROM arbiter_meta.dataset")

    second = cli("load", **settings)  # the default seed: the same sample
    assert second.code == 0, second.err
    assert "nothing changed" in second.out and "SAMPLE DATA" in second.out
    assert "applied schema migrations" not in second.out

    # The same sample from its files is the same sample.
    assert cli("generate", "--out", str(tmp_path), **settings).code == 0
    third = cli("load", "--from", str(tmp_path), **settings)
    assert third.code == 0 and "nothing changed" in third.out, third.out + third.err
    assert fetchval(fresh_findings_db.owner, "SELECT loaded_at FROM arbiter_meta.dataset") == (
        loaded_at
    )
    expected = sample.read(tmp_path).counts()
    for table, count in expected.items():
        # The reader was granted what questions need.
        assert fetchval(fresh_findings_db.reader, f"SELECT count(*) FROM findings.{table}") == count


def test_load_of_another_seed_replaces_the_sample(cli: Cli, fresh_findings_db: FindingsDb) -> None:
    asyncio.run(prepare(fresh_findings_db))
    settings = database_settings(fresh_findings_db)
    ran = cli("load", "--seed", "9", **settings)
    assert ran.code == 0 and "loaded the SAMPLE DATA of seed 9" in ran.out, ran.err
    assert fetchval(fresh_findings_db.owner, "SELECT seed FROM arbiter_meta.dataset") == 9


def test_load_refuses_rows_that_are_not_a_sample_unless_told(
    cli: Cli, fresh_findings_db: FindingsDb
) -> None:
    asyncio.run(prepare(fresh_findings_db, seed=None))
    fetchval(
        fresh_findings_db.owner,
        "INSERT INTO findings.firms VALUES ('F900', 'Real Ltd', 'bank', '2020-01-01')",
    )
    settings = database_settings(fresh_findings_db)
    refused = cli("load", **settings)
    assert refused.code == 1
    assert "not the sample" in refused.err and "--replace" in refused.err
    assert "Traceback" not in refused.err
    replaced = cli("load", "--replace", **settings)
    assert replaced.code == 0, replaced.err
    assert fetchval(fresh_findings_db.owner, "SELECT count(*) FROM findings.firms") == 60
    assert (
        fetchval(fresh_findings_db.owner, "SELECT 1 FROM findings.firms WHERE firm_id = 'F900'")
        is None
    )


def test_load_refuses_a_folder_whose_files_were_changed(cli: Cli, tmp_path: Path) -> None:
    assert cli("generate", "--seed", "3", "--out", str(tmp_path)).code == 0
    firms = tmp_path / "firms.csv"
    firms.write_bytes(firms.read_bytes().replace(b"bank", b"Bank", 1))
    ran = cli("load", "--from", str(tmp_path))
    assert ran.code == 1
    assert "is not a sample" in ran.err and "checksum" in ran.err


def test_load_from_an_unreachable_database_says_so(cli: Cli) -> None:
    url = f"postgresql://arbiter_owner:s3cret-pw@127.0.0.1:{free_port()}/arbiter"
    reader = url.replace("arbiter_owner", "arbiter_reader")
    ran = cli("load", ANALYSIS_DATABASE_URL=url, ANALYSIS_DATABASE_READER_URL=reader)
    assert ran.code == 3
    assert "cannot reach the findings database" in ran.err
    assert "s3cret-pw" not in ran.out + ran.err
    assert "Traceback" not in ran.err


def test_load_wants_both_database_urls(cli: Cli, fresh_findings_db: FindingsDb) -> None:
    ran = cli("load", ANALYSIS_DATABASE_URL=fresh_findings_db.owner)
    assert ran.code == 1 and "ANALYSIS_DATABASE_READER_URL" in ran.err


def test_load_with_a_wrong_password_is_refused_by_the_database(
    cli: Cli, fresh_findings_db: FindingsDb
) -> None:
    settings = database_settings(fresh_findings_db)
    wrong = fresh_findings_db.owner.replace(password(fresh_findings_db.owner), "wrong")
    ran = cli("load", **{**settings, "ANALYSIS_DATABASE_URL": wrong})
    assert ran.code == 1
    assert "refused" in ran.err and "password authentication failed" in ran.err


def test_dsn_prints_the_running_clusters_read_only_url(
    cli: Cli, postgres_cluster: Cluster, findings_db: FindingsDb, tmp_path: Path
) -> None:
    ran = cli("dsn", "--run-dir", str(tmp_path), ARBITER_POSTGRES_DIR=str(postgres_cluster.root))
    assert ran.code == 0, ran.err
    url = ran.out.strip()
    assert url == postgres_cluster.urls().reader
    assert fetchval(url, "SELECT current_user") == READER
    assert fetchval(url, "SELECT count(*) FROM findings.firms") == 60
    with pytest.raises(asyncpg.PostgresError):  # read-only, whatever it asks
        fetchval(url, "INSERT INTO findings.firms VALUES ('F901', 'X', 'bank', '2020-01-01')")


def test_dsn_finds_the_cluster_the_suite_recorded(
    cli: Cli, postgres_cluster: Cluster, tmp_path: Path
) -> None:
    recorded = suite.RecordedDatabase(root=str(postgres_cluster.root), started=False)
    suite.write_state(tmp_path, [], recorded)
    # The setting points elsewhere: the run dir's record wins, as `make up` used it.
    ran = cli("dsn", "--run-dir", str(tmp_path), ARBITER_POSTGRES_DIR=str(tmp_path / "none"))
    assert ran.code == 0, ran.err
    assert ran.out.strip() == postgres_cluster.urls().reader
    ran = cli("dsn", RUN_DIR=str(tmp_path))  # RUN_DIR, as make's
    assert ran.out.strip() == postgres_cluster.urls().reader


def test_dsn_prints_the_reader_url_the_settings_name(cli: Cli, tmp_path: Path) -> None:
    settings = {
        "ANALYSIS_DATABASE_URL": "postgresql://o:p@db.internal:5432/arbiter",
        "ANALYSIS_DATABASE_READER_URL": "postgresql://r:q@db.internal:5432/arbiter",
    }
    ran = cli("dsn", "--run-dir", str(tmp_path), **settings)
    assert (ran.code, ran.out) == (0, settings["ANALYSIS_DATABASE_READER_URL"] + "\n")


def test_dsn_without_a_running_cluster_says_how_to_get_one(cli: Cli, tmp_path: Path) -> None:
    ran = cli("dsn", "--run-dir", str(tmp_path), ARBITER_POSTGRES_DIR=str(tmp_path / "pg"))
    assert ran.code == 3 and ran.out == ""
    assert "not running" in ran.err and "make up" in ran.err
    # A suite started on a database the settings named, asked without them.
    suite.write_state(tmp_path, [], suite.RecordedDatabase(root=None, started=False))
    ran = cli("dsn", "--run-dir", str(tmp_path))
    assert ran.code == 1 and "ANALYSIS_DATABASE_URL" in ran.err


def test_the_arbiter_command_reports_without_a_traceback(tmp_path: Path) -> None:
    arbiter = Path(sys.executable).with_name("arbiter")
    env = {"PATH": "/usr/bin:/bin", "ARBITER_POSTGRES_DIR": str(tmp_path / "pg")}
    done = subprocess.run(
        [str(arbiter), "findings", "dsn", "--run-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("arbiter findings dsn: ")
