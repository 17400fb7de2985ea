"""`arbiter findings`: the findings database's sample data and where to reach it.

`generate` writes the seeded sample (one CSV per table and a manifest), `reports` writes
its findings as audit reports for search (markdown and a contents.json, see
`finding_reports`), `load` migrates the database, grants the read-only role its privileges
and loads a sample (loading the same sample again changes nothing), `dsn` prints the
read-only connection string.

Which database: the one `ANALYSIS_DATABASE_URL` and `_READER_URL` name, else the running
suite's cluster (as `make up` recorded it in the run dir, else at `ARBITER_POSTGRES_DIR`).
Failures are sentences for people, never tracebacks, and a non-zero exit code."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from arbiter_analysis.config import DatabaseConfig
from arbiter_analysis.findings import load, sample
from arbiter_kit.errors import ArbiterError

from arbiter_cli import finding_reports, suite
from arbiter_cli.postgres import READER, Cluster, ClusterError, Urls

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_OUT = suite.REPO / ".data" / "findings-sample"
"""Where `generate` writes unless `--out` says otherwise (inside the checkout, ignored by git)."""
DEFAULT_REPORTS = suite.REPO / ".data" / "finding-reports"
"""Where `reports` writes unless `--out` says otherwise."""
CONNECT_TIMEOUT_SECONDS = 10.0
MAX_SEED = 2**31 - 1
"""The largest seed the database records (`arbiter_meta.dataset.seed` is an integer)."""
_SAMPLE_NOTE = "invented firms and findings that cite real ObliQA passages; not real supervision"


class Refused(Exception):
    """A findings command could not do what it was asked; the message says why."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Database:
    """The findings database a command works on, and how to name it to people."""

    config: DatabaseConfig
    where: str


def without_password(url: str) -> str:
    """`url` with its password left out, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}"))


def database(run_dir: Path, env: Mapping[str, str]) -> Database:
    """The database the settings name, else the running suite's cluster."""
    try:
        config = DatabaseConfig.from_env(env)
    except ArbiterError as exc:
        raise Refused(exc.message) from None
    if config.url or config.reader_url:
        if not config.configured:
            raise Refused(
                "set both ANALYSIS_DATABASE_URL (the owner) and ANALYSIS_DATABASE_READER_URL "
                "(the read-only role), or neither to use the suite's own cluster"
            )
        return Database(config, "ANALYSIS_DATABASE_URL")
    recorded = suite.recorded_database(run_dir)
    if recorded is not None and recorded.root is None:
        raise Refused(
            f"the suite of {run_dir} uses the database ANALYSIS_DATABASE_URL named when it "
            "started: set ANALYSIS_DATABASE_URL and ANALYSIS_DATABASE_READER_URL here too"
        )
    if recorded is not None and recorded.root is not None:
        root = Path(recorded.root)
    else:
        try:
            root = suite.ClusterConfig.from_env(env).root
        except ArbiterError as exc:
            raise Refused(exc.message) from None
    cluster = Cluster(root)
    if not cluster.running():
        raise Refused(
            f"no findings database: the suite's PostgreSQL cluster ({root}) is not running; "
            "start the suite (`make up`) or set ANALYSIS_DATABASE_URL and "
            "ANALYSIS_DATABASE_READER_URL",
            EXIT_UNREACHABLE,
        )
    try:
        urls = cluster.urls()
    except (ClusterError, OSError, ValueError) as exc:
        raise Refused(f"the suite's cluster in {root} cannot be used: {exc}") from None
    config = DatabaseConfig(url=urls.owner, reader_url=urls.reader)
    return Database(config, f"the suite's cluster in {root}")


def _counts(rows: Mapping[str, int]) -> str:
    return ", ".join(f"{table} {count:,}" for table, count in rows.items())


def _corpus() -> Path:
    return suite.data_dir() / "corpus.jsonl"


def _generated(seed: int) -> sample.Sample:
    corpus = _corpus()
    if not corpus.is_file():
        raise Refused(f"no ObliQA corpus at {corpus} (set ARBITER_DATA_DIR)")
    try:
        return sample.generate(seed, corpus)
    except (OSError, ValueError, KeyError) as exc:
        raise Refused(f"cannot read the passages of {corpus}: {exc}") from None


def generate(args: argparse.Namespace) -> int:
    made = _generated(args.seed)
    out = Path(args.out)
    try:
        sample.write(made, out)
    except OSError as exc:
        raise Refused(f"cannot write the sample to {out}: {exc.strerror or exc}") from None
    print(f"SAMPLE DATA of seed {made.seed} written to {out}")
    print(f"  {_counts(made.counts())}")
    print(f"  {_SAMPLE_NOTE}")
    return EXIT_OK


def reports(args: argparse.Namespace) -> int:
    made = _generated(args.seed)
    out = Path(args.out)
    try:
        written = finding_reports.reports(made, _corpus())
        finding_reports.write(written, out)
    except OSError as exc:
        raise Refused(f"cannot write the reports to {out}: {exc.strerror or exc}") from None
    except (ValueError, KeyError) as exc:
        raise Refused(f"cannot read the passages the findings cite: {exc}") from None
    print(f"SAMPLE DATA: {len(written):,} audit reports of seed {made.seed} written to {out}")
    print(f"  ingest them as findings: arbiter ingest {out}")
    print(f"  {_SAMPLE_NOTE}")
    return EXIT_OK


