package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CaseMeta is a case's clear metadata, as handlers see it in lists.
type CaseMeta struct {
	Reference    string
	ReceivedOn   time.Time
	Status       string
	StatusDetail string
	Urgency      string
	Assignee     string
	NextDeadline *time.Time
	SizeBucket   int
	Channel      string
	Teams        []string
}

// Case is a case's metadata with its ciphertext and the reporter's reply
// recipient.
type Case struct {
	CaseMeta
	ReplyRecipient string
	Ciphertext     []byte
}

// CaseFilter selects and orders a page of cases.
type CaseFilter struct {
	Status, Urgency, Assignee string // "" for any; Assignee "-" for unassigned
	Sort                      string // a key of caseOrders
	Limit, Offset             int
}

// caseOrders are the orderings handlers may ask for. Only these strings
// ever reach the SQL text.
var caseOrders = map[string]string{
	"":          "received_on DESC, reference",
	"received":  "received_on DESC, reference",
	"-received": "received_on ASC, reference",
	"urgency":   "urgency ASC NULLS LAST, received_on DESC, reference",
	"deadline":  "next_deadline ASC NULLS LAST, received_on DESC, reference",
	"status":    "status, received_on DESC, reference",
}

// ValidCaseSort reports whether s is an ordering ListCases accepts.
func ValidCaseSort(s string) bool { _, ok := caseOrders[s]; return ok }

const caseColumns = `reference, received_on, status, coalesce(status_detail, ''), coalesce(urgency, ''),
	coalesce(assignee, ''), next_deadline, size_bucket, channel, teams`

func scanMeta(row pgx.Row, extra ...any) (CaseMeta, error) {
	var m CaseMeta
	err := row.Scan(append([]any{&m.Reference, &m.ReceivedOn, &m.Status, &m.StatusDetail, &m.Urgency,
		&m.Assignee, &m.NextDeadline, &m.SizeBucket, &m.Channel, &m.Teams}, extra...)...)
	return m, err
}

// ListCases returns a page of the cases routed to team and how many match
// in all.
func (db *DB) ListCases(ctx context.Context, team string, f CaseFilter, a Audit) ([]CaseMeta, int, error) {
	order, ok := caseOrders[f.Sort]
	if !ok {
		return nil, 0, fmt.Errorf("store.ListCases: unknown order %q", f.Sort)
	}
	var out []CaseMeta
	total := 0
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT `+caseColumns+`, count(*) OVER ()
			FROM reports
			WHERE $1 = ANY (teams)
			  AND ($2 = '' OR status = $2)
			  AND ($3 = '' OR urgency = $3)
			  AND ($4 = '' OR ($4 = '-' AND assignee IS NULL) OR assignee = $4)
			ORDER BY `+order+`
			LIMIT $5 OFFSET $6`, team, f.Status, f.Urgency, f.Assignee, f.Limit, f.Offset)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (CaseMeta, error) {
			return scanMeta(row, &total)
		})
		return err
	})
	return out, total, err
}

// FetchCase returns a case routed to team, with its ciphertext. A case
// that does not exist and one routed elsewhere are both ErrNotFound.
func (db *DB) FetchCase(ctx context.Context, team, ref string, a Audit) (Case, error) {
	var c Case
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		var err error
		c.CaseMeta, err = scanMeta(tx.QueryRow(ctx, `
			SELECT `+caseColumns+`, reply_recipient, ciphertext
			FROM reports WHERE reference = $1 AND $2 = ANY (teams)`, ref, team), &c.ReplyRecipient, &c.Ciphertext)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	return c, err
}

// CaseChange is a set of workflow changes; nil fields are left alone.
type CaseChange struct {
	Status       *string
	StatusDetail *string // "" clears
	Urgency      *string // "" clears
	Assignee     *string // "" clears
	NextDeadline *string // YYYY-MM-DD, "" clears
}

// UpdateCase applies ch to a case routed to team. check sees the case as
// it stands, under a row lock, and may refuse the change or complete the
// audit record (*a), which is appended in the same transaction.
func (db *DB) UpdateCase(ctx context.Context, team, ref string, ch CaseChange, check func(CaseMeta) error, a *Audit) (CaseMeta, error) {
	var m CaseMeta
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		cur, err := scanMeta(tx.QueryRow(ctx, `SELECT `+caseColumns+` FROM reports WHERE reference = $1 AND $2 = ANY (teams) FOR UPDATE`, ref, team))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		m, err = scanMeta(tx.QueryRow(ctx, `
			UPDATE reports SET
				status_changed_on = CASE WHEN $2::text IS NOT NULL AND $2 <> status THEN current_date ELSE status_changed_on END,
				status        = coalesce($2, status),
				status_detail = CASE WHEN $3::text IS NULL THEN status_detail ELSE nullif($3, '') END,
				urgency       = CASE WHEN $4::text IS NULL THEN urgency ELSE nullif($4, '') END,
				assignee      = CASE WHEN $5::text IS NULL THEN assignee ELSE nullif($5, '') END,
				next_deadline = CASE WHEN $6::text IS NULL THEN next_deadline ELSE nullif($6, '')::date END
			WHERE reference = $1
			RETURNING `+caseColumns, ref, ch.Status, ch.StatusDetail, ch.Urgency, ch.Assignee, ch.NextDeadline))
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, *a)
	})
	if err != nil {
		return m, fmt.Errorf("store.UpdateCase(%s): %w", ref, classify(err))
	}
	return m, nil
}

// CaseVisible reports whether a case with reference ref is routed to team.
func (db *DB) CaseVisible(ctx context.Context, team, ref string) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reports WHERE reference = $1 AND $2 = ANY (teams))`, ref, team).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store.CaseVisible: %w", classify(err))
	}
	return ok, nil
}

