package server_test

import (
	"context"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestPageParameters: out-of-range, malformed and huge page numbers on the
// case list are page 1 (never an offset that overflows into
// a 500), and page sizes (of the case list and the inbox) are bounded.
func TestPageParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("omar", "reprisals-team")
	svc := intake.NewService(e.db.DB, e.teams.Config, nil)
	if _, err := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic}); err != nil {
		t.Fatal(err)
	}
	tok := e.login("omar", id)
	tests := []struct {
		query            string
		page, perPage    int // on /cases
		inboxPerPage     int // on /inbox
		casesOnFirstPage int
	}{
		{"", 1, 50, 500, 1},
		{"page=2", 2, 50, 500, 0},
		{"page=0&per_page=0", 1, 50, 500, 1},
		{"page=-3&per_page=-1", 1, 50, 500, 1},
		{"page=x&per_page=y", 1, 50, 500, 1},
		{"page=9223372036854775807", 1, 50, 500, 1},
		{"page=1000001", 1, 50, 500, 1},
		{"per_page=100", 1, 100, 100, 1},
		{"per_page=101", 1, 50, 101, 1},
		{"per_page=100000", 1, 50, 500, 1},
	}
	for _, tt := range tests {
		var list handlerapi.CaseList
		if code := e.api(tok, "GET", "/cases?"+tt.query, nil, &list); code != 200 || list.Page != tt.page || list.PerPage != tt.perPage || len(list.Cases) != tt.casesOnFirstPage {
			t.Errorf("/cases?%s: %d, page %d, per page %d, %d cases; want 200, %d, %d, %d",
				tt.query, code, list.Page, list.PerPage, len(list.Cases), tt.page, tt.perPage, tt.casesOnFirstPage)
		}
		var inbox handlerapi.InboxPage
		// The inbox pages by cursor (TestInboxPagesBoundedByBytes); a
		// page number is no parameter of it.
		if code := e.api(tok, "GET", "/inbox?"+tt.query, nil, &inbox); code != 200 || inbox.PerPage != tt.inboxPerPage || len(inbox.Cases) != 1 {
			t.Errorf("/inbox?%s: %d, per page %d, %d cases; want 200, %d, 1", tt.query, code, inbox.PerPage, len(inbox.Cases), tt.inboxPerPage)
		}
	}
}
