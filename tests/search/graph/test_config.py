"""SEARCH_GRAPH_* settings: where the graph lives and how expansion reaches."""

from __future__ import annotations

from pathlib import Path

import pytest
from arbiter_kit.errors import InvalidArgument
from arbiter_search.config import SearchConfig, repo_root


def test_the_embedded_graph_sits_beside_milvus_lite(tmp_path: Path) -> None:
    assert SearchConfig.from_env({}).graph.uri == str(repo_root() / ".data" / "search" / "graph")
    lite = SearchConfig.from_env({"SEARCH_MILVUS_URI": str(tmp_path / "milvus.db")})
    assert lite.graph.uri == str(tmp_path / "graph")
    server = SearchConfig.from_env({"MILVUS_URI": "http://milvus:19530"})
    assert server.graph.uri == str(repo_root() / ".data" / "search" / "graph")


def test_neo4j_or_none_or_a_folder(tmp_path: Path) -> None:
    env = {"SEARCH_GRAPH_URI": "bolt://graph:7687", "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": "pw"}
    graph = SearchConfig.from_env(env).graph
    assert (graph.is_neo4j, graph.neo4j.user, graph.neo4j.password) == (True, "neo4j", "pw")
    assert "pw" not in repr(graph)
    assert not SearchConfig.from_env({"SEARCH_GRAPH_URI": "none"}).graph.enabled
    folder = SearchConfig.from_env({"SEARCH_GRAPH_URI": str(tmp_path / "g")}).graph
    assert (folder.uri, folder.is_neo4j) == (str(tmp_path / "g"), False)
    expansion = SearchConfig.from_env(
        {"SEARCH_GRAPH_HOPS": "2", "SEARCH_GRAPH_CAP": "5", "SEARCH_GRAPH_DISCOUNT": "0.3"}
    ).graph.expansion
    assert (expansion.hops, expansion.cap, expansion.discount) == (2, 5, 0.3)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SEARCH_GRAPH_URI", "http://graph:7474"),
        ("SEARCH_GRAPH_HOPS", "3"),
        ("SEARCH_GRAPH_CAP", "-1"),
        ("SEARCH_GRAPH_DISCOUNT", "0"),
        ("SEARCH_GRAPH_DISCOUNT", "much"),
    ],
)
def test_bad_settings_are_named(key: str, value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        SearchConfig.from_env({key: value})
    assert caught.value.field == key
