package main_test

import (
	"context"
	"strings"
	"testing"
)

// TestEntriesWithTheClient records a UN action, a State response and a
// publication with casectl against the real server and lists them back:
// each is one ordinary team note (clear kind note), shown to older
// readers by its summary; a bad flag is refused by name and nothing is
// written; the status the entry makes obvious is offered, never set.
// casectl show prints the reporter's "already in a UN document" answer.
func TestEntriesWithTheClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	notes := func() int {
		var n int
		w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'note'`).Scan(&n)
		return n
	}

	contains(t, w.must("omar", "", "show", "-i", omarKey, ref), "steps_taken.un_document: Yes", "steps_taken.un_document_symbol: A/HRC/57/30")
	contains(t, w.must("omar", "", "action", "list", "-i", omarKey, ref), "No UN actions")

	for _, f := range []struct {
		args  []string
		words string
	}{
		{[]string{"action", "add", "-kind", "letter", "-date", "2026-03-14", ref}, "-kind must be one of communication, raised_with_state"},
		{[]string{"action", "add", "-kind", "communication", "-date", "14/03/2026", ref}, "-date must be a date, YYYY-MM-DD"},
		{[]string{"action", "add", "-kind", "other", "-date", "2026-03-14", ref}, "-m is needed for -kind other"},
		{[]string{"action", "add", "-kind", "communication", "-date", "2026-03-14", "-symbol", "AL\x1b[2J", ref}, "-symbol holds a control character"},
		{[]string{"response", "add", "-date", "2026-04-01", ref}, "-stance is needed"},
		{[]string{"published", "add", "-report", "A/HRC/60/62", "-annex", "III", ref}, "-annex must be one of I, II"},
		{[]string{"action", "delete", ref}, `no command "action" "delete"`},
	} {
		w.fails("omar", f.words, f.args...)
	}
	if n := notes(); n != 0 {
		t.Fatalf("refused entries, yet %d notes written", n)
	}

	out := w.must("omar", "", "action", "add", ref, "-kind", "communication", "-date", "2026-03-14", "-symbol", "AL BLR 1/2026", "-m", "Joint allegation letter.")
	contains(t, out, "Added to "+ref+" as team note", "UN action: communication by a special procedure, 2026-03-14, AL BLR 1/2026: Joint allegation letter.")
	if strings.Contains(out, "triage") {
		t.Errorf("a communication offers a status change:\n%s", out)
	}
	contains(t, w.must("omar", "", "action", "add", "-kind", "raised_with_state", "-date", "2026-03-20", ref), "casectl triage -status raised_with_state "+ref)
	contains(t, w.must("omar", "", "response", "add", "-date", "2026-04-20", "-stance", "denies", "-m", "Denies any link.", "-i", omarKey, ref),
		"State response, 2026-04-20 (denies): Denies any link.", "casectl triage -status state_response_received "+ref)
	w.fails("omar", "-date is needed", "published", "add", "-report", "A/HRC/60/62", "-annex", "I", ref)
	w.fails("omar", "-date must be a date", "published", "add", "-report", "A/HRC/60/62", "-annex", "I", "-date", "10/09/2025", ref)
	contains(t, w.must("omar", "", "published", "add", "-report", "A/HRC/60/62", "-annex", "I", "-paragraph", "12", "-date", "2025-09-10", ref),
		"Published in A/HRC/60/62, annex I, paragraph 12, 2025-09-10", "casectl triage -status published "+ref)
	if n := notes(); n != 4 {
		t.Fatalf("%d notes written, want 4", n)
	}
	var status string
	w.db.Pool().QueryRow(context.Background(), `SELECT status FROM reports WHERE reference = $1`, ref).Scan(&status)
	if status != "received" {
		t.Errorf("an entry changed the status to %s", status)
	}

	listed := w.must("omar", "", "action", "list", "-i", omarKey, ref)
	contains(t, listed, "UN action:  communication by a special procedure", "Symbol:     AL BLR 1/2026", "Summary:    Joint allegation letter.",
		"UN action:  raised with the State", "State response: denies", "Date:       2026-04-20", "Published in: A/HRC/60/62, annex I", "Paragraph:  12", "Report's date: 2025-09-10", "by omar")
	if i, j := strings.Index(listed, "AL BLR"), strings.Index(listed, "A/HRC/60/62"); i < 0 || j < i {
		t.Errorf("entries not in the order added:\n%s", listed)
	}
	// Older readers (casectl notes) show each entry's summary.
	contains(t, w.must("omar", "", "notes", "-i", omarKey, ref), "UN action: raised with the State, 2026-03-20", "Published in A/HRC/60/62")
	w.fails("omar", "name your identity", "action", "list", ref)
}
