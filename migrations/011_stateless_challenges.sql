-- Login challenges are no longer stored when they are issued: a
-- challenge's id is a token sealed under a key derived from the receipt
-- key, which carries the handler's name, the expiry and the nonce (see
-- casework/logintoken.go), so issuing one needs no storage and no budget.
-- Only a challenge that has been answered is recorded, by the random id of
-- its token, until it expires, so it cannot be answered twice. Nothing
-- here names a handler or a client.
DROP TABLE challenges;

CREATE TABLE spent_challenges (
    id         bytea PRIMARY KEY CHECK (length(id) = 24),
    expires_at timestamptz NOT NULL
);
CREATE INDEX spent_challenges_expires_idx ON spent_challenges (expires_at);
