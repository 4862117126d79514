-- Idempotency-Key scoped to the request body: a report sent through the
-- JSON API with an Idempotency-Key keeps, next to the key's HMAC
-- (submission_key), an HMAC of the key and of the report as decoded
-- (canonical JSON), under another key derived from the receipt key. A
-- repeat with the same key and the same report is answered as a repeat;
-- the same key with another report is refused, naming nothing. NULL for
-- reports sent without a key (web forms, older reports).
ALTER TABLE reports ADD COLUMN submission_check bytea CHECK (length(submission_check) = 32);
