"""The graph's Cypher. Statements both engines run as they are come first; what differs
(schema, and upserts, where Kùzu-family MERGE scans the table: 7 s to upsert 13k passages
against 1.7 s by CREATE) follows, one small string per engine.

Every statement is parameterised and every one filters by tenant: node keys carry the
tenant too, so a key from another tenant cannot match. Labels and relationship names come
from `model`; nothing caller-supplied is ever formatted into a statement.
"""

from __future__ import annotations

from arbiter_search.graph.model import Label, Rel

D, P, T = Label.DOCUMENT.value, Label.PASSAGE.value, Label.TENANT.value
# Backquoted: CONTAINS is also a Cypher string operator.
CONTAINS, REFERENCES = f"`{Rel.CONTAINS.value}`", f"`{Rel.REFERENCES.value}`"

PASSAGE_FIELDS = (
    "tenant",
    "source_id",
    "passage_ref",
    "document_id",
    "rulebook",
    "address",
    "parent",
    "content_hash",
    "mentions",
)
"""Passage properties besides `key`; `address` and `parent` are stored for hierarchy reads."""
_SET_PASSAGE = ", ".join(f"p.{f} = row.{f}" for f in PASSAGE_FIELDS)

# --- shared: both engines run these as written -------------------------------------------

GENERATION = f"MATCH (t:{T} {{key: $tenant}}) RETURN t.generation"
BUMP_GENERATION = (
    f"MERGE (t:{T} {{key: $tenant}}) "
    "ON CREATE SET t.generation = 1 ON MATCH SET t.generation = t.generation + 1 "
    "RETURN t.generation"
)
DOCUMENTS = f"MATCH (d:{D}) WHERE d.tenant = $tenant RETURN d.id, d.rulebook, d.title"
PASSAGES = (
    f"MATCH (p:{P}) WHERE p.tenant = $tenant "
    "RETURN p.source_id, p.passage_ref, p.document_id, p.rulebook, p.content_hash, p.mentions"
)
REFERENCE_EDGES = (
    f"MATCH (a:{P})-[r:{REFERENCES}]->(b:{P}) WHERE a.tenant = $tenant AND b.tenant = $tenant "
    "RETURN a.source_id, b.source_id, r.mention"
)
EXISTING_PASSAGES = f"UNWIND $keys AS k MATCH (p:{P} {{key: k}}) RETURN p.key"
UPSERT_DOCUMENTS = (
    f"UNWIND $rows AS row MERGE (d:{D} {{key: row.key}}) "
    "SET d.tenant = row.tenant, d.id = row.id, d.rulebook = row.rulebook, d.title = row.title"
)
UPDATE_PASSAGES = f"UNWIND $rows AS row MATCH (p:{P} {{key: row.key}}) SET {_SET_PASSAGE}"
DETACH_FROM_DOCUMENTS = (
    f"UNWIND $keys AS k MATCH (:{D})-[c:{CONTAINS}]->(p:{P} {{key: k}}) "
    "WHERE p.tenant = $tenant DELETE c"
)
DELETE_REFERENCES = (
    f"UNWIND $edges AS e MATCH (a:{P} {{key: e.source}})-[r:{REFERENCES}]->"
    f"(b:{P} {{key: e.target}}) WHERE a.tenant = $tenant DELETE r"
)
NEIGHBOURS_OF_ONE = (
    f"MATCH (a:{P} {{key: $key}})-[:{REFERENCES}]-(b:{P}) "
    "WHERE a.tenant = $tenant AND b.tenant = $tenant RETURN DISTINCT b.source_id"
)
NEIGHBOURS = (
    f"UNWIND $keys AS k MATCH (a:{P} {{key: k}})-[:{REFERENCES}]-(b:{P}) "
    "WHERE a.tenant = $tenant AND b.tenant = $tenant RETURN DISTINCT a.source_id, b.source_id"
)
RELATIVES_OF_ONE = (
    f"MATCH (a:{P} {{key: $key}}) MATCH (b:{P}) "
    "WHERE a.tenant = $tenant AND b.tenant = $tenant AND b.document_id = a.document_id "
    "AND b.key <> a.key AND a.parent IS NOT NULL "
    "AND (b.parent = a.parent OR b.address = a.parent) "
    "RETURN b.source_id, b.address = a.parent"
)
RELATIVES = (
    f"UNWIND $keys AS k MATCH (a:{P} {{key: k}}) MATCH (b:{P}) "
    "WHERE a.tenant = $tenant AND b.tenant = $tenant AND b.document_id = a.document_id "
    "AND b.key <> a.key AND a.parent IS NOT NULL "
    "AND (b.parent = a.parent OR b.address = a.parent) "
    "RETURN a.source_id, b.source_id, b.address = a.parent"
)

