package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Staff is an intermediary organisation's staff account.
type Staff struct {
	ID             int64
	OrgID          int64
	OrgSlug        string
	OrgName        string
	Username       string
	PasswordSalt   []byte
	PasswordHash   []byte
	TOTPSealed     []byte
	TOTPLastStep   int64
	FailedAttempts int
	LockedUntil    *time.Time
	Active         bool
}

// AddOrganisation creates an organisation.
func (db *DB) AddOrganisation(ctx context.Context, slug, name string, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO organisations (slug, name) VALUES ($1, $2)`, slug, name)
		return err
	})
}

// AddStaff creates a staff account in the organisation slug.
func (db *DB) AddStaff(ctx context.Context, orgSlug, username string, salt, hash, check, totp []byte, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO staff (org_id, username, password_salt, password_hash, password_check, totp_sealed)
			SELECT id, $2, $3, $4, $5, $6 FROM organisations WHERE slug = $1`, orgSlug, username, salt, hash, check, totp)
		if err == nil && tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return err
	})
}

const staffColumns = `s.id, s.org_id, o.slug, o.name, s.username, s.password_salt, s.password_hash, s.totp_sealed,
	s.totp_last_step, s.failed_attempts, s.locked_until, s.active`

func scanStaff(row pgx.Row) (Staff, error) {
	var s Staff
	err := row.Scan(&s.ID, &s.OrgID, &s.OrgSlug, &s.OrgName, &s.Username, &s.PasswordSalt, &s.PasswordHash, &s.TOTPSealed,
		&s.TOTPLastStep, &s.FailedAttempts, &s.LockedUntil, &s.Active)
	return s, err
}

// StaffPassword returns the password salt, hash and quick check of an
// account, whatever its state, so that a sign-in can check the password
// before it counts anything. check is nil for an account whose password
// was set before quick checks existed (until its next sign-in). legacy
// says whether any account still has no quick check; it is answered for
// an unknown username too, by the same one statement. An unknown username
// is ErrNotFound.
func (db *DB) StaffPassword(ctx context.Context, username string) (salt, hash, check []byte, legacy bool, err error) {
	var found bool
	err = db.pool.QueryRow(ctx, `
		SELECT s.id IS NOT NULL, s.password_salt, s.password_hash, s.password_check,
		       EXISTS (SELECT 1 FROM staff WHERE password_check IS NULL)
		FROM (SELECT 1) AS one LEFT JOIN staff s ON s.username = $1`, username).Scan(&found, &salt, &hash, &check, &legacy)
	if err != nil {
		return nil, nil, nil, false, fmt.Errorf("store.StaffPassword: %w", classify(err))
	}
	if !found {
		return nil, nil, nil, legacy, fmt.Errorf("store.StaffPassword: %w", ErrNotFound)
	}
	return salt, hash, check, legacy, nil
}

// SetStaffPasswordCheck stores the quick check of an account's password
// once its owner has signed in with it, if the account has none yet and
// its password is still the one hashed as hash.
func (db *DB) SetStaffPasswordCheck(ctx context.Context, id int64, hash, check []byte) error {
	_, err := db.pool.Exec(ctx, `UPDATE staff SET password_check = $3 WHERE id = $1 AND password_hash = $2 AND password_check IS NULL`, id, hash, check)
	if err != nil {
		return fmt.Errorf("store.SetStaffPasswordCheck: %w", classify(err))
	}
	return nil
}

// StaffSignInAttempt admits one second-factor attempt for username (whose
// password the caller has checked), counting it as a failure in advance,
// in one statement: the account's row lock makes
// concurrent attempts queue, so no more than maxFailures attempts are ever
// admitted per lock period however many arrive at once. A lock that has
// expired by now is cleared with its count (this attempt is then the first
// failure); the attempt that reaches maxFailures sets locked_until to
// lockUntil. A success resets the count (StaffSignedIn).
//
// An unknown username and a locked account are both ErrNotFound, so the
// caller can answer them alike.
func (db *DB) StaffSignInAttempt(ctx context.Context, username string, now time.Time, maxFailures int, lockUntil time.Time) (Staff, error) {
	s, err := scanStaff(db.pool.QueryRow(ctx, `
		WITH admitted AS (
			UPDATE staff s SET
				failed_attempts = CASE WHEN s.locked_until <= $2 THEN 1 ELSE s.failed_attempts + 1 END,
				locked_until = CASE
					WHEN (CASE WHEN s.locked_until <= $2 THEN 1 ELSE s.failed_attempts + 1 END) >= $3 THEN $4
					WHEN s.locked_until <= $2 THEN NULL
					ELSE s.locked_until END
			WHERE s.username = $1 AND (s.locked_until IS NULL OR s.locked_until <= $2)
			RETURNING s.*
		)
		SELECT `+staffColumns+` FROM admitted s JOIN organisations o ON o.id = s.org_id`,
		username, now, maxFailures, lockUntil))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("store.StaffSignInAttempt: %w", ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("store.StaffSignInAttempt: %w", classify(err))
	}
	return s, nil
}

