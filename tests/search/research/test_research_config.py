"""Research settings: defaults, environment names, and named bad values."""

from __future__ import annotations

import pytest
from arbiter_kit.errors import InvalidArgument
from arbiter_search.research.config import ResearchConfig


def test_defaults() -> None:
    config = ResearchConfig.from_env({})
    assert (config.reranker, config.rerank_candidates, config.research_rounds) == ("lexical", 50, 1)


def test_read_from_the_environment() -> None:
    env = {
        "SEARCH_RERANKER": " Model ",
        "SEARCH_RERANK_CANDIDATES": "30",
        "SEARCH_RESEARCH_ROUNDS": "3",
    }
    assert ResearchConfig.from_env(env) == ResearchConfig("model", 30, 3)


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"SEARCH_RERANKER": "bert"}, "SEARCH_RERANKER"),
        ({"SEARCH_RERANK_CANDIDATES": "0"}, "SEARCH_RERANK_CANDIDATES"),
        ({"SEARCH_RERANK_CANDIDATES": "201"}, "SEARCH_RERANK_CANDIDATES"),
        ({"SEARCH_RESEARCH_ROUNDS": "6"}, "SEARCH_RESEARCH_ROUNDS"),
        ({"SEARCH_RESEARCH_ROUNDS": "0"}, "SEARCH_RESEARCH_ROUNDS"),
    ],
)
def test_bad_values_name_their_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        ResearchConfig.from_env(env)
    assert caught.value.field == setting
