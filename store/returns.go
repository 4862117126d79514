package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReturnCase is what a reporter's return visit may see of their case.
type ReturnCase struct {
	ID           string
	Reference    string
	Status       string
	StatusDetail string
	Teams        []string
	ReceivedOn   time.Time
}

// CaseByReceiptHash finds the case whose receipt hashes to hash.
func (db *DB) CaseByReceiptHash(ctx context.Context, hash []byte) (ReturnCase, error) {
	return db.returnCase(ctx, "receipt_hash = $1", hash)
}

// CaseByID is CaseByReceiptHash by the case's id, for a visit already
// opened with the receipt.
func (db *DB) CaseByID(ctx context.Context, id string) (ReturnCase, error) {
	return db.returnCase(ctx, "id = $1", id)
}

func (db *DB) returnCase(ctx context.Context, where string, arg any) (ReturnCase, error) {
	var c ReturnCase
	err := db.pool.QueryRow(ctx, `
		SELECT id, reference, status, coalesce(status_detail, ''), teams, received_on
		FROM reports WHERE `+where, arg).
		Scan(&c.ID, &c.Reference, &c.Status, &c.StatusDetail, &c.Teams, &c.ReceivedOn)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("store.returnCase: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store.returnCase: %w", classify(err))
	}
	return c, nil
}

// ReporterNotes returns the replies and the reporter's own follow-ups on a
// case, oldest first.
func (db *DB) ReporterNotes(ctx context.Context, reportID string) ([]Note, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT id, kind, team, author, created_on, ciphertext FROM notes
		WHERE report_id = $1 AND kind IN ('reply', 'followup') ORDER BY id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("store.ReporterNotes: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Note])
	if err != nil {
		return nil, fmt.Errorf("store.ReporterNotes: %w", classify(err))
	}
	return out, nil
}

// AddFollowUp stores a reporter's encrypted follow-up and its alerts (one
// per routed team; a team that already has a follow-up alert waiting gets
// no second one) in one statement.
func (db *DB) AddFollowUp(ctx context.Context, reportID string, ciphertext []byte, alerts []NewAlert) error {
	teams, urgent, due := alertColumns(alerts)
	_, err := db.pool.Exec(ctx, `
		WITH src AS (
			INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
			VALUES ($1, 'followup', '', 'reporter', current_date, $2)
			RETURNING report_id
		)`+enqueueAlerts("followup", 3),
		reportID, ciphertext, AlertChannel, teams, urgent, due)
	if err != nil {
		return fmt.Errorf("store.AddFollowUp: %w", classify(err))
	}
	return nil
}
