"""What the findings database holds, as data: the one description of its tables, columns
and enumerated values that the migrations, the SQL guard, the Text2SQL parser and the
sample generator all read (`../shared/data/findings/SCHEMA.md`)."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA = "findings"
"""The PostgreSQL schema every table lives in; queries name tables as `findings.<table>`."""


@dataclass(frozen=True)
class Column:
    """One column of a findings table."""

    name: str
    sql_type: str
    """Its PostgreSQL type, as the migrations declare it."""
    nullable: bool = False
    values: tuple[str, ...] = ()
    """The values a CHECK constraint allows, for enumerated text columns."""


@dataclass(frozen=True)
class Table:
    """One table of the `findings` schema."""

    name: str
    columns: tuple[Column, ...]
    primary_key: str

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


FIRM_TYPES = (
    "bank",
    "investment firm",
    "fund manager",
    "insurer",
    "payment service provider",
    "virtual asset firm",
)
AUDIT_TYPES = ("routine", "thematic", "for cause")
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "remediated", "closed")
OUTCOMES = (
    "no further action",
    "warning",
    "remediation order",
    "financial penalty",
    "licence restriction",
)

RULEBOOKS = (
    "AML", "BRR", "CIB", "CMC", "COBS", "CONF", "CRS", "FEES", "FP", "FSMR", "FUNDS", "GEN",
    "GLO", "GPM", "IFR", "MIR", "MKT", "PIN", "PRU",
)  # fmt: skip
"""The corpus's short rulebook names: the values `findings.rulebook` holds (no CHECK
constraint, since the corpus may grow, but the generator, guard and parser share this list)."""

FIRMS = Table(
    "firms",
    (
        Column("firm_id", "text"),
        Column("name", "text"),
        Column("firm_type", "text", values=FIRM_TYPES),
        Column("authorised_on", "date"),
    ),
    primary_key="firm_id",
)
AUDITS = Table(
    "audits",
    (
        Column("audit_id", "text"),
        Column("firm_id", "text"),
        Column("audit_type", "text", values=AUDIT_TYPES),
        Column("started_on", "date"),
        Column("closed_on", "date", nullable=True),
    ),
    primary_key="audit_id",
)
FINDINGS = Table(
    "findings",
    (
        Column("finding_id", "text"),
        Column("audit_id", "text"),
        Column("firm_id", "text"),
        Column("rulebook", "text"),
        Column("rule_ref", "text"),
        Column("passage_id", "text"),
        Column("severity", "text", values=SEVERITIES),
        Column("status", "text", values=STATUSES),
        Column("identified_on", "date"),
        Column("remediated_on", "date", nullable=True),
        Column("summary", "text"),
    ),
    primary_key="finding_id",
)
DISPOSITIONS = Table(
    "dispositions",
    (
        Column("finding_id", "text"),
        Column("decided_on", "date"),
        Column("outcome", "text", values=OUTCOMES),
        Column("penalty_usd", "numeric(14,2)"),
    ),
    primary_key="finding_id",
)

TABLES: dict[str, Table] = {t.name: t for t in (FIRMS, AUDITS, FINDINGS, DISPOSITIONS)}
"""Every table of the schema by name, in the order they can be created and loaded."""

FOREIGN_KEYS: tuple[tuple[str, str, str], ...] = (
    ("audits", "firm_id", "firms"),
    ("findings", "audit_id", "audits"),
    ("findings", "firm_id", "firms"),
    ("dispositions", "finding_id", "findings"),
)
"""(table, column, referenced table): each references the other table's primary key."""
