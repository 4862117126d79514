package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Handler is a case handler's account.
type Handler struct {
	ID        int64
	Name      string
	Team      string
	Recipient string
	Active    bool
}

// AddHandler registers a handler.
func (db *DB) AddHandler(ctx context.Context, h Handler, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO handlers (name, team, recipient) VALUES ($1, $2, $3)`, h.Name, h.Team, h.Recipient)
		return err
	})
}

// ListHandlers returns every handler, by team and name.
func (db *DB) ListHandlers(ctx context.Context) ([]Handler, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, team, recipient, active FROM handlers ORDER BY team, name`)
	if err != nil {
		return nil, fmt.Errorf("store.ListHandlers: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Handler])
	if err != nil {
		return nil, fmt.Errorf("store.ListHandlers: %w", classify(err))
	}
	return out, nil
}

// HandlerByName returns the handler called name.
func (db *DB) HandlerByName(ctx context.Context, name string) (Handler, error) {
	return db.handler(ctx, `name = $1`, name)
}

// HandlerByID returns the handler with the given id.
func (db *DB) HandlerByID(ctx context.Context, id int64) (Handler, error) {
	return db.handler(ctx, `id = $1`, id)
}

func (db *DB) handler(ctx context.Context, where string, arg any) (Handler, error) {
	var h Handler
	err := db.pool.QueryRow(ctx, `SELECT id, name, team, recipient, active FROM handlers WHERE `+where, arg).
		Scan(&h.ID, &h.Name, &h.Team, &h.Recipient, &h.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("store.Handler(%v): %w", arg, ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("store.Handler: %w", classify(err))
	}
	return h, nil
}

// UpdateHandler sets a handler's active flag and recipient, and ends all of
// their sessions (a disabled handler or a replaced key must log in again).
func (db *DB) UpdateHandler(ctx context.Context, name string, active bool, recipient string, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE handlers SET active = $2, recipient = $3 WHERE name = $1 RETURNING id`, name, active, recipient).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET revoked = true WHERE handler_id = $1`, id)
		return err
	})
}

// ActiveRecipients returns the recipients of active handlers, by team.
func (db *DB) ActiveRecipients(ctx context.Context) (map[string][]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT team, recipient FROM handlers WHERE active ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store.ActiveRecipients: %w", classify(err))
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var team, rec string
		if err := rows.Scan(&team, &rec); err != nil {
			return nil, fmt.Errorf("store.ActiveRecipients: %w", err)
		}
		out[team] = append(out[team], rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.ActiveRecipients: %w", classify(err))
	}
	return out, nil
}

// SpendChallenge records that the login challenge id (a random id from
// its sealed token) has been answered, in one statement: of any number of
// answers to one challenge, sent at once or one after another, exactly
// one gets nil and every other ErrDuplicate. The same statement refuses
// (ErrDuplicate) a challenge whose expiry has passed by the database's
// clock, so a service clock running behind cannot let one through.
// Challenges are never stored when issued; only answered ones are, and
// they are deleted here an hour after they expire: the database refuses
// an expired one anyway, and the hour keeps a row well past any skew
// between the service's clock and the database's.
func (db *DB) SpendChallenge(ctx context.Context, id []byte, expires time.Time) error {
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO spent_challenges (id, expires_at)
		SELECT $1, $2 WHERE $2::timestamptz > now()
		ON CONFLICT (id) DO NOTHING`, id, expires)
	if err != nil {
		return fmt.Errorf("store.SpendChallenge: %w", classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store.SpendChallenge: %w", ErrDuplicate)
	}
	// An expired challenge cannot be answered whether or not it was spent.
	db.pool.Exec(ctx, `DELETE FROM spent_challenges WHERE expires_at < now() - interval '1 hour'`)
	return nil
}

// CreateSession stores a session by the hash of its token.
func (db *DB) CreateSession(ctx context.Context, tokenHash []byte, handlerID int64, expires time.Time, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, handler_id, expires_at) VALUES ($1, $2, $3)`, tokenHash, handlerID, expires)
		if err == nil {
			_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now() - interval '1 day'`)
		}
		return err
	})
}

// SessionHandler returns the active handler whose session token hashes to
// tokenHash, if the session is neither expired nor revoked.
func (db *DB) SessionHandler(ctx context.Context, tokenHash []byte) (Handler, error) {
	var h Handler
	err := db.pool.QueryRow(ctx, `
		SELECT h.id, h.name, h.team, h.recipient, h.active
		FROM sessions s JOIN handlers h ON h.id = s.handler_id
		WHERE s.token_hash = $1 AND NOT s.revoked AND s.expires_at > now() AND h.active`, tokenHash).
		Scan(&h.ID, &h.Name, &h.Team, &h.Recipient, &h.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("store.SessionHandler: %w", ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("store.SessionHandler: %w", classify(err))
	}
	return h, nil
}

// RevokeSession ends one session.
func (db *DB) RevokeSession(ctx context.Context, tokenHash []byte, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET revoked = true WHERE token_hash = $1`, tokenHash)
		return err
	})
}
