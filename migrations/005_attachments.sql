-- Attachments. Each file's content is an age stream encrypted to a fresh
-- per-attachment key; the manifest (that key, the file name, type, size
-- and SHA-256) is a small age file encrypted to the case's recipients, so
-- a rekey re-encrypts manifests, never gigabytes. Content is stored in
-- chunks as it streams in, padded to a size bucket.
CREATE TABLE attachments (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    report_id   uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    complete    boolean NOT NULL DEFAULT false,
    -- Only while uploading: when an abandoned upload may be deleted.
    expires_at  timestamptz,
    size_bucket bigint,
    manifest    bytea,
    CHECK (complete = (manifest IS NOT NULL AND size_bucket IS NOT NULL AND expires_at IS NULL))
);
CREATE INDEX attachments_report_idx ON attachments (report_id);
CREATE INDEX attachments_abandoned_idx ON attachments (expires_at) WHERE NOT complete;

CREATE TABLE attachment_chunks (
    attachment_id uuid NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           integer NOT NULL,
    data          bytea NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
-- Ciphertext does not compress: store chunks out of line without trying.
ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
