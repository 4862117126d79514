package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/intake"
)

// TestRetention sets up cases in several statuses and ages, runs the policy
// dry, then for real, and checks it deleted exactly what it said, with
// everything attached, and left the audit chain verifiable.
func TestRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := intake.NewService(e.db.DB, e.teams.Config, nil)
	type c struct {
		status, since string
		purge         bool
	}
	cases := []c{
		{"closed", "current_date - 31", true},             // closed long enough
		{"closed", "current_date - 29", false},            // not yet
		{"duplicate", "current_date - 8", true},           // shorter period
		{"under_assessment", "current_date - 999", false}, // no policy for this status
		{"received", "NULL", false},                       // received today, never triaged
	}
	refs := make([]string, len(cases))
	for i, cs := range cases {
		acc, err := svc.Submit(ctx, intake.Submission{Report: intaketestReport("hrc_session"), Channel: intake.ChannelPublic})
		if err != nil {
			t.Fatal(err)
		}
		refs[i] = acc.Reference
		visit, _ := svc.CaseByID(ctx, acc.ID)
		svc.FollowUp(ctx, visit, "more information", "en")
		svc.Attach(ctx, visit, "photo.jpg", "image/jpeg", bytes.NewReader([]byte("jpeg")), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20})
		if _, err := e.db.Pool().Exec(ctx, `UPDATE reports SET status = $2, status_changed_on = `+cs.since+` WHERE reference = $1`, acc.Reference, cs.status); err != nil {
			t.Fatal(err)
		}
	}
	policy := map[string]int{"closed": 30, "duplicate": 7}
	want := []string{refs[0], refs[2]}

	dry, err := e.cases.ApplyRetention(ctx, policy, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := references(dry); strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
		t.Fatalf("dry run lists %v, want %v", got, want)
	}
	if n, _ := e.db.CountReports(ctx); n != len(cases) {
		t.Fatalf("the dry run deleted cases: %d left", n)
	}

	done, err := e.cases.ApplyRetention(ctx, policy, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := references(done); strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
		t.Fatalf("purged %v, want %v", got, want)
	}
	for i, cs := range cases {
		_, err := e.db.ReportByReference(ctx, refs[i])
		if exists := err == nil; exists == cs.purge {
			t.Errorf("case %d (%s): exists=%v after the purge", i, cs.status, exists)
		}
	}
	var notes, atts int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&notes)
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachments`).Scan(&atts)
	if notes != 3 || atts != 3 {
		t.Errorf("after purging 2 of 5 cases: %d follow-ups and %d attachments left, want 3 of each", notes, atts)
	}

	// The chain still verifies and records each purge.
	v := audit.NewVerifier(audit.Key(e.teams.Config.ReceiptKey()))
	var purges []string
	if err := e.db.AuditEntries(ctx, func(en audit.Entry) error {
		if en.Action == "retention.purge" {
			purges = append(purges, en.Reference)
		}
		return v.Check(en)
	}); err != nil {
		t.Fatalf("audit chain after retention: %v", err)
	}
	if strings.Join(sorted(purges), ",") != strings.Join(sorted(want), ",") {
		t.Errorf("audit purge entries %v, want %v", purges, want)
	}
	// Running again purges nothing more.
	if again, _ := e.cases.ApplyRetention(ctx, policy, false); len(again) != 0 {
		t.Errorf("second run purged %v", references(again))
	}
	if _, err := e.cases.ApplyRetention(ctx, map[string]int{"closd": 1}, true); err == nil {
		t.Error("a policy with an unknown status was accepted")
	}
}
