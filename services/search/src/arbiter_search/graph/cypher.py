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
F, DI = Label.FINDING.value, Label.DISPOSITION.value
# Backquoted: CONTAINS is also a Cypher string operator.
CONTAINS, REFERENCES = f"`{Rel.CONTAINS.value}`", f"`{Rel.REFERENCES.value}`"
VIOLATES, DISPOSED_AS = f"`{Rel.VIOLATES.value}`", f"`{Rel.DISPOSED_AS.value}`"

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


# Findings: a changed finding is deleted with its disposition and edges and created anew
# (a report is one node and at most one disposition; no MERGE scan is needed).
_FINDING_COLUMNS = (
    "f.source_id, f.rulebook, f.severity, f.content_hash, f.cites, "
    "d.outcome, d.penalty_usd, d.decided_on"
)
FINDINGS = (
    f"MATCH (f:{F}) WHERE f.tenant = $tenant "
    f"OPTIONAL MATCH (f)-[:{DISPOSED_AS}]->(d:{DI}) RETURN {_FINDING_COLUMNS}"
)
DELETE_DISPOSITIONS = (
    f"UNWIND $keys AS k MATCH (f:{F} {{key: k}})-[:{DISPOSED_AS}]->(d:{DI}) "
    "WHERE f.tenant = $tenant DETACH DELETE d"
)
DELETE_FINDINGS = (
    f"UNWIND $keys AS k MATCH (f:{F} {{key: k}}) WHERE f.tenant = $tenant DETACH DELETE f"
)
CREATE_FINDINGS = (
    f"UNWIND $rows AS row CREATE (f:{F} {{key: row.key, tenant: row.tenant, "
    "source_id: row.source_id, rulebook: row.rulebook, severity: row.severity, "
    "content_hash: row.content_hash, cites: row.cites})"
)
CREATE_DISPOSITIONS = (
    f"UNWIND $rows AS row MATCH (f:{F} {{key: row.key}}) "
    f"CREATE (f)-[:{DISPOSED_AS}]->(d:{DI} {{key: row.key, tenant: row.tenant, "
    "finding_id: row.source_id, outcome: row.outcome, penalty_usd: row.penalty_usd, "
    "decided_on: row.decided_on})"
)
CREATE_VIOLATIONS = (
    f"UNWIND $edges AS e MATCH (f:{F} {{key: e.finding}}) MATCH (p:{P} {{key: e.passage}}) "
    f"CREATE (f)-[:{VIOLATES}]->(p)"
)
"""New edges only: the indexer links each (finding, passage) pair once."""
FINDINGS_OF_ONE = (
    f"MATCH (f:{F})-[:{VIOLATES}]->(p:{P} {{key: $key}}) WHERE f.tenant = $tenant "
    "RETURN f.source_id"
)
RULES_OF_ONE = (
    f"MATCH (f:{F} {{key: $key}})-[:{VIOLATES}]->(p:{P}) WHERE p.tenant = $tenant "
    "RETURN p.source_id"
)
PRECEDENTS_OF_ONE = (
    f"MATCH (f:{F})-[:{VIOLATES}]->(p:{P} {{key: $key}}) WHERE f.tenant = $tenant "
    f"OPTIONAL MATCH (f)-[:{DISPOSED_AS}]->(d:{DI}) RETURN {_FINDING_COLUMNS}"
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
    f"CREATE NODE TABLE IF NOT EXISTS {F}("
    "key STRING, tenant STRING, source_id STRING, rulebook STRING, severity STRING, "
    "content_hash STRING, cites STRING[], PRIMARY KEY (key))",
    f"CREATE NODE TABLE IF NOT EXISTS {DI}("
    "key STRING, tenant STRING, finding_id STRING, outcome STRING, penalty_usd DOUBLE, "
    "decided_on STRING, PRIMARY KEY (key))",
    f"CREATE REL TABLE IF NOT EXISTS {VIOLATES}(FROM {F} TO {P})",
    f"CREATE REL TABLE IF NOT EXISTS {DISPOSED_AS}(FROM {F} TO {DI})",
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
    f"CREATE CONSTRAINT arbiter_finding_key IF NOT EXISTS FOR (n:{F}) REQUIRE n.key IS UNIQUE",
    f"CREATE CONSTRAINT arbiter_disposition_key IF NOT EXISTS FOR (n:{DI}) REQUIRE n.key IS UNIQUE",
    f"CREATE INDEX arbiter_finding_tenant IF NOT EXISTS FOR (n:{F}) ON (n.tenant)",
)
NEO4J_UPSERT_PASSAGES = (
    f"UNWIND $rows AS row MERGE (p:{P} {{key: row.key}}) SET {_SET_PASSAGE} "
    f"WITH p, row MATCH (d:{D} {{key: row.document_key}}) MERGE (d)-[:{CONTAINS}]->(p)"
)
NEO4J_MERGE_REFERENCES = (
    f"UNWIND $edges AS e MATCH (a:{P} {{key: e.source}}) MATCH (b:{P} {{key: e.target}}) "
    f"MERGE (a)-[r:{REFERENCES}]->(b) SET r.mention = e.mention"
)
NEO4J_FINDINGS_OF = (
    f"UNWIND $keys AS k MATCH (f:{F})-[:{VIOLATES}]->(p:{P} {{key: k}}) "
    "WHERE f.tenant = $tenant RETURN DISTINCT p.source_id, f.source_id"
)
NEO4J_RULES_OF = (
    f"UNWIND $keys AS k MATCH (f:{F} {{key: k}})-[:{VIOLATES}]->(p:{P}) "
    "WHERE p.tenant = $tenant RETURN DISTINCT f.source_id, p.source_id"
)
NEO4J_PRECEDENTS = (
    f"UNWIND $keys AS k MATCH (f:{F})-[:{VIOLATES}]->(p:{P} {{key: k}}) "
    f"WHERE f.tenant = $tenant OPTIONAL MATCH (f)-[:{DISPOSED_AS}]->(d:{DI}) "
    f"RETURN p.source_id, {_FINDING_COLUMNS}"
)