def _read(folder: Path) -> sample.Sample:
    try:
        return sample.read(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise Refused(
            f"{folder} is not a sample `arbiter findings generate` wrote: {why}"
        ) from None


async def _load(config: DatabaseConfig, made: sample.Sample, *, replace: bool) -> load.Loaded:
    """Migrate, grant the reader, load: as the owner, on one connection."""
    conn = await asyncpg.connect(config.url, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        done = await load.prepare(conn, reader_role=config.reader_role, data=made, replace=replace)
        if done.applied:
            print(f"  applied schema migrations {', '.join(map(str, done.applied))}")
        assert done.loaded is not None  # data was given
        return done.loaded
    finally:
        await conn.close()


def load_command(args: argparse.Namespace) -> int:
    made = _read(Path(args.source)) if args.source else _generated(args.seed)
    target = database(Path(args.run_dir), os.environ)
    shown = without_password(target.config.url)
    print(f"findings database: {shown} ({target.where})")
    try:
        loaded = asyncio.run(_load(target.config, made, replace=args.replace))
    except ConnectionRefusedError:
        raise Refused("cannot reach the findings database: refused", EXIT_UNREACHABLE) from None
    except TimeoutError:
        raise Refused(
            f"cannot reach the findings database: no answer in {CONNECT_TIMEOUT_SECONDS:.0f} s",
            EXIT_UNREACHABLE,
        ) from None
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise Refused(f"cannot reach the findings database: {why}", EXIT_UNREACHABLE) from None
    except load.NotSampleData as exc:
        raise Refused(f"{exc.message} (--replace replaces it)") from None
    except ArbiterError as exc:
        raise Refused(exc.message) from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise Refused(f"the findings database refused: {message}") from None
    if loaded.changed:
        print(f"  loaded the SAMPLE DATA of seed {made.seed}: {_counts(loaded.rows)}")
    else:
        print(
            f"  nothing changed: the database holds the SAMPLE DATA of seed {made.seed} "
            f"already ({_counts(loaded.rows)})"
        )
    print(f"  {_SAMPLE_NOTE}")
    return EXIT_OK


def dsn(args: argparse.Namespace) -> int:
    print(database(Path(args.run_dir), os.environ).config.reader_url)
    return EXIT_OK


def _seed(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number, not {raw[:64]!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"between 0 and {MAX_SEED}")
    return value


def _people(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """`handler` with its refusals printed as one line on stderr and an exit code."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except Refused as refused:
            print(f"arbiter findings {args.findings_command}: {refused}", file=sys.stderr)
            return refused.exit_code

    return run


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `arbiter findings` (generate, reports, load, dsn) on the CLI's subcommands."""
    f = sub.add_parser("findings", help="the findings database: sample data, loading, its DSN")
    commands = f.add_subparsers(dest="findings_command", required=True)
    run_dir = os.environ.get("RUN_DIR") or ".run"

    g = commands.add_parser(
        "generate", help="write the seeded sample (same seed, same bytes)", description=_SAMPLE_NOTE
    )
    g.add_argument("--seed", type=_seed, default=sample.DEFAULT_SEED)
    g.add_argument("--out", default=str(DEFAULT_OUT), help=f"folder (default {DEFAULT_OUT})")
    g.set_defaults(func=_people(generate))

    r = commands.add_parser(
        "reports",
        help="write each finding of the sample as a markdown audit report with a "
        "contents.json, for `arbiter ingest` (same seed, same bytes)",
        description=_SAMPLE_NOTE,
    )
    r.add_argument("--seed", type=_seed, default=sample.DEFAULT_SEED)
    r.add_argument(
        "--out", default=str(DEFAULT_REPORTS), help=f"folder (default {DEFAULT_REPORTS})"
    )
    r.set_defaults(func=_people(reports))

    ld = commands.add_parser(
        "load",
        help="migrate the database and load a sample (loading it again changes nothing)",
        description="Connects as the owner ANALYSIS_DATABASE_URL names, else to the "
        "running suite's cluster.",
    )
    source = ld.add_mutually_exclusive_group()
    source.add_argument("--from", dest="source", metavar="DIR", help="a generated sample folder")
    source.add_argument("--seed", type=_seed, default=sample.DEFAULT_SEED)
    ld.add_argument("--replace", action="store_true", help="replace rows that are not a sample")
    ld.add_argument("--run-dir", default=run_dir, help=f"the suite's run dir (default {run_dir})")
    ld.set_defaults(func=_people(load_command))

    d = commands.add_parser("dsn", help="print the running suite's read-only connection string")
    d.add_argument("--run-dir", default=run_dir, help=f"the suite's run dir (default {run_dir})")
    d.set_defaults(func=_people(dsn))


async def _load_sample(owner_url: str, seed: int, corpus: Path) -> None:
    conn = await asyncpg.connect(owner_url, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        await load.prepare(conn, reader_role=READER, data=sample.generate(seed, corpus))
    finally:
        await conn.close()


@contextlib.contextmanager
def throwaway_sample(seed: int = sample.DEFAULT_SEED) -> Iterator[Urls]:
    """A PostgreSQL cluster in a temporary folder, migrated and holding the sample of
    `seed` (for `eval-sql` and `make fuzz`); stopped and deleted on exit."""
    corpus = suite.data_dir() / "corpus.jsonl"
    if not corpus.is_file():
        raise Refused(f"no ObliQA corpus at {corpus} (set ARBITER_DATA_DIR)", EXIT_USAGE)
    root = Path(tempfile.mkdtemp(prefix="arbiter-sample-"))
    os.chmod(root, 0o755)  # as root the server runs as another account, which must enter
    cluster = Cluster(root / "cluster", durable=False)
    try:
        try:
            urls = cluster.ensure()
        except (ClusterError, OSError) as exc:
            raise Refused(f"cannot start a throwaway PostgreSQL cluster: {exc}") from None
        asyncio.run(_load_sample(urls.owner, seed, corpus))
        yield urls
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
