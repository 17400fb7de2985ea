"""`arbiter eval-sql` through the CLI's entry point against `python -m arbiter_analysis`
started as a process (offline, today the sample's day) over the session's PostgreSQL
cluster with the sample loaded: the dev questions scored, wrong, unanswerable and failing
gold questions counted as such, `--answers-out`, the running suite found from its run dir,
a throwaway cluster and service when nothing runs, and sentences (never tracebacks) with
exit codes for bad files and unreachable services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from arbiter_analysis.findings import sample
from arbiter_cli import suite
from arbiter_cli.main import main
from arbiter_cli.postgres import free_port

from tests.support.postgres import FindingsDb

DEV = suite.data_dir().parent / "findings" / "questions_dev.jsonl"
# Settings a developer's shell may hold that would point the command elsewhere.
_SETTINGS = (
    *suite.DATABASE_SETTINGS,
    "ARBITER_ANALYSIS",
    "ARBITER_POSTGRES_DIR",
    "ARBITER_POSTGRES_PORT",
    "RUN_DIR",
)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def summary(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.out.strip().splitlines()[-1])
        return parsed


Cli = Callable[..., Ran]


@pytest.fixture(scope="module")
def analysis(
    findings_db: FindingsDb, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[suite.Running]:
    """The analysis service as a process, offline, over the session's sample."""
    env = {
        "ANALYSIS_DATABASE_URL": findings_db.owner,
        "ANALYSIS_DATABASE_READER_URL": findings_db.reader,
        "ANALYSIS_TODAY": sample.TODAY.isoformat(),
        "LLM_PROVIDER": "offline",
    }
    running = suite.start("analysis", port=0, env=env, log_dir=tmp_path_factory.mktemp("logs"))
    try:
        yield running
    finally:
        suite.stop(running.process)


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], findings_db: FindingsDb
) -> Iterator[Cli]:
    """`arbiter eval-sql <argv>` in this process, the session's database named by the
    settings unless `database=False`."""
    for key in _SETTINGS:
        monkeypatch.delenv(key, raising=False)

    def run(*argv: str, database: bool = True) -> Ran:
        with monkeypatch.context() as m:
            if database:
                m.setenv("ANALYSIS_DATABASE_URL", findings_db.owner)
                m.setenv("ANALYSIS_DATABASE_READER_URL", findings_db.reader)
            code = main(["eval-sql", *argv])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    yield run


