package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/audit"
)

// auditLock serialises appends to the audit chain.
const auditLock = 7_294_117_002

// Audit describes the audit entry that an action appends, in the action's
// own transaction: the action and its record commit together or not at all.
type Audit struct {
	Key       []byte // from audit.Key
	Actor     string
	Action    string
	Reference string
	Detail    string
}

// appendAudit adds an entry at the end of the chain inside tx.
func appendAudit(ctx context.Context, tx pgx.Tx, a Audit) error {
	if len(a.Key) == 0 {
		return errors.New("store: audit entry without a key")
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLock); err != nil {
		return err
	}
	var seq int64
	prev := audit.Genesis
	err := tx.QueryRow(ctx, `SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	e := audit.Entry{Seq: seq + 1, At: audit.Normalize(time.Now()), Actor: a.Actor, Action: a.Action, Reference: a.Reference, Detail: a.Detail, PrevMAC: prev}
	e.MAC = audit.ComputeMAC(a.Key, prev, e)
	_, err = tx.Exec(ctx, `
		INSERT INTO audit_log (seq, at, actor, action, reference, detail, prev_mac, mac)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.Seq, e.At, e.Actor, e.Action, e.Reference, e.Detail, e.PrevMAC, e.MAC)
	return err
}

// Audited runs fn and appends a to the audit log in one transaction.
func (db *DB) Audited(ctx context.Context, a Audit, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if fn != nil {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", a.Action, classify(err))
	}
	return nil
}

// AuditEntries calls fn for every audit entry in sequence order, until fn
// returns an error.
func (db *DB) AuditEntries(ctx context.Context, fn func(audit.Entry) error) error {
	rows, err := db.pool.Query(ctx, `SELECT seq, at, actor, action, reference, detail, prev_mac, mac FROM audit_log ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("store.AuditEntries: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e audit.Entry
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Reference, &e.Detail, &e.PrevMAC, &e.MAC); err != nil {
			return fmt.Errorf("store.AuditEntries: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store.AuditEntries: %w", classify(err))
	}
	return nil
}
