-- The per-case file limit, enforced by the database. reports.attachment_count
-- counts a case's attachments (complete or uploading). A new upload takes a
-- slot with one UPDATE ... WHERE attachment_count < limit, which concurrent
-- uploads to the same case serialise on the report's row, so 30 parallel
-- uploads to a case with a limit of 20 store 20. Every deletion of an
-- attachment (a failed or abandoned upload) gives its slot back through the
-- trigger below.
ALTER TABLE reports ADD COLUMN attachment_count integer NOT NULL DEFAULT 0 CHECK (attachment_count >= 0);
UPDATE reports r SET attachment_count = (SELECT count(*) FROM attachments a WHERE a.report_id = r.id);

CREATE FUNCTION attachments_release_slot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reports SET attachment_count = attachment_count - 1 WHERE id = OLD.report_id AND attachment_count > 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attachments_release_slot AFTER DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION attachments_release_slot();