// Note is an encrypted note, reply or follow-up.
type Note struct {
	ID         int64
	Kind       string // "note", "reply" or "followup" (from the reporter)
	Team       string
	Author     string
	CreatedOn  time.Time
	Ciphertext []byte
}

// AddNote stores an encrypted note or reply on a case routed to team.
func (db *DB) AddNote(ctx context.Context, team, ref string, n Note, a Audit) (int64, error) {
	var id int64
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
			SELECT id, $3, $4, $5, current_date, $6 FROM reports WHERE reference = $1 AND $2 = ANY (teams)
			RETURNING id`, ref, team, n.Kind, n.Team, n.Author, n.Ciphertext).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	return id, err
}

// ListNotes returns a case's notes written by team, every reply and every
// follow-up from the reporter, oldest first.
func (db *DB) ListNotes(ctx context.Context, team, ref string, a Audit) ([]Note, error) {
	var out []Note
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reports WHERE reference = $1 AND $2 = ANY (teams))`, ref, team).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		rows, err := tx.Query(ctx, `
			SELECT n.id, n.kind, n.team, n.author, n.created_on, n.ciphertext
			FROM notes n JOIN reports r ON r.id = n.report_id
			WHERE r.reference = $1 AND (n.kind IN ('reply', 'followup') OR n.team = $2)
			ORDER BY n.id`, ref, team)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Note])
		return err
	})
	return out, err
}

// Rekey replaces a case's ciphertext, and those of the given notes (the
// team's notes and the case's replies only), with versions encrypted to
// the current recipients.
func (db *DB) Rekey(ctx context.Context, team, ref string, ciphertext []byte, notes map[int64][]byte, manifests map[string][]byte, a Audit) error {
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `
			UPDATE reports SET ciphertext = $3 WHERE reference = $1 AND $2 = ANY (teams) RETURNING id`,
			ref, team, ciphertext).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		for nid, ct := range notes {
			tag, err := tx.Exec(ctx, `
				UPDATE notes SET ciphertext = $3 WHERE id = $1 AND report_id = $2 AND (kind IN ('reply', 'followup') OR team = $4)`,
				nid, id, ct, team)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%w: note %d is not one of this team's notes on the case", ErrNotFound, nid)
			}
		}
		for aid, m := range manifests {
			tag, err := tx.Exec(ctx, `UPDATE attachments SET manifest = $3 WHERE id = $1 AND report_id = $2 AND complete`, aid, id, m)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%w: attachment %s is not on the case", ErrNotFound, aid)
			}
		}
		return nil
	})
}
