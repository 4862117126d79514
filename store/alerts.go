package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClaimedAlert is an alert leased to one worker, with what its e-mail
// needs: clear metadata only, and the ciphertext when the team wants it
// attached.
type ClaimedAlert struct {
	ID         int64
	Kind       string // "report" or "followup"
	Team       string
	Urgent     bool
	Attempts   int // including this one
	Reference  string
	ReceivedOn time.Time
	Teams      []string
	Ciphertext []byte // nil unless the team is in attachTeams
}

// Claim is a batch of alerts leased under one token.
type Claim struct {
	Token  string
	Alerts []ClaimedAlert
}

// ClaimAlerts leases up to limit alerts due at now, for lease, and returns
// them urgent first, then oldest first. Rows leased by another worker are
// skipped, so several server instances never claim the same alert while
// its lease runs; an alert whose lease expired (its worker died mid-send)
// is claimed again. now is the worker's clock, the one that set due_at.
func (db *DB) ClaimAlerts(ctx context.Context, now time.Time, limit int, lease time.Duration, attachTeams []string) (Claim, error) {
	c := Claim{Token: newUUID()}
	rows, err := db.pool.Query(ctx, `
		WITH claimed AS (
			UPDATE alerts a
			SET lease_until = now() + make_interval(secs => $2), lease_token = $3, attempts = a.attempts + 1
			FROM reports r
			WHERE r.id = a.report_id AND a.id IN (
				SELECT id FROM alerts
				WHERE state = 'pending' AND (due_at IS NULL OR due_at <= $5)
				  AND (lease_until IS NULL OR lease_until < now())
				ORDER BY urgent DESC, id
				LIMIT $1
				FOR UPDATE SKIP LOCKED)
			RETURNING a.id, a.kind, a.team, a.urgent, a.attempts, r.reference, r.received_on, r.teams,
			          CASE WHEN a.team = ANY($4) AND a.kind = 'report' THEN r.ciphertext END AS ciphertext
		)
		SELECT * FROM claimed ORDER BY urgent DESC, id`,
		limit, lease.Seconds(), c.Token, attachTeams, now)
	if err != nil {
		return c, fmt.Errorf("store.ClaimAlerts: %w", classify(err))
	}
	c.Alerts, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ClaimedAlert, error) {
		var a ClaimedAlert
		err := row.Scan(&a.ID, &a.Kind, &a.Team, &a.Urgent, &a.Attempts, &a.Reference, &a.ReceivedOn, &a.Teams, &a.Ciphertext)
		return a, err
	})
	if err != nil {
		return c, fmt.Errorf("store.ClaimAlerts: %w", classify(err))
	}
	return c, nil
}

// AlertsDelivered deletes delivered alerts: nothing about them remains.
func (db *DB) AlertsDelivered(ctx context.Context, token string, ids []int64) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM alerts WHERE id = ANY($1) AND lease_token = $2`, ids, token)
	if err != nil {
		return fmt.Errorf("store.AlertsDelivered: %w", classify(err))
	}
	return nil
}

// AlertsRetry releases alerts for another attempt at dueAt, recording why
// this one failed.
func (db *DB) AlertsRetry(ctx context.Context, token string, ids []int64, dueAt time.Time, reason string) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE alerts SET lease_until = NULL, lease_token = NULL, due_at = $3, last_error = $4
		WHERE id = ANY($1) AND lease_token = $2`, ids, token, dueAt, reason)
	if err != nil {
		return fmt.Errorf("store.AlertsRetry: %w", classify(err))
	}
	return nil
}

