package casework

import (
	"context"
	"fmt"

	"github.com/ohchr-reprisals/intake/store"
)

// MaxInboxPage bounds a page of the inbox: each case carries its
// ciphertext (a few KiB for most reports).
const MaxInboxPage = 500

// Inbox returns a page of the team's cases with their ciphertexts, newest
// first, so a client can load and decrypt a whole inbox in a few requests;
// one audit entry records each page read.
func (s *Service) Inbox(ctx context.Context, h store.Handler, limit, offset int) ([]store.InboxCase, int, error) {
	if limit <= 0 || limit > MaxInboxPage {
		limit = MaxInboxPage
	}
	if offset < 0 || offset > 10_000_000 {
		return nil, 0, invalidf("page", "out of range")
	}
	return s.db.InboxCases(ctx, h.Team, limit, offset, s.audit(h, "case.inbox", "", fmt.Sprintf("offset=%d limit=%d", offset, limit)))
}
