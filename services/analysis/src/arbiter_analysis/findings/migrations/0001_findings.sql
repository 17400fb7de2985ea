-- The findings schema as ../shared/data/findings/SCHEMA.md describes it (and
-- arbiter_analysis.findings.schema; a test compares the two). Never edit a migration that
-- has shipped: add the next one.

CREATE SCHEMA IF NOT EXISTS findings;

CREATE TABLE findings.firms (
    firm_id       text PRIMARY KEY,
    name          text NOT NULL,
    firm_type     text NOT NULL CHECK (firm_type IN ('bank', 'investment firm', 'fund manager',
                      'insurer', 'payment service provider', 'virtual asset firm')),
    authorised_on date NOT NULL
);

CREATE TABLE findings.audits (
    audit_id   text PRIMARY KEY,
    firm_id    text NOT NULL REFERENCES findings.firms (firm_id),
    audit_type text NOT NULL CHECK (audit_type IN ('routine', 'thematic', 'for cause')),
    started_on date NOT NULL,
    closed_on  date,
    CHECK (closed_on IS NULL OR closed_on >= started_on)
);

CREATE TABLE findings.findings (
    finding_id    text PRIMARY KEY,
    audit_id      text NOT NULL REFERENCES findings.audits (audit_id),
    firm_id       text NOT NULL REFERENCES findings.firms (firm_id),
    rulebook      text NOT NULL,
    rule_ref      text NOT NULL,
    passage_id    text NOT NULL,
    severity      text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status        text NOT NULL CHECK (status IN ('open', 'remediated', 'closed')),
    identified_on date NOT NULL,
    remediated_on date,
    summary       text NOT NULL,
    CHECK (remediated_on IS NULL OR remediated_on >= identified_on),
    -- An open finding has no remediation date and a remediated one has one; a closed one
    -- may have either (closed without remediation, e.g. withdrawn).
    CHECK (status <> 'open' OR remediated_on IS NULL),
    CHECK (status <> 'remediated' OR remediated_on IS NOT NULL)
);

CREATE TABLE findings.dispositions (
    finding_id  text PRIMARY KEY REFERENCES findings.findings (finding_id),
    decided_on  date NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('no further action', 'warning',
                    'remediation order', 'financial penalty', 'licence restriction')),
    penalty_usd numeric(14,2) NOT NULL DEFAULT 0 CHECK (penalty_usd >= 0),
    CHECK (outcome = 'financial penalty' OR penalty_usd = 0)
);

CREATE TABLE arbiter_meta.dataset (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    label      text NOT NULL,
    seed       integer,
    checksum   text NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audits_firm_id ON findings.audits (firm_id);
CREATE INDEX audits_started_on ON findings.audits (started_on);
CREATE INDEX findings_rulebook ON findings.findings (rulebook);
CREATE INDEX findings_firm_id ON findings.findings (firm_id);
CREATE INDEX findings_audit_id ON findings.findings (audit_id);
CREATE INDEX findings_identified_on ON findings.findings (identified_on);
CREATE INDEX dispositions_outcome_decided_on ON findings.dispositions (outcome, decided_on);