// AlertsRelease hands alerts back untried, due at dueAt (nil: at once),
// without counting an attempt: a worker that stops before trying, or
// holds alerts back to coalesce them during a flood.
func (db *DB) AlertsRelease(ctx context.Context, token string, ids []int64, dueAt *time.Time) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE alerts SET lease_until = NULL, lease_token = NULL, due_at = $3, attempts = attempts - 1
		WHERE id = ANY($1) AND lease_token = $2`, ids, token, dueAt)
	if err != nil {
		return fmt.Errorf("store.AlertsRelease: %w", classify(err))
	}
	return nil
}

// AlertsRelayBack makes every alert that waits for a retry after a failure
// due at once, for when the relay has come back: the next claims then take
// them urgent first. Alerts held for a digest or a flood are left alone.
// It returns how many were waiting.
func (db *DB) AlertsRelayBack(ctx context.Context) (int, error) {
	tag, err := db.pool.Exec(ctx, `
		UPDATE alerts SET due_at = NULL
		WHERE state = 'pending' AND due_at IS NOT NULL AND last_error IS NOT NULL
		  AND (lease_until IS NULL OR lease_until < now())`)
	if err != nil {
		return 0, fmt.Errorf("store.AlertsRelayBack: %w", classify(err))
	}
	return int(tag.RowsAffected()), nil
}

// AlertsFailed marks alerts as permanently failed, with the reason. They
// stay listed until an operator retries them.
func (db *DB) AlertsFailed(ctx context.Context, token string, ids []int64, reason string) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE alerts SET state = 'failed', lease_until = NULL, lease_token = NULL, last_error = $3
		WHERE id = ANY($1) AND lease_token = $2`, ids, token, reason)
	if err != nil {
		return fmt.Errorf("store.AlertsFailed: %w", classify(err))
	}
	return nil
}

// AlertInfo is an undelivered alert, for the operator.
type AlertInfo struct {
	ID        int64
	Reference string
	Team      string
	Urgent    bool
	State     string // "pending" or "failed"
	Attempts  int
	DueAt     *time.Time
	Leased    bool
	LastError string
}

// ListAlerts returns undelivered alerts in state ("pending", "failed", or
// "" for both), oldest first.
func (db *DB) ListAlerts(ctx context.Context, state string) ([]AlertInfo, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT a.id, r.reference, a.team, a.urgent, a.state, a.attempts, a.due_at,
		       coalesce(a.lease_until > now(), false), coalesce(a.last_error, '')
		FROM alerts a JOIN reports r ON r.id = a.report_id
		WHERE $1 = '' OR a.state = $1
		ORDER BY a.id`, state)
	if err != nil {
		return nil, fmt.Errorf("store.ListAlerts: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AlertInfo, error) {
		var a AlertInfo
		err := row.Scan(&a.ID, &a.Reference, &a.Team, &a.Urgent, &a.State, &a.Attempts, &a.DueAt, &a.Leased, &a.LastError)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.ListAlerts: %w", classify(err))
	}
	return out, nil
}

// RetryFailedAlerts makes failed alerts pending again, due at once: the
// given ids, or every failed alert when ids is empty. It returns how many.
func (db *DB) RetryFailedAlerts(ctx context.Context, ids []int64) (int, error) {
	tag, err := db.pool.Exec(ctx, `
		UPDATE alerts SET state = 'pending', due_at = NULL, attempts = 0
		WHERE state = 'failed' AND (coalesce(cardinality($1::bigint[]), 0) = 0 OR id = ANY($1))`, ids)
	if err != nil {
		return 0, fmt.Errorf("store.RetryFailedAlerts: %w", classify(err))
	}
	if tag.RowsAffected() > 0 {
		db.pool.Exec(ctx, `SELECT pg_notify($1, '')`, AlertChannel)
	}
	return int(tag.RowsAffected()), nil
}

// ListenAlerts calls wake whenever a report with alerts commits, until ctx
// is done, after calling listening once it listens. It holds one
// connection; on a connection error it returns, and the caller may call it
// again.
func (db *DB) ListenAlerts(ctx context.Context, listening, wake func()) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store.ListenAlerts: %w", classify(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+AlertChannel); err != nil {
		return fmt.Errorf("store.ListenAlerts: %w", classify(err))
	}
	defer func() {
		// Do not return a listening connection to the pool.
		conn.Conn().Close(context.Background())
	}()
	listening()
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return fmt.Errorf("store.ListenAlerts: %w", classify(err))
		}
		wake()
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
