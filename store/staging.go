package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Staging: the files of a report are stored before the report, chunk by
// chunk in short statements of their own (StageAttachment, ChunkWriter),
// and the report adopts them in the one short transaction that stores it
// (InsertReportWithFiles). Nothing holds a connection or a lock while a
// client sends. Staged rows and submission claims carry a lease that their
// request renews (RenewStaged); the sweep (DeleteAbandonedAttachments)
// removes what a crashed or cut-off request left once the lease is over.

// ErrInFlight is a form whose report is still arriving: another request
// holds its submission key's claim. Nothing was stored or waited for.
var ErrInFlight = errors.New("store: this form's report is still arriving")

// secs is a lease as the seconds PostgreSQL's make_interval takes.
func secs(d time.Duration) float64 { return d.Seconds() }

// ClaimSubmission claims submission key for a report that is arriving
// with files, for lease. It returns the claim (to renew and release it),
// an *AlreadyStoredError when a report with the key is stored, or
// ErrInFlight when another live claim holds it. An expired claim is taken
// over. One statement: two requests with the same key cannot both claim it.
func (db *DB) ClaimSubmission(ctx context.Context, key []byte, lease time.Duration) (string, error) {
	var id, ref, claim *string
	err := db.pool.QueryRow(ctx, `
		WITH done AS (
			SELECT id, reference FROM reports WHERE submission_key = $1
		), claimed AS (
			INSERT INTO submission_claims (submission_key, claim, expires_at)
			SELECT $1, gen_random_uuid(), now() + make_interval(secs => $2) WHERE NOT EXISTS (SELECT 1 FROM done)
			ON CONFLICT (submission_key) DO UPDATE SET claim = EXCLUDED.claim, expires_at = EXCLUDED.expires_at
			WHERE submission_claims.expires_at < now()
			RETURNING claim
		)
		SELECT (SELECT id::text FROM done), (SELECT reference FROM done), (SELECT claim::text FROM claimed)`,
		key, secs(lease)).Scan(&id, &ref, &claim)
	switch {
	case err != nil:
		return "", fmt.Errorf("store.ClaimSubmission: %w", classify(err))
	case id != nil:
		return "", &AlreadyStoredError{ID: *id, Reference: *ref}
	case claim == nil:
		return "", ErrInFlight
	}
	return *claim, nil
}

// ReleaseClaim removes a claim that did not lead to a stored report.
func (db *DB) ReleaseClaim(ctx context.Context, key []byte, claim string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM submission_claims WHERE submission_key = $1 AND claim = $2`, key, claim); err != nil {
		return fmt.Errorf("store.ReleaseClaim: %w", classify(err))
	}
	return nil
}

// StageAttachment starts a staged file: an attachment row with no report
// yet, deleted by the sweep after lease unless renewed or adopted.
func (db *DB) StageAttachment(ctx context.Context, lease time.Duration) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `INSERT INTO attachments (report_id, expires_at) VALUES (NULL, now() + make_interval(secs => $1)) RETURNING id`, secs(lease)).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("store.StageAttachment: %w", classify(err))
	}
	return id, nil
}

// RenewStaged extends, by lease from now, the leases of the unfinished
// attachments ids and of the claim (if claim is not "") on key. One
// statement.
func (db *DB) RenewStaged(ctx context.Context, ids []string, key []byte, claim string, lease time.Duration) error {
	_, err := db.pool.Exec(ctx, `
		WITH c AS (
			UPDATE submission_claims SET expires_at = now() + make_interval(secs => $4)
			WHERE $3 <> '' AND submission_key = $2 AND claim::text = $3
		)
		UPDATE attachments SET expires_at = now() + make_interval(secs => $4)
		WHERE id = ANY ($1::uuid[]) AND NOT complete`, ids, key, claim, secs(lease))
	if err != nil {
		return fmt.Errorf("store.RenewStaged: %w", classify(err))
	}
	return nil
}

// DeleteAttachments removes attachments and their chunks (staged files
// of a report that was not stored).
func (db *DB) DeleteAttachments(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM attachments WHERE id = ANY ($1::uuid[]) AND NOT complete`, ids); err != nil {
		return fmt.Errorf("store.DeleteAttachments: %w", classify(err))
	}
	return nil
}

// StagedFile is a staged attachment, complete, ready to be adopted by its
// report: its padded size and sealed manifest.
type StagedFile struct {
	ID         string
	SizeBucket int64
	Manifest   []byte
}

// ErrStagedGone is a staged file that is no longer there to adopt (its
// lease ran out and the sweep removed it).
var ErrStagedGone = errors.New("store: a staged file is gone")

// InsertReportWithFiles stores a report, its alerts and its staged files
// in one short transaction, and releases the claim (claim on the report's
// submission key, if not ""). As InsertReport; a staged file that is gone
// is ErrStagedGone, and nothing is stored. The transaction is not
// committed once ctx is done.
func (db *DB) InsertReportWithFiles(ctx context.Context, r NewReport, alerts []NewAlert, files []StagedFile, claim string) (string, error) {
	var id string
	err := db.InTx(ctx, func(tx *DB) error {
		var err error
		if id, err = tx.insertReport(ctx, r, alerts, claim); err != nil {
			return err
		}
		ids, buckets, manifests := make([]string, len(files)), make([]int64, len(files)), make([][]byte, len(files))
		for i, f := range files {
			ids[i], buckets[i], manifests[i] = f.ID, f.SizeBucket, f.Manifest
		}
		var n int
		err = tx.tx.QueryRow(ctx, `
			WITH f AS (
				SELECT * FROM unnest($2::uuid[], $3::bigint[], $4::bytea[]) AS f(id, size_bucket, manifest)
			), adopted AS (
				UPDATE attachments a SET report_id = $1, complete = true, expires_at = NULL,
				       size_bucket = f.size_bucket, manifest = f.manifest
				FROM f WHERE a.id = f.id AND a.report_id IS NULL AND NOT a.complete
				RETURNING a.id
			), counted AS (
				UPDATE reports SET attachment_count = attachment_count + (SELECT count(*) FROM adopted) WHERE id = $1
			), released AS (
				DELETE FROM submission_claims WHERE $6 <> '' AND submission_key = $5 AND claim::text = $6
			)
			SELECT count(*) FROM adopted`, id, ids, buckets, manifests, r.SubmissionKey, claim).Scan(&n)
		if err != nil {
			return fmt.Errorf("store.InsertReportWithFiles: %w", classify(err))
		}
		if n != len(files) {
			return fmt.Errorf("store.InsertReportWithFiles: %w", ErrStagedGone)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
