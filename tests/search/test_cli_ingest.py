"""`run_ingest` (what `arbiter ingest PATH` calls) against a real search server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from arbiter_cli.ingest import run_ingest

from tests.search.conftest import PASSAGES, RunningSearch
from tests.search.support import chunk_count, passages_of
from tests.support.corpus import CORPUS, corpus_slice


async def test_ingests_a_file_with_a_bar_and_a_summary(
    fresh_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run_ingest, str(PASSAGES), target=fresh_search.target)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "ingested 8 documents" in out and "8 chunks written" in out
    assert "8/8 documents (8 sent)" in err and "100.0%" in err
    assert await chunk_count(fresh_search) == 8

    again = await asyncio.to_thread(run_ingest, str(PASSAGES), target=fresh_search.target)
    out, _ = capsys.readouterr()
    assert again == 0
    assert "0 chunks written, 8 unchanged" in out


@pytest.mark.skipif(not CORPUS.exists(), reason=f"the ObliQA corpus is not at {CORPUS}")
async def test_ingests_a_slice_of_the_real_corpus(
    fresh_search: RunningSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sliced = corpus_slice(tmp_path / "slice.jsonl", 1200)
    code = await asyncio.to_thread(run_ingest, str(sliced), target=fresh_search.target)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "ingested 1200 documents" in out
    assert "500/1200" in err and "1000/1200" in err
    # Integer document ids in the file arrive as strings and filter as such.
    first = json.loads(sliced.read_text().splitlines()[2])
    [hit] = await passages_of(fresh_search, first["text"], top_k=1)
    assert (hit.source_id, hit.document_id) == (first["id"], str(first["metadata"]["document_id"]))


async def test_unreadable_lines_are_skipped_and_reported(
    fresh_search: RunningSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "a", "text": "first rule"}\n'
        "not json\n"
        "\n"
        '["a list"]\n'
        '{"id": "b", "text": "second rule", "metadata": {"document_id": 7, "x": null}}\n'
    )
    code = await asyncio.to_thread(run_ingest, str(path), target=fresh_search.target)
    out, err = capsys.readouterr()
    assert code == 1
    assert "ingested 2 documents" in out
    assert "skipped 2 unreadable lines: 2, 4" in err
    assert await chunk_count(fresh_search) == 2


async def test_a_failed_stream_names_the_field(
    fresh_search: RunningSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x" * 600, "text": "t"}) + "\n")
    code = await asyncio.to_thread(run_ingest, str(path), target=fresh_search.target)
    _, err = capsys.readouterr()
    assert code == 1
    assert "INVALID_ARGUMENT" in err and "document.id" in err


def test_a_missing_file_or_server_is_a_clear_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ingest(str(tmp_path / "nope.jsonl"), target="127.0.0.1:1") == 2
    assert "no such file" in capsys.readouterr().err
    assert run_ingest(str(PASSAGES), target="127.0.0.1:1") == 3
    assert "not reachable at 127.0.0.1:1" in capsys.readouterr().err
