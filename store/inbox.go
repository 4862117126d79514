package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// InboxCase is a case with its ciphertext, as a handler's client loads its
// inbox, and the clear facts about the reporter's follow-ups: how many,
// and the id of the newest (0 when none). Omitted is set, and Ciphertext
// left empty, for a case whose ciphertext alone is larger than the page's
// byte budget: the client fetches it on its own.
type InboxCase struct {
	Case
	FollowUps    int
	LastFollowUp int64
	Omitted      bool
}

// InboxAfter is where a page of the inbox starts: after the case received
// on Day with Reference, in the inbox's order (newest day first, then by
// reference). The zero value starts at the newest case.
type InboxAfter struct {
	Day       time.Time
	Reference string
}

// InboxPage is a page of the inbox: its cases, the number of cases routed
// to the team in all, and whether more follow the last one.
type InboxPage struct {
	Cases []InboxCase
	Total int
	More  bool
}

// InboxCases returns a page of the cases routed to team, newest first,
// with their ciphertexts: the cases after after, at most limit of them,
// and no more than fit in budget bytes of ciphertext. A case whose
// ciphertext alone is larger than budget is listed without it (Omitted)
// and counts for nothing, so no page is empty while cases remain. The
// page is cut by keyset (after the last case listed), so cases that
// arrive meanwhile never make a case appear twice or go missing from the
// pages that follow. One audit entry records the read.
func (db *DB) InboxCases(ctx context.Context, team string, after InboxAfter, limit int, budget int64, a Audit) (InboxPage, error) {
	var p InboxPage
	candidates := 0
	var day *time.Time
	if after.Reference != "" {
		day = &after.Day
	}
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM reports WHERE $1 = ANY (teams)`, team).Scan(&p.Total); err != nil {
			return err
		}
		// octet_length reads a stored value's size from its header,
		// without reading the value.
		rows, err := tx.Query(ctx, `
			WITH c AS (
				SELECT id AS c_id, received_on AS c_day, reference AS c_ref, octet_length(ciphertext) AS c_size
				FROM reports
				WHERE $1 = ANY (teams)
				  AND ($2::date IS NULL OR received_on < $2 OR (received_on = $2 AND reference > $3))
				ORDER BY received_on DESC, reference
				LIMIT $4 + 1
			), w AS (
				SELECT c_id, c_size, count(*) OVER () AS w_candidates,
				       sum(CASE WHEN c_size <= $5 THEN c_size ELSE 0 END)
				           OVER (ORDER BY c_day DESC, c_ref ROWS UNBOUNDED PRECEDING) AS w_upto
				FROM c
			)
			SELECT `+caseColumns+`, reply_recipient,
			       CASE WHEN c_size <= $5 THEN ciphertext ELSE ''::bytea END, c_size > $5,
			       w_candidates,
			       coalesce(f.n, 0), coalesce(f.last, 0)
			FROM w JOIN reports r ON r.id = w.c_id
			LEFT JOIN LATERAL (
				SELECT count(*) AS n, max(id) AS last FROM notes WHERE report_id = r.id AND kind = 'followup'
			) f ON true
			WHERE w_upto <= $5
			ORDER BY received_on DESC, reference`, team, day, after.Reference, limit, budget)
		if err != nil {
			return err
		}
		p.Cases, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (InboxCase, error) {
			var c InboxCase
			var err error
			c.CaseMeta, err = scanMeta(row, &c.ReplyRecipient, &c.Ciphertext, &c.Omitted, &candidates, &c.FollowUps, &c.LastFollowUp)
			return c, err
		})
		return err
	})
	if err != nil {
		return InboxPage{}, err
	}
	if len(p.Cases) > limit {
		p.Cases = p.Cases[:limit]
	}
	p.More = candidates > len(p.Cases)
	return p, nil
}
