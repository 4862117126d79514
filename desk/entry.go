package desk

import (
	"context"
	"errors"
	"strings"

	"github.com/ohchr-reprisals/intake/envelope"
)

// ErrNotAReference is a case reference that is not one (CaseRecords).
var ErrNotAReference = errors.New("not a case reference, such as 7KQ4-M2XD")

// Record is one structured entry of a case (a UN action, a State
// response, a publication, a link), as its case's opened thread holds it.
type Record struct {
	envelope.Entry
	// ID, CreatedOn and Team are the server's word for the note that
	// carries it; Author is the writer's client's (sealed).
	ID        int64
	CreatedOn string
	Team      string
	Author    string
}

// Records returns the structured entries of a case's opened thread
// (OpenThread), in the order they were added: only from team notes
// sealed for the case (bound; checked whole by envelope.OpenNote), never
// from an unverified or foreign note, or anything the server says.
func Records(thread []Entry) []Record {
	var out []Record
	for _, e := range thread {
		if e.Problem != NoProblem || e.Unverified || e.Kind != KindNote || e.Structured == nil {
			continue
		}
		out = append(out, Record{Entry: *e.Structured, ID: e.ID, CreatedOn: e.CreatedOn, Team: e.Team, Author: e.Author})
	}
	return out
}

// CaseRecords lists and opens case ref's notes and returns its
// structured entries (Records). The case's thread is opened with the
// handler's identities; entries sealed for another case are never
// returned.
func (d Desk) CaseRecords(ctx context.Context, ref string) ([]Record, error) {
	if !envelope.ValidReference(ref) {
		return nil, ErrNotAReference
	}
	notes, err := d.API.Notes(ctx, ref)
	if err != nil {
		return nil, err
	}
	return Records(OpenThread(ref, notes, d.IDs)), nil
}

// Tidy returns e as a face should seal it: every field trimmed of
// surrounding white space, and a summary's line ends (a browser's
// CR LF) made LF.
func Tidy(e envelope.Entry) envelope.Entry {
	line := strings.TrimSpace
	text := func(s string) string {
		return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
	}
	switch {
	case e.Action != nil:
		a := *e.Action
		a.Kind, a.Date, a.Symbol, a.Summary = line(a.Kind), line(a.Date), line(a.Symbol), text(a.Summary)
		e.Action = &a
	case e.Response != nil:
		r := *e.Response
		r.Date, r.Stance, r.Summary = line(r.Date), line(r.Stance), text(r.Summary)
		e.Response = &r
	case e.Published != nil:
		p := *e.Published
		p.Report, p.Annex, p.Paragraph, p.Date = line(p.Report), line(p.Annex), line(p.Paragraph), line(p.Date)
		e.Published = &p
	}
	return e
}

// Record adds a structured entry on case ref: e is tidied (Tidy) and
// checked whole (envelope's ValidateNew: a *envelope.EntryError naming
// the field; a publication needs its report's date) before anything is
// asked of the server, then sealed as a team
// note with every rule of a note (AddEntry). It returns the entry as
// sealed and the note's id.
func (d Desk) Record(ctx context.Context, ref string, e envelope.Entry) (envelope.Entry, int64, error) {
	e = Tidy(e)
	if err := e.ValidateNew(); err != nil {
		return e, 0, err
	}
	id, err := d.AddEntry(ctx, ref, e)
	return e, id, err
}

// SuggestedStatus is the workflow status an entry makes obvious, for the
// faces to offer (never to set by themselves): "raised_with_state" after
// an action raised with the State, "state_response_received" after a
// State's response, "published" after a publication; "" otherwise.
func SuggestedStatus(e envelope.Entry) string {
	switch {
	case e.Action != nil && e.Action.Kind == envelope.ActionRaisedWithState:
		return "raised_with_state"
	case e.Response != nil:
		return "state_response_received"
	case e.Published != nil:
		return "published"
	}
	return ""
}
