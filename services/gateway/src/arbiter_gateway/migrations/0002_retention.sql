-- Per-tenant retention, where it differs from the gateway's settings
-- (GATEWAY_RETENTION_DAYS, GATEWAY_RETENTION_MAX_SESSIONS).
CREATE TABLE gateway.retention (
    tenant text PRIMARY KEY,
    max_age_seconds double precision NOT NULL CHECK (max_age_seconds > 0),
    max_sessions integer NOT NULL CHECK (max_sessions > 0)
);
