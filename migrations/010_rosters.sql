-- Signed team rosters: each team's recipients at a version, signed with
-- Ed25519 by the team's roster keys (held offline by its key custodians).
-- The server stores and serves them and checks them against the roster
-- keys in its configuration; clients verify them against the keys they
-- pinned. The latest version of a team's roster decides the recipients
-- of its new reports. Versions only go up (checked in the insert).
CREATE TABLE rosters (
    team         text NOT NULL,
    version      bigint NOT NULL CHECK (version > 0),
    body         text NOT NULL,
    signatures   jsonb NOT NULL,
    published_on date NOT NULL DEFAULT current_date,
    PRIMARY KEY (team, version)
);
