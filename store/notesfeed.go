package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// FeedNote is a note of the team's notes feed: the note as ListNotes
// returns it, and the reference of its case. Omitted is set, and
// Ciphertext left empty, for a note whose ciphertext alone is larger than
// the page's byte budget: the client reads that case's notes on their own.
type FeedNote struct {
	Note
	Reference string
	Omitted   bool
}

// NotesPage is a page of the notes feed: its notes, and whether more
// follow the last one.
type NotesPage struct {
	Notes []FeedNote
	More  bool
}

// TeamNotes returns a page of every note ListNotes would return to team
// on any case routed to it (the team's own notes, every reply and every
// follow-up), by note id: the notes with an id above after, at most limit
// of them, and no more than fit in budget bytes of ciphertext. A note
// whose ciphertext alone is larger than budget is listed without it
// (Omitted) and counts for nothing, so no page is empty while notes
// remain. The page is cut by keyset (after the last note listed). One
// audit entry records the read.
func (db *DB) TeamNotes(ctx context.Context, team string, after int64, limit int, budget int64, a Audit) (NotesPage, error) {
	var p NotesPage
	candidates := 0
	err := db.Audited(ctx, a, func(tx pgx.Tx) error {
		// The access rule is ListNotes's, for each case: routed to the
		// team, and of its notes the team's own, replies and follow-ups.
		rows, err := tx.Query(ctx, `
			WITH c AS (
				SELECT n.id AS c_id, r.reference AS c_ref, octet_length(n.ciphertext) AS c_size
				FROM notes n JOIN reports r ON r.id = n.report_id
				WHERE $1 = ANY (r.teams) AND (n.kind IN ('reply', 'followup') OR n.team = $1) AND n.id > $2
				ORDER BY n.id
				LIMIT $3 + 1
			), w AS (
				SELECT c_id, c_ref, c_size, count(*) OVER () AS w_candidates,
				       sum(CASE WHEN c_size <= $4 THEN c_size ELSE 0 END)
				           OVER (ORDER BY c_id ROWS UNBOUNDED PRECEDING) AS w_upto
				FROM c
			)
			SELECT n.id, n.kind, n.team, n.author, n.created_on,
			       CASE WHEN w.c_size <= $4 THEN n.ciphertext ELSE ''::bytea END,
			       w.c_ref, w.c_size > $4, w.w_candidates
			FROM w JOIN notes n ON n.id = w.c_id
			WHERE w.w_upto <= $4
			ORDER BY n.id`, team, after, limit, budget)
		if err != nil {
			return err
		}
		p.Notes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (FeedNote, error) {
			var n FeedNote
			err := row.Scan(&n.ID, &n.Kind, &n.Team, &n.Author, &n.CreatedOn, &n.Ciphertext, &n.Reference, &n.Omitted, &candidates)
			return n, err
		})
		return err
	})
	if err != nil {
		return NotesPage{}, err
	}
	if len(p.Notes) > limit {
		p.Notes = p.Notes[:limit]
	}
	p.More = candidates > len(p.Notes)
	return p, nil
}
