package desk_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// TestRecords adds a UN action, a State response and a published-in
// entry on a case against the real server, and lists them back: each is
// one ordinary team note in the database (clear kind "note", nothing of
// the entry in clear); an entry that is not well formed is refused before
// anything is sent; a server that lists another case's notes, or answers
// for another case, gets no entry shown or written.
func TestRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	a, b := e.public("hrc_session"), e.public("treaty_body")
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	ctx := context.Background()
	d := e.desk(e.url, "omar", omar)

	entries := []envelope.Entry{
		{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: " 2026-03-14 ", Symbol: "AL ZZCANARY 1/2026", Summary: "Joint allegation\r\nletter."}},
		{Action: &envelope.Action{Kind: envelope.ActionRaisedWithState, Date: "2026-03-20"}},
		{Response: &envelope.Response{Date: "2026-04-20", Stance: envelope.StanceDenies, Summary: "The State denies any link."}},
		{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I", Paragraph: "12", Date: " 2025-09-10 "}},
	}
	wantStatus := []string{"", "raised_with_state", "state_response_received", "published"}
	before := e.notes("note")
	for i, en := range entries {
		sealed, id, err := d.Record(ctx, a, en)
		if err != nil || id == 0 {
			t.Fatalf("entry %d: %v", i, err)
		}
		if got := desk.SuggestedStatus(sealed); got != wantStatus[i] {
			t.Errorf("entry %d suggests status %q, want %q", i, got, wantStatus[i])
		}
	}
	if n := e.notes("note"); n != before+len(entries) {
		t.Fatalf("%d notes stored, want %d", n-before, len(entries))
	}
	if dump := e.db.Dump(t); bytes.Contains(dump, []byte("ZZCANARY")) || bytes.Contains(dump, []byte("A/HRC/60/62")) {
		t.Error("an entry's field is in clear in the database")
	}

	got, err := d.CaseRecords(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries listed, want %d", len(got), len(entries))
	}
	if ac := got[0].Action; ac == nil || ac.Date != "2026-03-14" || ac.Summary != "Joint allegation\nletter." || got[0].Author != "omar" {
		t.Errorf("first entry, tidied: %+v %+v", got[0], ac)
	}
	if r := got[2].Response; r == nil || r.Stance != envelope.StanceDenies {
		t.Errorf("response %+v", got[2])
	}
	if p := got[3].Published; p == nil || p.Report != "A/HRC/60/62" || p.Annex != "I" || p.Date != "2025-09-10" {
		t.Errorf("published %+v", got[3])
	}
	// Older readers see the summary as the note's text.
	notes, _ := d.API.Notes(ctx, a)
	thread := desk.OpenThread(a, notes, d.IDs)
	if last := thread[len(thread)-1]; last.Text != "Published in A/HRC/60/62, annex I, paragraph 12, 2025-09-10" {
		t.Errorf("the note's text is %q", last.Text)
	}

	// Refused before anything is sent.
	h := e.hostile(nil, nil)
	hd := e.desk(h.url, "omar", omar)
	for _, bad := range []envelope.Entry{
		{},
		{Action: &envelope.Action{Kind: "letter", Date: "2026-03-14"}},
		{Action: &envelope.Action{Kind: envelope.ActionReferral, Date: "2026-02-30"}},
		{Response: &envelope.Response{Date: "2026-04-20", Stance: envelope.StanceDenies, Summary: "a\x1b[2Jb"}},
		{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "III", Date: "2025-09-10"}},
		{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I"}}, // no date
		{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I", Date: "2025-09-31"}},
		{Action: &envelope.Action{Kind: envelope.ActionReferral, Date: "2026-02-03"}, Response: &envelope.Response{Date: "2026-04-20", Stance: envelope.StanceDenies}},
	} {
		if _, _, err := hd.Record(ctx, a, bad); !errors.Is(err, envelope.ErrEntry) {
			t.Errorf("%+v: err %v, want ErrEntry", bad, err)
		}
	}
	if w := h.took(); len(w) > 0 || e.notes("note") != before+len(entries) {
		t.Errorf("refused entries, yet written: %v", w)
	}

	// A server that answers for another case gets nothing written.
	h = e.hostile(swap(b, a), nil)
	if _, _, err := e.desk(h.url, "omar", omar).Record(ctx, b, entries[1]); !errors.Is(err, desk.ErrMoved) {
		t.Errorf("swapped case: %v, want ErrMoved", err)
	}
	if w := h.took(); len(w) > 0 {
		t.Errorf("swapped case, yet written: %v", w)
	}

	// A server that lists case a's notes as case b's: none is b's entry.
	h = e.hostile(func(r *http.Request) {
		if r.Method == "GET" && r.URL.Path == handlerapi.Prefix+"/cases/"+b+"/notes" {
			r.URL.Path, r.URL.RawPath = handlerapi.Prefix+"/cases/"+a+"/notes", ""
		}
	}, nil)
	hd = e.desk(h.url, "omar", omar)
	if listed, err := hd.API.Notes(ctx, b); err != nil || len(listed) < len(entries) {
		t.Fatalf("the hostile server does not list %s's notes as %s's (%d, %v): the check proves nothing", a, b, len(listed), err)
	}
	if got, err := hd.CaseRecords(ctx, b); err != nil || len(got) != 0 {
		t.Errorf("case %s's entries listed as %s's: %d, %v", a, b, len(got), err)
	}
	if _, err := d.CaseRecords(ctx, "nope"); !errors.Is(err, desk.ErrNotAReference) {
		t.Error("a reference that is not one was asked for")
	}
}
