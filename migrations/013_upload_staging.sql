-- Files sent with a report are staged before the report exists: their
-- chunks are written as they arrive, each in its own short statement, to an
-- attachment row with no report yet (report_id NULL, not complete), so no
-- transaction or lock is held while a client sends. The report and all its
-- files are then committed in one short transaction that adopts the staged
-- rows. A staged row is never visible to handlers (they see complete
-- attachments of a report only); one whose lease (expires_at, renewed while
-- its request is alive) runs out is deleted by the sweep within minutes.
ALTER TABLE attachments ALTER COLUMN report_id DROP NOT NULL;
ALTER TABLE attachments ADD CONSTRAINT attachments_complete_has_report CHECK (NOT complete OR report_id IS NOT NULL);

-- A form whose report is still arriving (its files are being received)
-- claims its submission key for the length of a lease, renewed while the
-- request is alive, so that a second copy of the same form is answered at
-- once ("still being received") instead of waiting on the first. The claim
-- is removed when the report commits or fails; an expired one counts as
-- gone and is deleted by the sweep.
CREATE TABLE submission_claims (
    submission_key bytea PRIMARY KEY CHECK (length(submission_key) = 32),
    claim          uuid NOT NULL,
    expires_at     timestamptz NOT NULL
);