// StaffSignedIn records a successful sign-in (the TOTP step used, which
// cannot be used again) and opens a session, in one transaction.
func (db *DB) StaffSignedIn(ctx context.Context, id, step int64, tokenHash []byte, idle, absolute time.Time, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE staff SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2
			WHERE id = $1 AND totp_last_step < $2`, id, step)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrDuplicate // the code was already used
		}
		_, err = tx.Exec(ctx, `INSERT INTO staff_sessions (token_hash, staff_id, idle_expires, absolute_expires) VALUES ($1, $2, $3, $4)`,
			tokenHash, id, idle, absolute)
		return err
	})
}

// StaffSession returns the staff account of a live session and extends its
// idle expiry to idle (never past its absolute expiry).
func (db *DB) StaffSession(ctx context.Context, tokenHash []byte, idle time.Time) (Staff, error) {
	s, err := scanStaff(db.pool.QueryRow(ctx, `
		WITH live AS (
			UPDATE staff_sessions SET idle_expires = least($2, absolute_expires)
			WHERE token_hash = $1 AND NOT revoked AND idle_expires > now() AND absolute_expires > now()
			RETURNING staff_id
		)
		SELECT `+staffColumns+` FROM live JOIN staff s ON s.id = live.staff_id JOIN organisations o ON o.id = s.org_id
		WHERE s.active`, tokenHash, idle))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("store.StaffSession: %w", ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("store.StaffSession: %w", classify(err))
	}
	return s, nil
}

// EndStaffSession revokes one session.
func (db *DB) EndStaffSession(ctx context.Context, tokenHash []byte) error {
	_, err := db.pool.Exec(ctx, `UPDATE staff_sessions SET revoked = true WHERE token_hash = $1`, tokenHash)
	if err != nil {
		return fmt.Errorf("store.EndStaffSession: %w", classify(err))
	}
	return nil
}

// UpdateStaff applies an operator's change (a new password, a new TOTP
// secret, unlocking, disabling) and ends the account's sessions.
// A new password (salt and hash) comes with its quick check.
func (db *DB) UpdateStaff(ctx context.Context, username string, salt, hash, check, totp []byte, unlock bool, active *bool, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			UPDATE staff SET
				password_salt = coalesce($2, password_salt), password_hash = coalesce($3, password_hash),
				password_check = CASE WHEN $3::bytea IS NULL THEN password_check ELSE $7 END,
				totp_sealed = coalesce($4, totp_sealed),
				totp_last_step = CASE WHEN $4::bytea IS NULL THEN totp_last_step ELSE 0 END,
				failed_attempts = CASE WHEN $5 THEN 0 ELSE failed_attempts END,
				locked_until = CASE WHEN $5 THEN NULL ELSE locked_until END,
				active = coalesce($6, active)
			WHERE username = $1 RETURNING id`, username, salt, hash, totp, unlock, active, check).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE staff_sessions SET revoked = true WHERE staff_id = $1`, id)
		return err
	})
}

// OrgCase is what an intermediary may see of a case it logged.
type OrgCase struct {
	ID         string
	Reference  string
	ReceivedOn time.Time
	Status     string
	Teams      []string
}

// OrgCases lists the cases logged through channel, newest first.
func (db *DB) OrgCases(ctx context.Context, channel string) ([]OrgCase, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT id, reference, received_on, status, teams FROM reports WHERE channel = $1
		ORDER BY received_on DESC, reference LIMIT 1000`, channel)
	if err != nil {
		return nil, fmt.Errorf("store.OrgCases: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[OrgCase])
	if err != nil {
		return nil, fmt.Errorf("store.OrgCases: %w", classify(err))
	}
	return out, nil
}

// OrgCase returns one case logged through channel; any other is ErrNotFound.
func (db *DB) OrgCase(ctx context.Context, channel, ref string) (OrgCase, error) {
	var c OrgCase
	err := db.pool.QueryRow(ctx, `SELECT id, reference, received_on, status, teams FROM reports WHERE channel = $1 AND reference = $2`,
		channel, ref).Scan(&c.ID, &c.Reference, &c.ReceivedOn, &c.Status, &c.Teams)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("store.OrgCase: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store.OrgCase: %w", classify(err))
	}
	return c, nil
}
