"""The suite the fuzz test runs against: five processes on ephemeral ports, BM25 only
(SEARCH_EMBEDDER=none keeps ingestion and search cheap), the offline model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.engine import Target
from tests.fuzz.suite import running_suite
from tests.support.corpus import CORPUS


@pytest.fixture(scope="module")
def fuzz_targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    if not CORPUS.exists():
        pytest.skip(f"the ObliQA corpus is not at {CORPUS} (set ARBITER_DATA_DIR)")
    with running_suite(tmp_path_factory.mktemp("fuzz"), embedder="none") as targets:
        yield targets
