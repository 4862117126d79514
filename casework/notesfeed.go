package casework

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/store"
)

// TeamNotes returns a page of the notes feed: every note ListNotes would
// return to the handler on any of the team's cases, each with its case's
// reference, by note id, so a client reads all its team's notes in a few
// requests instead of one per case. The page holds the notes after the
// cursor after ("" for the first page), at most limit of them and no more
// ciphertext than the inbox's byte budget (handlers.inbox_page_bytes); a
// note whose ciphertext alone is larger is listed without it (Omitted).
// The page's Next is the cursor of the following page, "" on the last.
// One audit entry records each page read.
func (s *Service) TeamNotes(ctx context.Context, h store.Handler, after string, limit int) (NotesPage, error) {
	if limit <= 0 || limit > config.MaxFeedNotes {
		limit = config.MaxFeedNotes
	}
	from, err := ParseNotesCursor(after)
	if err != nil {
		return NotesPage{}, err
	}
	p, err := s.db.TeamNotes(ctx, h.Team, from, limit, s.InboxPageBytes(),
		s.audit(h, "case.notes", "", fmt.Sprintf("feed after=%s limit=%d", cmp.Or(after, "-"), limit)))
	if err != nil {
		return NotesPage{}, err
	}
	out := NotesPage{Notes: p.Notes}
	if p.More && len(p.Notes) > 0 {
		out.Next = strconv.FormatInt(p.Notes[len(p.Notes)-1].ID, 10)
	}
	return out, nil
}

// NotesPage is a page of the notes feed.
type NotesPage struct {
	Notes []store.FeedNote
	Next  string // the cursor of the next page; "" on the last page
}

// ParseNotesCursor reads a cursor of the notes feed: the id of the last
// note of the page before, in decimal ("" is the start). Anything else
// (a sign, leading zeros, a number out of range) is refused.
func ParseNotesCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != s {
		return 0, invalidf("after", "is not a cursor that this server gave (the \"next\" of the page before); start again from the first page")
	}
	return id, nil
}
