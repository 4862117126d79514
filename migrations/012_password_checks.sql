-- A staff password's quick check: the first 4 bytes of an HMAC-SHA256,
-- under a key derived from the receipt key (which is not in the
-- database), of the account's salt and password. A sign-in with a wrong
-- password is refused by it before any Argon2id work, so a flood of wrong
-- passwords cannot fill the hash queue in front of the account's owner.
-- NULL for a password set before this migration, until its owner's next
-- sign-in.
ALTER TABLE staff ADD COLUMN password_check bytea CHECK (length(password_check) = 4);
