package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChunkSize is the size of the pieces an attachment's ciphertext is stored
// in: the most of it held in memory at once.
const ChunkSize = 512 << 10

// Attachment is a stored attachment: its padded size and encrypted
// manifest. The content is read with AttachmentContent.
type Attachment struct {
	ID         string
	SizeBucket int64
	Manifest   []byte
}

// ErrNoSlot is an upload refused because its case has reached its file
// limit.
var ErrNoSlot = errors.New("store: the case has no room for another attachment")

// BeginAttachment starts an upload for a case, if the case has fewer than
// maxFiles attachments (complete or uploading); otherwise it returns
// ErrNoSlot. The check and the slot are one statement, so concurrent
// uploads cannot exceed the limit. Until FinishAttachment, the upload is
// abandoned after expires, deleted by DeleteAbandonedAttachments.
func (db *DB) BeginAttachment(ctx context.Context, reportID string, maxFiles int, expires time.Time) (string, error) {
	var id string
	err := db.q().QueryRow(ctx, `
		WITH slot AS (
			UPDATE reports SET attachment_count = attachment_count + 1
			WHERE id = $1 AND attachment_count < $2
			RETURNING id
		)
		INSERT INTO attachments (report_id, expires_at) SELECT id, $3 FROM slot RETURNING id`,
		reportID, maxFiles, expires).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNoSlot
	}
	if err != nil {
		return "", fmt.Errorf("store.BeginAttachment: %w", classify(err))
	}
	return id, nil
}

// ChunkWriter stores what is written to it as numbered chunks of an
// attachment, ChunkSize at a time. Close stores the rest.
type ChunkWriter struct {
	ctx context.Context
	db  *DB
	id  string
	seq int
	buf []byte
	n   int64
}

// NewChunkWriter returns a writer into attachment id's chunks.
func (db *DB) NewChunkWriter(ctx context.Context, id string) *ChunkWriter {
	return &ChunkWriter{ctx: ctx, db: db, id: id, buf: make([]byte, 0, ChunkSize)}
}

func (w *ChunkWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := min(len(p), ChunkSize-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == ChunkSize {
			if err := w.flush(); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

func (w *ChunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.db.q().Exec(w.ctx, `INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES ($1, $2, $3)`, w.id, w.seq, w.buf)
	if err != nil {
		return fmt.Errorf("store: storing an attachment chunk: %w", classify(err))
	}
	w.n += int64(len(w.buf))
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// Close stores the last chunk.
func (w *ChunkWriter) Close() error { return w.flush() }

// Written returns how many bytes have been stored.
func (w *ChunkWriter) Written() int64 { return w.n }

// FinishAttachment marks an upload complete with its manifest, and alerts
// the case's teams (as new information) in the same statement.
func (db *DB) FinishAttachment(ctx context.Context, id string, sizeBucket int64, manifest []byte, alerts []NewAlert) error {
	teams, urgent, due := alertColumns(alerts)
	_, err := db.q().Exec(ctx, `
		WITH src AS (
			UPDATE attachments SET complete = true, expires_at = NULL, size_bucket = $2, manifest = $3
			WHERE id = $1 AND NOT complete
			RETURNING report_id
		)`+enqueueAlerts("followup", 4),
		id, sizeBucket, manifest, AlertChannel, teams, urgent, due)
	if err != nil {
		return fmt.Errorf("store.FinishAttachment: %w", classify(err))
	}
	return nil
}

// DeleteAttachment removes an attachment and its chunks (an upload that
// failed or was refused).
func (db *DB) DeleteAttachment(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM attachments WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store.DeleteAttachment: %w", classify(err))
	}
	return nil
}

// DeleteAbandonedAttachments removes uploads that never completed before
// their expiry (staged files of reports whose request is gone included),
// and expired submission claims, and returns how many uploads.
func (db *DB) DeleteAbandonedAttachments(ctx context.Context) (int, error) {
	tag, err := db.pool.Exec(ctx, `
		WITH claims AS (DELETE FROM submission_claims WHERE expires_at < now())
		DELETE FROM attachments WHERE NOT complete AND expires_at < now()`)
	if err != nil {
		return 0, fmt.Errorf("store.DeleteAbandonedAttachments: %w", classify(err))
	}
	return int(tag.RowsAffected()), nil
}

// CaseAttachments lists the complete attachments of a case routed to team.
func (db *DB) CaseAttachments(ctx context.Context, team, ref string, a Audit) ([]Attachment, error) {
	var out []Attachment
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM reports WHERE reference = $1 AND $2 = ANY (teams)`, ref, team).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, size_bucket, manifest FROM attachments WHERE report_id = $1 AND complete ORDER BY id`, id)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Attachment])
		return err
	})
	return out, err
}

// attachmentVisible is true when attachment $1 is complete and belongs to
// case $2 routed to team $3.
const attachmentVisible = `
	SELECT EXISTS (SELECT 1 FROM attachments a JOIN reports r ON r.id = a.report_id
	               WHERE a.id = $1 AND a.complete AND r.reference = $2 AND $3 = ANY (r.teams))`

// AuditAttachmentFetch appends a, in one transaction with the check, only
// if attachment id is on a case routed to team; otherwise ErrNotFound and
// nothing is written.
func (db *DB) AuditAttachmentFetch(ctx context.Context, team, ref, id string, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, attachmentVisible, id, ref, team).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		return nil
	})
}

// AttachmentContent writes the ciphertext of attachment id, on a case
// routed to team, to w, one chunk at a time.
func (db *DB) AttachmentContent(ctx context.Context, team, ref, id string, w io.Writer) error {
	var ok bool
	err := db.pool.QueryRow(ctx, attachmentVisible, id, ref, team).Scan(&ok)
	if err != nil {
		return fmt.Errorf("store.AttachmentContent: %w", classify(err))
	}
	if !ok {
		return fmt.Errorf("store.AttachmentContent: %w", ErrNotFound)
	}
	for seq := 0; ; seq++ {
		var data []byte
		err := db.pool.QueryRow(ctx, `SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2`, id, seq).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store.AttachmentContent: %w", classify(err))
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
}
