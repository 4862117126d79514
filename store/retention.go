package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PurgeCandidate is a case that a retention policy says to delete.
type PurgeCandidate struct {
	Reference string
	Status    string
	Since     time.Time // the day it entered its status (or was received)
}

// PurgeCandidates lists the cases whose status has a retention period
// (days, by status) that has run out, counted from the day the status was
// last set, or the day received for a case never triaged.
func (db *DB) PurgeCandidates(ctx context.Context, days map[string]int) ([]PurgeCandidate, error) {
	var statuses []string
	var periods []int32
	for s, d := range days {
		if d > 0 {
			statuses, periods = append(statuses, s), append(periods, int32(d))
		}
	}
	if len(statuses) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `
		SELECT r.reference, r.status, coalesce(r.status_changed_on, r.received_on)
		FROM reports r JOIN unnest($1::text[], $2::int[]) AS p(status, days) ON p.status = r.status
		WHERE coalesce(r.status_changed_on, r.received_on) <= current_date - p.days
		ORDER BY 3, 1`, statuses, periods)
	if err != nil {
		return nil, fmt.Errorf("store.PurgeCandidates: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PurgeCandidate])
	if err != nil {
		return nil, fmt.Errorf("store.PurgeCandidates: %w", classify(err))
	}
	return out, nil
}

// Purge deletes a case and everything attached to it (ciphertext, notes,
// replies, follow-ups, attachments, alerts), if it is still in status,
// and audits it in the same transaction. It reports whether it deleted.
func (db *DB) Purge(ctx context.Context, ref, status string, a Audit) (bool, error) {
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM reports WHERE reference = $1 AND status = $2`, ref, status)
		if err == nil && tag.RowsAffected() == 0 {
			return errNothingPurged // changed meanwhile: no deletion, no audit entry
		}
		return err
	})
	if errors.Is(err, errNothingPurged) {
		return false, nil
	}
	return err == nil, err
}

var errNothingPurged = errors.New("nothing purged")