def questions_file(path: Path, *rows: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def question(id: str, text: str, gold: str) -> dict[str, object]:
    return {"id": id, "question": text, "gold_sql": gold, "kind": "count", "difficulty": "easy"}


COUNT = "SELECT count(*) FROM findings.audits WHERE audit_type = 'for cause'"


def test_the_dev_questions_score_above_the_target_with_every_kind_reported(
    cli: Cli, analysis: suite.Running, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.jsonl"
    ran = cli(
        "--questions", str(DEV), "--target", analysis.target, "--json",
        "--answers-out", str(answers),
    )  # fmt: skip
    assert ran.code == 0, ran.err
    s = ran.summary()
    assert s["total"] == 50 and s["errors"] == 0 and s["gold_failures"] == 0
    assert float(str(s["accuracy"])) >= 0.85  # the target for the offline provider
    kinds = {json.loads(line)["kind"] for line in DEV.read_text().splitlines()}
    assert isinstance(s["per_kind"], dict) and set(s["per_kind"]) == kinds
    assert isinstance(s["per_difficulty"], dict)
    assert set(s["per_difficulty"]) == {"easy", "medium", "hard"}
    assert s["today"] == sample.TODAY.isoformat()
    assert 0 < float(str(s["p50_ms"])) <= float(str(s["p99_ms"]))
    written = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [w["id"] for w in written] == [json.loads(q)["id"] for q in DEV.read_text().splitlines()]
    assert all(set(w) == {"id", "sql", "rows"} for w in written)
    first = written[0]
    assert first["sql"].startswith("SELECT") and "LIMIT" in first["sql"]
    assert all(isinstance(cell, str) for row in first["rows"] for cell in row)


def test_wrong_unanswerable_and_failing_gold_questions_are_counted_apart(
    cli: Cli, analysis: suite.Running, tmp_path: Path
) -> None:
    path = questions_file(
        tmp_path / "q.jsonl",
        question("A1", "How many for-cause audits have there been?", COUNT),
        # The right question against a gold that answers another one: scored wrong.
        question("A2", "How many audits haven't been closed yet?", COUNT),
        question("A3", "What is the weather like in Paris?", COUNT),
        question("A4", "How many firms are there?", "SELECT no_such_column FROM findings.firms"),
    )
    ran = cli("--questions", str(path), "--target", analysis.target, "--failures")
    assert ran.code == 1  # a gold query failed
    words = " ".join(ran.out.split())
    assert "execution accuracy 0.250 (1/4)" in words
    assert "cannot answer 1 A3" in words and "wrong A2 A3 A4" in words
    assert "A2 [count] How many audits haven't been closed yet?\n  rows differ" in ran.out
    assert "A4 [count] How many firms are there?\n  the gold SQL failed" in ran.out
    assert "Traceback" not in ran.out + ran.err


def test_order_matters_only_where_the_question_says_so(
    cli: Cli, analysis: suite.Running, tmp_path: Path
) -> None:
    text = "How many findings are there per severity?"
    gold = "SELECT severity, count(*) FROM findings.findings GROUP BY severity ORDER BY 2 DESC"
    reversed_gold = gold.replace("DESC", "ASC")
    rows = [
        question("O1", text, reversed_gold),
        {**question("O2", text, reversed_gold), "order_matters": True},
        {**question("O3", text, gold), "order_matters": False},
    ]
    ran = cli("--questions", str(questions_file(tmp_path / "o.jsonl", *rows)), "--target",
              analysis.target, "--json")  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.summary()["wrong_ids"] == ["O2"]


def test_without_a_target_the_running_suite_is_found_in_its_run_dir(
    cli: Cli, analysis: suite.Running, tmp_path: Path
) -> None:
    suite.write_state(tmp_path, [analysis.record], suite.RecordedDatabase(None, started=False))
    path = questions_file(tmp_path / "q.jsonl", question("A1", "How many for-cause audits?", COUNT))
    ran = cli("--questions", str(path), "--run-dir", str(tmp_path), "--json")
    assert ran.code == 0, ran.err
    assert ran.summary()["accuracy"] == 1.0
    assert str(ran.summary()["service"]).startswith(analysis.target)
    assert "throwaway" not in ran.err


def test_with_nothing_running_a_throwaway_database_and_service_answer(
    cli: Cli, tmp_path: Path
) -> None:
    path = questions_file(tmp_path / "q.jsonl", question("A1", "How many for-cause audits?", COUNT))
    ran = cli("--questions", str(path), "--run-dir", str(tmp_path), "--json", database=False)
    assert ran.code == 0, ran.err
    assert "no running suite: starting a throwaway" in ran.err
    s = ran.summary()
    assert s["accuracy"] == 1.0 and s["today"] == sample.TODAY.isoformat()
    assert "throwaway, offline, sample of seed" in str(s["service"])


def test_an_unreachable_target_is_exit_3(cli: Cli, tmp_path: Path) -> None:
    path = questions_file(tmp_path / "q.jsonl", question("A1", "How many audits?", COUNT))
    target = f"127.0.0.1:{free_port()}"
    ran = cli("--questions", str(path), "--target", target)
    assert ran.code == 3
    assert ran.err.strip() == f"arbiter eval-sql: analysis is not reachable at {target}"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read questions: No such file or directory"),
        ("", "no questions"),
        ('{"id": "X"}\n', "q.jsonl:1: not a JSON object with id, question, gold_sql"),
        ("not json\n", "q.jsonl:1: not a JSON object"),
    ],
)
def test_a_bad_questions_file_is_a_usage_error_naming_it(
    cli: Cli, tmp_path: Path, content: str | None, said: str
) -> None:
    path = tmp_path / "q.jsonl"
    if content is not None:
        path.write_text(content)
    ran = cli("--questions", str(path), "--target", "127.0.0.1:1")
    assert ran.code == 2
    assert said in ran.err and "Traceback" not in ran.err


@pytest.mark.parametrize("flag", [("--concurrency", "0"), ("--timeout", "-1"), ("--seed", "x")])
def test_bad_flags_are_usage_errors(cli: Cli, flag: tuple[str, str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("--questions", str(DEV), *flag)
    assert exited.value.code == 2
