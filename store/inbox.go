package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// InboxCase is a case with its ciphertext, as a handler's client loads its
// inbox, and the clear facts about the reporter's follow-ups: how many,
// and the id of the newest (0 when none).
type InboxCase struct {
	Case
	FollowUps    int
	LastFollowUp int64
}

// InboxCases returns a page of the cases routed to team, newest first,
// with their ciphertexts, and the number of such cases; one audit entry
// records the read.
func (db *DB) InboxCases(ctx context.Context, team string, limit, offset int, a Audit) ([]InboxCase, int, error) {
	var out []InboxCase
	total := 0
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT `+caseColumns+`, reply_recipient, ciphertext, count(*) OVER (),
			       coalesce(f.n, 0), coalesce(f.last, 0)
			FROM reports r
			LEFT JOIN LATERAL (
				SELECT count(*) AS n, max(id) AS last FROM notes WHERE report_id = r.id AND kind = 'followup'
			) f ON true
			WHERE $1 = ANY (teams)
			ORDER BY received_on DESC, reference
			LIMIT $2 OFFSET $3`, team, limit, offset)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (InboxCase, error) {
			var c InboxCase
			var err error
			c.CaseMeta, err = scanMeta(row, &c.ReplyRecipient, &c.Ciphertext, &total, &c.FollowUps, &c.LastFollowUp)
			return c, err
		})
		return err
	})
	return out, total, err
}
