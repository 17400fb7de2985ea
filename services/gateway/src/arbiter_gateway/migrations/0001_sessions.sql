-- Sessions and their event logs. A session row holds where the session stands and the head
-- of its hash chain; each event is stored as the deterministic serialization of its
-- SessionEvent with seq 0 (the seq is the row's, assigned here). See chain.py.
CREATE TABLE gateway.sessions (
    id text PRIMARY KEY,
    tenant text NOT NULL,
    question text NOT NULL,
    resume_token_hash bytea NOT NULL,
    state integer NOT NULL,
    last_seq bigint NOT NULL DEFAULT 0,
    head_hash bytea NOT NULL,
    -- The replica that runs the session and until when its claim holds (takeover reads these).
    owner text NOT NULL,
    lease_expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_by_tenant_age ON gateway.sessions (tenant, created_at);

CREATE TABLE gateway.events (
    session_id text NOT NULL REFERENCES gateway.sessions (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    payload bytea NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- Appends a batch of events (one array element each, sessions in any order, each session's
-- events in their order) in one round trip. For each session: lock its row, check the caller
-- still owns it, give each event the next seq, chain its hash, store it; then move the row's
-- last_seq, head_hash and state. Returns each event's seq and hash, in the batch's order.
-- hash(n) = sha256(hash(n-1) || int8 big-endian seq || payload); hash(0) = 32 zero bytes.
CREATE FUNCTION gateway.append_events(
    p_sessions text[], p_owner text, p_payloads bytea[], p_states integer[]
) RETURNS TABLE (out_seq bigint, out_hash bytea)
LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    v_session text := NULL;
    v_seq bigint;
    v_hash bytea;
    v_state integer;
    v_owner text;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_sessions, 1), 0) LOOP
        IF v_session IS DISTINCT FROM p_sessions[i] THEN
            IF v_session IS NOT NULL THEN
                UPDATE gateway.sessions
                   SET last_seq = v_seq, head_hash = v_hash, state = v_state, updated_at = now()
                 WHERE id = v_session;
            END IF;
            v_session := p_sessions[i];
            SELECT s.last_seq, s.head_hash, s.state, s.owner
              INTO v_seq, v_hash, v_state, v_owner
              FROM gateway.sessions s WHERE s.id = v_session FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no session %', v_session USING ERRCODE = 'AR404';
            END IF;
            IF v_owner <> p_owner THEN
                RAISE EXCEPTION 'session % is owned by another replica', v_session
                    USING ERRCODE = 'AR409';
            END IF;
        END IF;
        v_seq := v_seq + 1;
        v_hash := sha256(v_hash || int8send(v_seq) || p_payloads[i]);
        v_state := coalesce(p_states[i], v_state);
        INSERT INTO gateway.events (session_id, seq, payload, hash)
             VALUES (v_session, v_seq, p_payloads[i], v_hash);
        out_seq := v_seq;
        out_hash := v_hash;
        RETURN NEXT;
    END LOOP;
    IF v_session IS NOT NULL THEN
        UPDATE gateway.sessions
           SET last_seq = v_seq, head_hash = v_hash, state = v_state, updated_at = now()
         WHERE id = v_session;
    END IF;
END;
$$;
