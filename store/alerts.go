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

// ClaimAlerts leases up to limit due alerts, urgent first, for lease. Rows
// leased by another worker are skipped, so several server instances never
// claim the same alert while its lease runs; an alert whose lease expired
// (its worker died mid-send) is claimed again.
func (db *DB) ClaimAlerts(ctx context.Context, limit int, lease time.Duration, attachTeams []string) (Claim, error) {
	c := Claim{Token: newUUID()}
	rows, err := db.pool.Query(ctx, `
		UPDATE alerts a
		SET lease_until = now() + make_interval(secs => $2), lease_token = $3, attempts = a.attempts + 1
		FROM reports r
		WHERE r.id = a.report_id AND a.id IN (
			SELECT id FROM alerts
			WHERE state = 'pending' AND (due_at IS NULL OR due_at <= now())
			  AND (lease_until IS NULL OR lease_until < now())
			ORDER BY urgent DESC, due_at NULLS FIRST, id
			LIMIT $1
			FOR UPDATE SKIP LOCKED)
		RETURNING a.id, a.kind, a.team, a.urgent, a.attempts, r.reference, r.received_on, r.teams,
		          CASE WHEN a.team = ANY($4) AND a.kind = 'report' THEN r.ciphertext END`,
		limit, lease.Seconds(), c.Token, attachTeams)
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
// this one failed. A nil dueAt makes them due at once without counting the
// attempt (used when a worker stops before trying).
func (db *DB) AlertsRetry(ctx context.Context, token string, ids []int64, dueAt *time.Time, reason string) error {
	var err error
	if dueAt == nil {
		_, err = db.pool.Exec(ctx, `
			UPDATE alerts SET lease_until = NULL, lease_token = NULL, due_at = NULL, attempts = attempts - 1
			WHERE id = ANY($1) AND lease_token = $2`, ids, token)
	} else {
		_, err = db.pool.Exec(ctx, `
			UPDATE alerts SET lease_until = NULL, lease_token = NULL, due_at = $3, last_error = $4
			WHERE id = ANY($1) AND lease_token = $2`, ids, token, *dueAt, reason)
	}
	if err != nil {
		return fmt.Errorf("store.AlertsRetry: %w", classify(err))
	}
	return nil
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
// is done. It holds one connection; on a connection error it returns, and
// the caller may call it again.
func (db *DB) ListenAlerts(ctx context.Context, wake func()) error {
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
