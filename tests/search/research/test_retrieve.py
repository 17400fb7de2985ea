"""Retrieve and GetCorpusInfo over the fixture passages and a slice of the real corpus."""

from __future__ import annotations

import pytest
from arbiter.common.v1 import common_pb2
from arbiter.search.v1 import search_pb2

from tests.search.conftest import corpus_documents
from tests.search.support import chunk_count, passages_of
from tests.support.corpus import CORPUS
from tests.support.search import RunningSearch, fixture_documents, ingest, read_jsonl, summary_of
from tests.support.servers import assert_invalid_argument


def rulebook(*values: str) -> common_pb2.MetadataFilter:
    return common_pb2.MetadataFilter(field="rulebook", any_of=values)


async def test_finds_the_passage_a_query_paraphrases(corpus_search: RunningSearch) -> None:
    passages = await passages_of(
        corpus_search,
        "file a suspicious activity report with the Financial Intelligence Unit without delay",
    )
    assert passages[0].source_id == "fx-aml-1"
    top = passages[0]
    assert (top.id, top.rulebook, top.passage_ref, top.document_id) == (
        "fx-aml-1#0",
        "AML",
        "3.1.1",
        "1",
    )
    assert top.title.startswith("Anti-Money Laundering")
    assert "suspicious activity report" in top.text
    assert top.score > 0
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.mark.skipif(not CORPUS.exists(), reason=f"the ObliQA corpus is not at {CORPUS}")
async def test_finds_real_corpus_passages_from_their_own_words(
    corpus_search: RunningSearch,
) -> None:
    rows = [r for r in read_jsonl(CORPUS, 300) if len(r["text"]) > 200][:10]
    for row in rows:
        words = row["text"].split()[:25]
        passages = await passages_of(corpus_search, " ".join(words), top_k=5)
        assert row["id"] in [p.source_id for p in passages], row["text"][:80]


async def test_top_k_bounds_the_results_and_sources_are_distinct(
    corpus_search: RunningSearch,
) -> None:
    passages = await passages_of(corpus_search, "money laundering customer", top_k=3)
    assert len(passages) == 3
    default = await passages_of(corpus_search, "money laundering customer")
    assert len(default) == 10 or not CORPUS.exists()
    assert len({p.source_id for p in default}) == len(default)


async def test_a_rulebook_filter_restricts_results(corpus_search: RunningSearch) -> None:
    query = "compliance officer breach client account customer records"
    everything = await passages_of(corpus_search, query, top_k=50)
    assert {"AML", "COBS", "GEN"} <= {p.rulebook for p in everything}
    only_cobs = await passages_of(corpus_search, query, top_k=50, filters=[rulebook("COBS")])
    assert only_cobs and {p.rulebook for p in only_cobs} == {"COBS"}
    two = await passages_of(corpus_search, query, top_k=50, filters=[rulebook("COBS", "GEN")])
    assert {p.rulebook for p in two} == {"COBS", "GEN"}


async def test_filters_combine_and_accept_the_corpus_name_passage_id(
    corpus_search: RunningSearch,
) -> None:
    filters = [
        rulebook("AML"),
        common_pb2.MetadataFilter(field="passage_id", any_of=["8.3.1"]),
        common_pb2.MetadataFilter(field="document_id", any_of=["1"]),
    ]
    passages = await passages_of(corpus_search, "customer due diligence", filters=filters)
    assert [p.source_id for p in passages] == ["fx-aml-2"]


@pytest.mark.parametrize(
    "value", ['AML" or rulebook != "', "AML' || true", 'AML\\" or 1==1 or rulebook == \\"']
)
async def test_an_injection_attempt_is_a_literal_value(
    corpus_search: RunningSearch, value: str
) -> None:
    passages = await passages_of(corpus_search, "money laundering", filters=[rulebook(value)])
    assert passages == []


async def test_values_with_quotes_backslashes_and_newlines_match_exactly(
    fresh_search: RunningSearch,
) -> None:
    odd = 'Odd "Book" \\ with\nnewline\tand tab'
    docs = [
        search_pb2.Document(id="odd", text="rule on lanterns", metadata={"rulebook": odd}),
        search_pb2.Document(id="plain", text="rule on lanterns", metadata={"rulebook": "Odd"}),
    ]
    summary_of(await ingest(fresh_search.stub, docs))
    passages = await passages_of(fresh_search, "lanterns", filters=[rulebook(odd)])
    assert [(p.source_id, p.rulebook) for p in passages] == [("odd", odd)]


async def test_an_unknown_filter_field_is_invalid_argument(corpus_search: RunningSearch) -> None:
    request = search_pb2.RetrieveRequest(
        query="money laundering",
        filters=[common_pb2.MetadataFilter(field='rulebook == "AML" or text', any_of=["x"])],
    )
    await assert_invalid_argument(corpus_search.stub.Retrieve(request), "filters[0].field")


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (search_pb2.RetrieveRequest(query=""), "query"),
        (search_pb2.RetrieveRequest(query="   "), "query"),
        (search_pb2.RetrieveRequest(query="x" * 4001), "query"),
        (search_pb2.RetrieveRequest(query="aml", top_k=51), "top_k"),
        (search_pb2.RetrieveRequest(query="aml", top_k=-1), "top_k"),
        (
            search_pb2.RetrieveRequest(
                query="aml", filters=[rulebook("AML"), common_pb2.MetadataFilter(field="nope")]
            ),
            "filters[1].field",
        ),
        (
            search_pb2.RetrieveRequest(
                query="aml", filters=[common_pb2.MetadataFilter(field="rulebook")]
            ),
            "filters[0].any_of",
        ),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_field(
    corpus_search: RunningSearch, request_: search_pb2.RetrieveRequest, field: str
) -> None:
    await assert_invalid_argument(corpus_search.stub.Retrieve(request_), field)


async def test_a_query_of_4000_characters_is_accepted(corpus_search: RunningSearch) -> None:
    query = ("client money segregated account " * 200)[:4000]
    passages = await passages_of(corpus_search, query, top_k=1)
    assert passages[0].source_id == "fx-cobs-1"


async def test_corpus_info_counts_chunks_and_names_filterable_fields(
    corpus_search: RunningSearch,
) -> None:
    info = await corpus_search.stub.GetCorpusInfo(search_pb2.GetCorpusInfoRequest())
    assert info.chunks >= len(fixture_documents()) + len(corpus_documents())
    assert list(info.filterable_fields) == [
        "doc_type",
        "document_id",
        "passage_ref",
        "rulebook",
        "source_id",
    ]
    assert info.embedder == "none"


async def test_corpus_info_of_an_empty_store(fresh_search: RunningSearch) -> None:
    assert await chunk_count(fresh_search) == 0
    assert await passages_of(fresh_search, "anything at all") == []


async def test_a_caller_deadline_bounds_the_store_calls(corpus_search: RunningSearch) -> None:
    request = search_pb2.RetrieveRequest(query="client money segregated account", top_k=1)
    reply = await corpus_search.stub.Retrieve(request, timeout=10)
    assert reply.passages[0].source_id == "fx-cobs-1"
