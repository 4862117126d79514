-- Case handlers, their login challenges and sessions, case workflow fields,
-- encrypted notes and replies, and the tamper-evident audit log.

-- A handler of a team, known by name, with their own age recipient. Active
-- handlers' recipients join their team's configured recipients for every
-- new report.
CREATE TABLE handlers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    team       text NOT NULL,
    recipient  text NOT NULL CHECK (recipient LIKE 'age1%'),
    active     boolean NOT NULL DEFAULT true
);

-- A login challenge: a random secret encrypted to the handler's recipient.
-- Only its hash is kept; it can be answered once, before it expires. A
-- challenge for an unknown name has no handler and can never succeed.
CREATE TABLE challenges (
    id          uuid PRIMARY KEY,
    handler_id  bigint REFERENCES handlers (id) ON DELETE CASCADE,
    answer_hash bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    used        boolean NOT NULL DEFAULT false
);

-- A session: only the SHA-256 of its bearer token is kept.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    handler_id bigint NOT NULL REFERENCES handlers (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    revoked    boolean NOT NULL DEFAULT false
);

-- Workflow fields set by handlers.
ALTER TABLE reports
    ADD COLUMN status_detail text,
    ADD COLUMN assignee      text,
    ADD COLUMN next_deadline date;

-- Notes (encrypted to the author's team) and replies to the reporter
-- (encrypted to the reporter's reply key and the case's teams).
CREATE TABLE notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id  uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('note', 'reply')),
    team       text NOT NULL,
    author     text NOT NULL,
    created_on date NOT NULL,
    ciphertext bytea NOT NULL
);
CREATE INDEX notes_report_idx ON notes (report_id);

-- The audit log: one row per handler or operator action, chained by an
-- HMAC over the previous entry's MAC, so an edited, removed or inserted row
-- breaks the chain.
CREATE TABLE audit_log (
    seq       bigint PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    reference text NOT NULL DEFAULT '',
    detail    text NOT NULL DEFAULT '',
    prev_mac  bytea NOT NULL,
    mac       bytea NOT NULL
);
