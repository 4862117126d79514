package notify_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/notify"
	"github.com/ohchr-reprisals/intake/store"
)

// TestFloodOfReportsIsCoalesced: 500 reports arrive at once (10 of them
// urgent). The team gets a bounded number of e-mails, every report is in
// exactly one of them, and every report is listed for the team's handlers.
func TestFloodOfReportsIsCoalesced(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, nil) // the shipped flood settings: 10 e-mails per team per 15 minutes
	budget := s.cfg.Alerts.FloodBudget
	const n = 500
	refs := make(chan string, n)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				rep := intaketest.Report("hrc_session") // routed to the reprisals team only
				if i%50 == 0 {
					rep.Risk.ImmediateDanger = "yes"
				}
				acc, err := s.svc.Submit(context.Background(), intake.Submission{Report: rep, Channel: intake.ChannelPublic})
				if err != nil {
					t.Error(err)
					return
				}
				refs <- acc.Reference
			}
		})
	}
	wg.Wait()
	close(refs)
	want := map[string]bool{}
	for ref := range refs {
		want[ref] = true
	}
	if len(want) != n {
		t.Fatalf("%d reports stored, want %d", len(want), n)
	}

	w := s.worker(nil)
	clock := newClock(w)
	// The worker runs through the flood's window and the next.
	for range 2 {
		for s.runOnce(w) > 0 {
		}
		clock.Advance(s.cfg.Alerts.FloodWindow.Duration)
	}
	for s.runOnce(w) > 0 {
	}
	msgs := received(t, r)
	if len(msgs) > 2*budget+1 {
		t.Errorf("%d e-mails for %d reports, want at most %d", len(msgs), n, 2*budget+1)
	}
	refRE := regexp.MustCompile(`[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}`)
	seen := map[string]int{}
	digests := 0
	for _, m := range msgs {
		if strings.Contains(m.header.Get("Subject"), "Digest") || strings.Contains(m.header.Get("Subject"), "digest") {
			digests++
		}
		for _, ref := range refRE.FindAllString(m.body, -1) {
			if want[ref] {
				seen[ref]++
			}
		}
	}
	for ref := range want {
		if seen[ref] < 1 {
			t.Errorf("report %s is in no e-mail", ref)
			break
		}
	}
	if digests == 0 {
		t.Error("no coalesced e-mail (\"N new reports\") during the flood")
	}
	if left := s.alerts(""); len(left) != 0 {
		t.Errorf("%d alerts left undelivered", len(left))
	}
	t.Logf("%d reports: %d e-mails, %d of them coalesced", n, len(msgs), digests)

	// Every report is listed for the team's handlers.
	cases, err := casework.NewService(s.db.DB, s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for page := 0; ; page++ {
		list, total, err := cases.ListCases(context.Background(), store.Handler{Name: "h", Team: "reprisals-team"}, store.CaseFilter{Limit: 100, Offset: page * 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		if total != n {
			t.Fatalf("handlers see %d cases, want %d", total, n)
		}
		for _, c := range list {
			listed[c.Reference] = true
		}
	}
	if len(listed) != n {
		t.Errorf("%d distinct cases listed for handlers, want %d", len(listed), n)
	}
}

// TestUrgentAlertsDuringAFloodStillGoWithinAMinute: past the budget, an
// urgent report is not held for the window's end.
func TestUrgentAlertsDuringAFloodStillGoWithinAMinute(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, nil)
	w := s.worker(nil)
	clock := newClock(w)
	// At the start of a flood window, so that a minute later is the same window.
	clock.t = clock.t.Truncate(s.cfg.Alerts.FloodWindow.Duration).Add(time.Second)
	for range s.cfg.Alerts.FloodBudget + 5 {
		s.submit(intaketest.Report("hrc_session"))
	}
	for s.runOnce(w) > 0 {
	}
	sent := len(r.Messages())
	if sent != s.cfg.Alerts.FloodBudget {
		t.Fatalf("%d e-mails for %d reports, want the budget of %d", sent, s.cfg.Alerts.FloodBudget+5, s.cfg.Alerts.FloodBudget)
	}
	rep := intaketest.Report("hrc_session")
	rep.Risk.ImmediateDanger = "yes"
	urgent := s.submit(rep)
	clock.Advance(time.Minute)
	for s.runOnce(w) > 0 {
	}
	msgs := received(t, r)
	if len(msgs) != sent+1 || !strings.Contains(msgs[sent].body, urgent.Reference) || !strings.Contains(msgs[sent].header.Get("Subject"), "URGENT") {
		t.Fatalf("after an urgent report past the budget: %d e-mails, want %d with the urgent one last", len(msgs), sent+1)
	}
}

// TestAlertForUnconfiguredTeam: an alert for a team that is no longer in
// the configuration is never sent (there is no address); it is marked
// failed for the operator, with the reason.
func TestAlertForUnconfiguredTeam(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, nil)
	acc := s.submit(intaketest.Report("hrc_session"))
	if _, err := s.db.Pool().Exec(context.Background(), `UPDATE alerts SET team = 'disbanded-team'`); err != nil {
		t.Fatal(err)
	}
	s.runOnce(s.worker(nil))
	if n := len(r.Messages()); n != 0 {
		t.Fatalf("%d e-mails sent for a team without an address", n)
	}
	failed := s.alerts("failed")
	if len(failed) != 1 || failed[0].Reference != acc.Reference || failed[0].LastError != "the team is no longer configured" {
		t.Fatalf("failed alerts: %+v", failed)
	}
	if !strings.Contains(s.logText(), "not configured") {
		t.Errorf("not logged:\n%s", s.logText())
	}
}

// TestFloodEmailsStaySmall: for a team that wants ciphertexts attached,
// alerts coalesced during a flood name the cases but attach nothing, so
// the e-mail stays small whatever the flood; the held alerts are counted.
func TestFloodEmailsStaySmall(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) {
		c.Alerts.FloodBudget = 1
		for i := range c.Teams {
			c.Teams[i].AttachCiphertext = true
		}
	})
	metrics := notify.NewMetrics(s.reg)
	w := s.worker(metrics)
	clock := newClock(w)
	first := s.submit(intaketest.Report("hrc_session"))
	for s.runOnce(w) > 0 {
	}
	var rest []string
	for range 3 {
		rest = append(rest, s.submit(intaketest.Report("hrc_session")).Reference)
	}
	for s.runOnce(w) > 0 {
	}
	if got := testutil.ToFloat64(metrics.Held("reprisals-team")); got != 3 {
		t.Errorf("held counter = %v, want 3", got)
	}
	clock.Advance(s.cfg.Alerts.FloodWindow.Duration)
	for s.runOnce(w) > 0 {
	}
	msgs := received(t, r)
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails, want the first alert and one for the flood", len(msgs))
	}
	if _, ok := msgs[0].attachments[first.Reference+".age"]; !ok {
		t.Errorf("the alert within budget lacks its ciphertext: %v", msgs[0].attachments)
	}
	if len(msgs[1].attachments) != 0 {
		t.Errorf("the flood e-mail attaches %d ciphertexts, want none", len(msgs[1].attachments))
	}
	for _, ref := range rest {
		if !strings.Contains(msgs[1].body, ref) {
			t.Errorf("the flood e-mail does not name %s", ref)
		}
	}
}
