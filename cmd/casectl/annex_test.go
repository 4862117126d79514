package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinkAndAnnexWithTheClient links two cases with casectl (two
// ordinary team notes), records an action, and drafts the annexes as
// Markdown to standard output and to a new file: the pair is one entry
// with two sources, States are named in the chosen language, each case
// drawn on is audited, and the file is not overwritten.
func TestLinkAndAnnexWithTheClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	a, b := w.submit("hrc_session"), w.submit("upr")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", key)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	count := func(q string) int {
		var n int
		w.db.Pool().QueryRow(context.Background(), q).Scan(&n)
		return n
	}

	w.fails("omar", "cannot be linked to itself", "link", "-i", key, a, a)
	w.fails("omar", "name two case references", "link", "-i", key, a)
	contains(t, w.must("omar", "", "link", "-i", key, a, strings.ToLower(b)), "Linked "+a+" and "+b)
	if n := count(`SELECT count(*) FROM notes WHERE kind = 'note'`); n != 2 {
		t.Errorf("%d notes for a link, want 2", n)
	}
	w.must("omar", "", "action", "add", a, "-kind", "communication", "-date", "2026-11-20", "-symbol", "UA UKR 3/2026")

	// Undone and linked again: two more notes each time; undoing what is
	// not linked is refused and sends nothing.
	w.fails("omar", "name two case references", "unlink", "-i", key, a)
	w.fails("omar", "cannot be linked to itself", "unlink", "-i", key, a, a)
	contains(t, w.must("omar", "", "unlink", "-i", key, b, a), "Undid the link of "+b+" and "+a)
	if n := count(`SELECT count(*) FROM notes WHERE kind = 'note'`); n != 5 {
		t.Errorf("%d notes after the undoing, want 5", n)
	}
	w.fails("omar", "not linked", "unlink", "-i", key, a, b)
	apart := w.must("omar", "", "annex", "-i", key, "-year", "2027")
	if strings.Contains(apart, "2 sources") || !strings.Contains(apart, "#### Case "+a) || !strings.Contains(apart, "#### Case "+b) {
		t.Errorf("after the undoing, the drafts do not show the cases apart:\n%s", apart)
	}
	contains(t, w.must("omar", "", "action", "list", "-i", key, a), "No longer the same person or event as case "+b)
	w.must("omar", "", "link", "-i", key, a, b)

	w.fails("omar", "name the period", "annex", "-i", key)
	md := w.must("omar", "", "annex", "-i", key, "-year", "2027", "-lang", "fr")
	pair := min(a, b)
	contains(t, md, "## Annexe I : nouveaux cas", "### Ukraine", "#### Cas "+pair+", 2 sources", "UA UKR 3/2026", "## Annexe II : suivi")
	if n := count(`SELECT count(*) FROM audit_log WHERE action = 'case.export'`); n != 4 {
		t.Errorf("%d export audit entries, want 4 (2 for the drafts apart, 2 linked again)", n)
	}
	out := filepath.Join(t.TempDir(), "annexes.md")
	contains(t, w.must("omar", "", "annex", "-i", key, "-from", "2026-05-01", "-to", "2027-04-30", "-out", out), "Wrote the drafts (2 cases drawn on)")
	if body, err := os.ReadFile(out); err != nil || !strings.Contains(string(body), "## Annex I: new cases") {
		t.Errorf("the file: %v\n%s", err, body)
	}
	w.fails("omar", "exists", "annex", "-i", key, "-year", "2027", "-out", out)
	empty := w.must("omar", "", "annex", "-i", key, "-year", "2020")
	contains(t, empty, "No case.")
}
