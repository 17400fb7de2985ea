"""SearchConfig: read once from the environment, defaults resolved at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from arbiter_kit.errors import InvalidArgument
from arbiter_search.config import SearchConfig, repo_root


def test_defaults_put_milvus_lite_under_the_checkout() -> None:
    config = SearchConfig.from_env({})
    assert config.milvus_uri == str(repo_root() / ".data" / "search" / "milvus.db")
    assert (repo_root() / "services" / "search").is_dir()
    assert config.is_lite
    assert (config.collection, config.ingest.chunk_tokens, config.ingest.ingest_batch) == (
        "passages",
        256,
        500,
    )


def test_search_milvus_uri_wins_over_milvus_uri(tmp_path: Path) -> None:
    env = {"SEARCH_MILVUS_URI": str(tmp_path / "m.db"), "MILVUS_URI": "http://milvus:19530"}
    assert SearchConfig.from_env(env).milvus_uri == str(tmp_path / "m.db")
    server = SearchConfig.from_env({"MILVUS_URI": "http://milvus:19530", "MILVUS_TOKEN": "u:p"})
    assert (server.milvus_uri, server.milvus_token, server.is_lite) == (
        "http://milvus:19530",
        "u:p",
        False,
    )


def test_a_relative_lite_path_is_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    config = SearchConfig.from_env({"SEARCH_MILVUS_URI": "data/milvus.db"})
    assert config.milvus_uri == str(tmp_path / "data" / "milvus.db")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SEARCH_CHUNK_TOKENS", "5"),
        ("SEARCH_CHUNK_TOKENS", "many"),
        ("SEARCH_INGEST_BATCH", "0"),
        ("SEARCH_COLLECTION", "drop table"),
    ],
)
def test_bad_settings_are_named(key: str, value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SearchConfig.from_env({key: value})
    assert caught.value.field == key
