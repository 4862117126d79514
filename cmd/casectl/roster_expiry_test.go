package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/roster"
)

// TestExpiredRosterIsRefusedAndRenewed: a server that serves a team's
// expired roster (a custodian's last signature, replayed after its
// expiry) gets nothing encrypted to it: roster show and a note refuse it.
// The custodian saves it with roster fetch, renews it with roster renew
// (same recipients, next version, a new expiry) and publishes it; then
// the handler sees its age and uses it.
func TestExpiredRosterIsRefusedAndRenewed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", key)
	w.publishRoster("upr-secretariat")
	for _, team := range []string{"upr-secretariat", "reprisals-team"} {
		w.must("omar", "yes\n", "roster", "pin", "-team", team, "-key", w.rosterKeys[team].Public().String())
	}
	now := time.Now().UTC().Truncate(time.Second)
	r := roster.Roster{Team: "reprisals-team", Version: 1, Signed: now.Add(-200 * 24 * time.Hour), Expires: now.Add(-20 * 24 * time.Hour)}
	for _, tm := range w.teams.Config.Teams {
		if tm.Name == "reprisals-team" {
			r.Entries = append(r.Entries, roster.Entry{Recipient: tm.Keys()[0].String(), Label: "team-key"})
		}
	}
	r.Entries = append(r.Entries, roster.Entry{Recipient: w.ids["omar"].Recipient().String(), Label: "omar"})
	s, err := roster.Sign(r, w.rosterKeys["reprisals-team"])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.PublishRoster(context.Background(), "reprisals-team", 1, s, w.cases.OperatorAudit("test", "roster.publish", "reprisals-team")); err != nil {
		t.Fatal(err)
	}
	w.fails("omar", "expiry has passed", "roster", "show", "-team", "reprisals-team")
	w.fails("omar", "expiry has passed", "note", ref, "-m", "internal")
	var n int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d notes stored to an expired roster", n)
	}

	current, next := filepath.Join(t.TempDir(), "current.json"), filepath.Join(t.TempDir(), "next.json")
	contains(t, w.must("omar", "", "roster", "fetch", "-team", "reprisals-team", "-out", current), "Nothing will be encrypted to it", "casectl roster renew")
	keyFile := filepath.Join(w.dir, "reprisals-team.rosterkey")
	contains(t, w.must("omar", "", "roster", "renew", "-key", keyFile, "-from", current, "-out", next, "-valid", "2160h"),
		"version 2", "Valid until "+now.Add(2160*time.Hour).Format(time.DateOnly))
	w.fails("omar", "-valid must be", "roster", "renew", "-key", keyFile, "-from", current, "-out", next, "-valid", "10000h")
	b, _ := os.ReadFile(next)
	if !strings.Contains(string(b), "expires: ") {
		t.Fatalf("the renewed roster has no expiry:\n%s", b)
	}
	w.must("omar", "", "roster", "publish", next)
	contains(t, w.must("omar", "yes\n", "roster", "show", "-team", "reprisals-team"), "verified", "signed "+now.Format(time.DateOnly), "day(s) left")
	contains(t, w.must("omar", "yes\n", "note", ref, "-m", "internal"), "Added note")
}
