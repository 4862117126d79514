-- Reports: one row per submitted report. Everything a reporter wrote is in
-- ciphertext (an age file, padded to size_bucket). Every other column is
-- clear metadata, each justified in SECURITY.md ("What is stored in clear").
CREATE TABLE reports (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference       text NOT NULL UNIQUE CHECK (reference ~ '^[0-9A-Z]{4}-[0-9A-Z]{4}$'),
    receipt_hash    bytea NOT NULL UNIQUE CHECK (length(receipt_hash) = 32),
    reply_recipient text NOT NULL CHECK (reply_recipient LIKE 'age1%'),
    teams           text[] NOT NULL CHECK (cardinality(teams) > 0),
    status          text NOT NULL DEFAULT 'received',
    urgency         text CHECK (urgency IN ('U1', 'U2', 'U3', 'U4')),
    received_on     date NOT NULL,
    size_bucket     integer NOT NULL CHECK (size_bucket > 0),
    channel         text NOT NULL DEFAULT 'public',
    ciphertext      bytea NOT NULL
);

-- No secondary indexes yet: no query filters reports by anything but the
-- reference. Indexes for the handlers' case lists come with those lists.
