package casework

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/store"
)

// Inbox returns a page of the team's cases with their ciphertexts, newest
// first, so a client can load and decrypt a whole inbox in a few requests:
// the cases after the cursor after ("" for the first page), at most limit
// of them and no more ciphertext than the configured byte budget
// (handlers.inbox_page_bytes). A case whose ciphertext alone is larger is
// listed without it (Omitted). The page's Next is the cursor of the
// following page, "" on the last. One audit entry records each page read.
func (s *Service) Inbox(ctx context.Context, h store.Handler, after string, limit int) (InboxPage, error) {
	if limit <= 0 || limit > config.MaxInboxCases {
		limit = config.MaxInboxCases
	}
	from, err := ParseInboxCursor(after)
	if err != nil {
		return InboxPage{}, err
	}
	p, err := s.db.InboxCases(ctx, h.Team, from, limit, s.InboxPageBytes(),
		s.audit(h, "case.inbox", "", fmt.Sprintf("after=%s limit=%d", cmp.Or(after, "-"), limit)))
	if err != nil {
		return InboxPage{}, err
	}
	out := InboxPage{Cases: p.Cases, Total: p.Total}
	if p.More && len(p.Cases) > 0 {
		last := p.Cases[len(p.Cases)-1]
		out.Next = InboxCursor(last.ReceivedOn, last.Reference)
	}
	return out, nil
}

// InboxPageBytes is the most ciphertext a page of the inbox carries.
// (handlers.inbox_page_bytes; 8 MiB when not configured).
func (s *Service) InboxPageBytes() int64 { return cmp.Or(s.cfg.Handlers.InboxPageBytes, 8<<20) }

// InboxPage is a page of the inbox.
type InboxPage struct {
	Cases []store.InboxCase
	Total int    // cases routed to the team, in all
	Next  string // the cursor of the next page; "" on the last page
}

// InboxCursor is the cursor of the page that follows the case received on
// day with reference ref: "YYYY-MM-DD.XXXX-XXXX". It names a place in the
// inbox's order, not an offset, so cases that arrive between two pages
// never shift the pages that follow.
func InboxCursor(day time.Time, ref string) string {
	return day.Format(time.DateOnly) + "." + ref
}

// ParseInboxCursor reads a cursor from InboxCursor ("" is the start); a
// cursor of any other shape is refused.
func ParseInboxCursor(s string) (store.InboxAfter, error) {
	if s == "" {
		return store.InboxAfter{}, nil
	}
	bad := invalidf("after", "is not a cursor that this server gave (the \"next\" of the page before); start again from the first page")
	dayText, ref, ok := strings.Cut(s, ".")
	if !ok || len(dayText) != len(time.DateOnly) || !envelope.ValidReference(ref) {
		return store.InboxAfter{}, bad
	}
	day, err := time.Parse(time.DateOnly, dayText)
	if err != nil || day.Format(time.DateOnly) != dayText || day.Year() < 2000 {
		return store.InboxAfter{}, bad
	}
	return store.InboxAfter{Day: day, Reference: ref}, nil
}
