package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/roster"
)

// TestPaperForAColleague: casectl paper writes a case, as the console
// prints it, into one new file encrypted to the colleague the verified
// roster names: nadia's identity opens it and reads the case, omar's own
// does not; the export is in the audit log. Refused, with no file and
// nothing recorded: an existing -out, a name no roster gives, a name the
// server added to the roster itself, and a roster whose expiry passed.
func TestPaperForAColleague(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	w.addHandler("nadia", "reprisals-team")
	ref := w.submit("hrc_session")
	w.publishRoster("reprisals-team", "omar", "nadia")
	w.publishRoster("upr-secretariat")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.pin("omar")
	ctx := context.Background()
	audited := func() (n int) {
		t.Helper()
		if err := w.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.export' AND reference = $1`, ref).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := t.TempDir()
	out := filepath.Join(dir, ref+".html.age")
	said := w.must("omar", "", "paper", "-i", omarKey, "-to", "nadia", "-out", out, ref)
	contains(t, said, "encrypted to nadia of reprisals-team", w.ids["nadia"].Recipient().String(), "age -d -i")
	sealed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode is %v, want 0600", fi.Mode().Perm())
	}
	if strings.Contains(string(sealed), "Arrested at home") {
		t.Fatal("the file holds the case in clear")
	}
	plain, err := crypto.Open(sealed, w.ids["nadia"])
	if err != nil {
		t.Fatalf("nadia cannot open the paper: %v", err)
	}
	contains(t, string(plain), "<!DOCTYPE html>", "CONFIDENTIAL", "Sealed by omar for nadia on ", "Arrested at home two weeks after the review.",
		"Central prison", "Habeas corpus filed", "A/HRC/57/30", "<style>", `id="thread"`)
	if strings.Contains(string(plain), "<form") {
		t.Error("the paper holds a form")
	}
	if _, err := crypto.Open(sealed, w.ids["omar"]); err == nil {
		t.Error("omar's own identity opens the paper sealed for nadia")
	}
	if n := audited(); n != 1 {
		t.Errorf("%d exports recorded, want 1", n)
	}
	w.fails("omar", "already exists", "paper", "-i", omarKey, "-to", "nadia", "-out", out, ref)
	other := filepath.Join(dir, "other.age")
	w.fails("omar", "nobody of that name", "paper", "-i", omarKey, "-to", "mallory", "-out", other, ref)

	// The server adds its own key under a name: the roster no longer
	// verifies, and nothing is encrypted to it.
	if _, err := w.db.Pool().Exec(ctx, `UPDATE rosters SET body = body || $1 WHERE team = 'reprisals-team'`, "recipient: "+w.teams.UPR.Recipient().String()+" operator\n"); err != nil {
		t.Fatal(err)
	}
	if o, err := w.as("omar", "yes\n", "paper", "-i", omarKey, "-to", "operator", "-out", other, ref); err == nil || !strings.Contains(o, "roster") {
		t.Fatalf("paper to a name the server put on the roster: %v\n%s", err, o)
	}

	// An expired roster, validly signed: refused.
	now := time.Now().UTC().Truncate(time.Second)
	r := roster.Roster{Team: "reprisals-team", Version: 3, Signed: now.Add(-200 * 24 * time.Hour), Expires: now.Add(-20 * 24 * time.Hour),
		Entries: []roster.Entry{{Recipient: w.ids["omar"].Recipient().String(), Label: "omar"}, {Recipient: w.ids["nadia"].Recipient().String(), Label: "nadia"}}}
	s, err := roster.Sign(r, w.rosterKeys["reprisals-team"])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.PublishRoster(ctx, "reprisals-team", 3, s, w.cases.OperatorAudit("test", "roster.publish", "reprisals-team")); err != nil {
		t.Fatal(err)
	}
	w.fails("omar", "expiry has passed", "paper", "-i", omarKey, "-to", "nadia", "-out", other, ref)
	if _, err := os.Stat(other); err == nil {
		t.Error("a refused paper left a file")
	}
	if n := audited(); n != 1 {
		t.Errorf("%d exports recorded after the refusals, want 1", n)
	}
}
