-- Idempotent sending: each web form carries a signed one-time submission
-- token, and the report it sends records the SHA-256 of the token's random
-- part. The unique constraint makes a second send of the same form (a
-- reload, a double click, a retry after a lost answer) find the first
-- report instead of creating another, in the same statement as the insert.
-- NULL for reports sent without a token (the JSON API, older reports).
ALTER TABLE reports ADD COLUMN submission_key bytea UNIQUE CHECK (length(submission_key) = 32);
