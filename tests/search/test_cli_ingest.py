"""`run_ingest` (what `arbiter ingest PATH` calls) against a real search server."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from arbiter_cli.ingest import run_ingest

from tests.search.conftest import PASSAGES, RULEBOOKS
from tests.search.support import chunk_count, passages_of
from tests.support.corpus import CORPUS, corpus_slice
from tests.support.search import RunningSearch


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


async def test_rejected_documents_are_named_in_the_summary(
    fresh_search: RunningSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "some-empty.jsonl"
    rows = [{"id": "ok", "text": "a rule"}, {"id": "blank", "text": " "}, {"text": "no id"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code = await asyncio.to_thread(run_ingest, str(path), target=fresh_search.target)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1 chunks written, 0 unchanged, 2 rejected" in out
    assert "rejected 'blank': empty text" in out and "rejected '': missing id" in out


async def test_ingests_a_markdown_folder(
    fresh_search: RunningSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run_ingest, str(RULEBOOKS), target=fresh_search.target)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "ingested 3 documents" in out and "3/3 documents (3 sent)" in err
    [hit] = await passages_of(fresh_search, "Retail Client classify", top_k=1)
    assert (hit.source_id, hit.passage_ref) == ("FIX-CON", "2")
    again = await asyncio.to_thread(run_ingest, str(RULEBOOKS), target=fresh_search.target)
    assert again == 0
    assert "0 chunks written, 3 unchanged" in capsys.readouterr().out


def broken_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "books"
    shutil.copytree(RULEBOOKS, folder)
    contents = json.loads((folder / "contents.json").read_text())
    contents["aml.md"]["author"] = "someone"
    contents["conduct.md"]["effective_date"] = "15/11/2023"
    contents["glossary.md"]["document_id"] = "FIX-AML"
    contents["missing.md"] = {"document_id": "M", "title": "Missing"}
    (folder / "contents.json").write_text(json.dumps(contents))
    (folder / "stray.md").write_text("# Not listed")
    return folder


async def test_a_wrong_contents_json_sends_nothing_and_names_each_file(
    fresh_search: RunningSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = broken_folder(tmp_path)
    code = await asyncio.to_thread(run_ingest, str(folder), target=fresh_search.target)
    err = capsys.readouterr().err
    assert code == 2
    assert f"{folder}/aml.md: unknown key 'author'" in err
    assert f"{folder}/conduct.md: 'effective_date' must be YYYY-MM-DD, got '15/11/2023'" in err
    assert f"{folder}/glossary.md: document_id 'FIX-AML' is also aml.md's" in err
    assert f"{folder}/missing.md: listed in contents.json but not in the folder" in err
    assert f"{folder}/stray.md: file not listed in contents.json" in err
    assert await chunk_count(fresh_search) == 0


def test_a_folder_without_contents_json_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.md").write_text("# A")
    assert run_ingest(str(tmp_path), target="127.0.0.1:1") == 2
    assert "needs a contents.json" in capsys.readouterr().err


async def test_a_failed_stream_names_the_field(
    fresh_search: RunningSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x" * 600, "text": "t"}) + "\n")
    code = await asyncio.to_thread(run_ingest, str(path), target=fresh_search.target)
    _, err = capsys.readouterr()
    assert code == 1
    assert "INVALID_ARGUMENT" in err and "documents[0].id" in err


def test_a_missing_file_or_server_is_a_clear_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ingest(str(tmp_path / "nope.jsonl"), target="127.0.0.1:1") == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert run_ingest(str(PASSAGES), target="127.0.0.1:1") == 3
    assert "not reachable at 127.0.0.1:1" in capsys.readouterr().err
