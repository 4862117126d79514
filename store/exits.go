package store

import (
	"context"
	"fmt"
	"time"
)

// MarkFormExited records that the form whose submission key is key (the
// SHA-256 of its token's nonce) was left by the quick exit, until
// expiresOn (the token's own expiry day). Rows past their day are deleted
// in the same statement.
func (db *DB) MarkFormExited(ctx context.Context, key []byte, expiresOn time.Time) error {
	_, err := db.pool.Exec(ctx, `
		WITH gone AS (DELETE FROM exited_forms WHERE expires_on < current_date)
		INSERT INTO exited_forms (form_key, expires_on) VALUES ($1, $2)
		ON CONFLICT (form_key) DO NOTHING`, key, expiresOn.UTC().Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("store.MarkFormExited: %w", classify(err))
	}
	return nil
}

// FormExited reports whether the form with submission key key was left by
// the quick exit.
func (db *DB) FormExited(ctx context.Context, key []byte) (bool, error) {
	var exited bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM exited_forms WHERE form_key = $1)`, key).Scan(&exited)
	if err != nil {
		return false, fmt.Errorf("store.FormExited: %w", classify(err))
	}
	return exited, nil
}
