"""The suite the fuzz test runs against: five processes on ephemeral ports, BM25 only
(SEARCH_EMBEDDER=none keeps ingestion and search cheap), the offline model, the session's
findings database with the sample (AnalyzeData's whole path, the database included)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from arbiter_cli.postgres import Urls

from tests.fuzz.engine import Target
from tests.fuzz.suite import running_suite
from tests.support.corpus import CORPUS
from tests.support.postgres import FindingsDb


@pytest.fixture(scope="module")
def fuzz_targets(
    tmp_path_factory: pytest.TempPathFactory, findings_db: FindingsDb
) -> Iterator[dict[str, Target]]:
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS} (set ARBITER_DATA_DIR)")
    database = Urls(findings_db.admin, findings_db.owner, findings_db.reader)
    workdir = tmp_path_factory.mktemp("fuzz")
    with running_suite(workdir, embedder="none", database=database) as targets:
        yield targets
