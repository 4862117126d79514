-- NHRI and NGO intermediaries: organisations, their staff accounts (a
-- password hashed with Argon2id and a TOTP second factor whose secret is
-- sealed with a server key), and their sessions. Cases they log carry
-- channel 'org:SLUG'.
CREATE TABLE organisations (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name text NOT NULL
);

CREATE TABLE staff (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          bigint NOT NULL REFERENCES organisations (id),
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    password_salt   bytea NOT NULL,
    password_hash   bytea NOT NULL,
    totp_sealed     bytea NOT NULL,
    totp_last_step  bigint NOT NULL DEFAULT 0,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    active          boolean NOT NULL DEFAULT true
);

CREATE TABLE staff_sessions (
    token_hash       bytea PRIMARY KEY,
    staff_id         bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    idle_expires     timestamptz NOT NULL,
    absolute_expires timestamptz NOT NULL,
    revoked          boolean NOT NULL DEFAULT false
);
