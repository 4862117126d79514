-- Alerts: the outbox of e-mails to the teams, one row per report and routed
-- team, written in the same transaction as the report. A row is deleted once
-- the relay has accepted its e-mail, so a delivered alert leaves no trace.
-- No column holds a creation time: due_at is empty for "send now", a digest
-- boundary for digest teams, or the next retry after a failure.
CREATE TABLE alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    team        text NOT NULL,
    urgent      boolean NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    due_at      timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    lease_until timestamptz,
    lease_token uuid,
    last_error  text,
    UNIQUE (report_id, team)
);

CREATE INDEX alerts_pending_idx ON alerts (due_at NULLS FIRST, id) WHERE state = 'pending';