# --- Ladybug (embedded, Kùzu family) -----------------------------------------------------

LADYBUG_SCHEMA = (
    f"CREATE NODE TABLE IF NOT EXISTS {D}("
    "key STRING, tenant STRING, id STRING, rulebook STRING, title STRING, PRIMARY KEY (key))",
    f"CREATE NODE TABLE IF NOT EXISTS {P}("
    "key STRING, tenant STRING, source_id STRING, passage_ref STRING, document_id STRING, "
    "rulebook STRING, address STRING, parent STRING, content_hash STRING, mentions STRING[], "
    "PRIMARY KEY (key))",
    f"CREATE NODE TABLE IF NOT EXISTS {T}(key STRING, generation INT64, PRIMARY KEY (key))",
    f"CREATE REL TABLE IF NOT EXISTS {CONTAINS}(FROM {D} TO {P})",
    f"CREATE REL TABLE IF NOT EXISTS {REFERENCES}(FROM {P} TO {P}, mention STRING)",
)
_PASSAGE_PROPERTIES = ", ".join(f"{f}: row.{f}" for f in ("key", *PASSAGE_FIELDS))
LADYBUG_CREATE_PASSAGES = (
    f"UNWIND $rows AS row MATCH (d:{D} {{key: row.document_key}}) "
    f"CREATE (d)-[:{CONTAINS}]->(p:{P} {{{_PASSAGE_PROPERTIES}}})"
)
"""New passages only: the writer checked they do not exist, under its lock."""
LADYBUG_ATTACH_TO_DOCUMENTS = (
    f"UNWIND $rows AS row MATCH (d:{D} {{key: row.document_key}}) "
    f"MATCH (p:{P} {{key: row.key}}) CREATE (d)-[:{CONTAINS}]->(p)"
)
LADYBUG_CREATE_REFERENCES = (
    f"UNWIND $edges AS e MATCH (a:{P} {{key: e.source}}) MATCH (b:{P} {{key: e.target}}) "
    f"CREATE (a)-[:{REFERENCES} {{mention: e.mention}}]->(b)"
)
"""New edges only; two MATCH clauses, since one comma-joined MATCH plans as a scan (60x)."""

# --- Neo4j ---------------------------------------------------------------------------------

NEO4J_SCHEMA = (
    f"CREATE CONSTRAINT arbiter_document_key IF NOT EXISTS FOR (n:{D}) REQUIRE n.key IS UNIQUE",
    f"CREATE CONSTRAINT arbiter_passage_key IF NOT EXISTS FOR (n:{P}) REQUIRE n.key IS UNIQUE",
    f"CREATE CONSTRAINT arbiter_tenant_key IF NOT EXISTS FOR (n:{T}) REQUIRE n.key IS UNIQUE",
    f"CREATE INDEX arbiter_passage_tenant IF NOT EXISTS FOR (n:{P}) ON (n.tenant)",
    f"CREATE INDEX arbiter_passage_place IF NOT EXISTS "
    f"FOR (n:{P}) ON (n.tenant, n.document_id, n.parent)",
    f"CREATE INDEX arbiter_document_tenant IF NOT EXISTS FOR (n:{D}) ON (n.tenant)",
)
NEO4J_UPSERT_PASSAGES = (
    f"UNWIND $rows AS row MERGE (p:{P} {{key: row.key}}) SET {_SET_PASSAGE} "
    f"WITH p, row MATCH (d:{D} {{key: row.document_key}}) MERGE (d)-[:{CONTAINS}]->(p)"
)
NEO4J_MERGE_REFERENCES = (
    f"UNWIND $edges AS e MATCH (a:{P} {{key: e.source}}) MATCH (b:{P} {{key: e.target}}) "
    f"MERGE (a)-[r:{REFERENCES}]->(b) SET r.mention = e.mention"
)
