package desk

import (
	"context"
	"errors"
	"slices"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Why two cases are not linked (besides the errors of Prepare).
var (
	// ErrLinkSelf: a case cannot be linked to itself.
	ErrLinkSelf = errors.New("a case cannot be linked to itself")
	// ErrLinkReference: the other case's reference is not a reference.
	ErrLinkReference = errors.New("the other case's reference is not a case reference")
)

// AddEntry seals a structured entry (envelope.Entry) on case ref as a
// team note, with every rule of a note (Prepare), and returns its id.
func (d Desk) AddEntry(ctx context.Context, ref string, e envelope.Entry) (int64, error) {
	o, err := d.Prepare(ctx, KindNote, ref, NoteOptions{})
	if err != nil {
		return 0, err
	}
	return o.SendEntry(ctx, e)
}

// SendEntry seals e as a team note on the Outgoing's case
// (envelope.SealEntryTo: bound to the case and the handler, its summary
// as the note's text) and sends only the ciphertext. The Outgoing must be
// a note's.
func (o *Outgoing) SendEntry(ctx context.Context, e envelope.Entry) (int64, error) {
	if o.kind != KindNote {
		return 0, envelope.ErrNoteKind
	}
	sealed, err := envelope.SealEntryTo(o.ref, o.d.Handler, e, o.recipients)
	if err != nil {
		return 0, err
	}
	return o.d.API.AddNote(ctx, o.ref, handlerapi.NewNote{Kind: KindNote, Ciphertext: sealed})
}

// Link links cases ref and other as the same person or event
// (corroborating sources): a "same" link entry sealed as a team note on
// each case, naming the other. The server sees two ordinary notes. Both
// cases are checked first (Prepare: the case asked for, opened and its
// sealed reference checked; the team's verified roster), so nothing is
// sent unless both can take the note. It returns the two notes' ids; if
// the second note fails, the first stays (one side is enough to join the
// cases in the figures, and linking again adds the missing side).
func (d Desk) Link(ctx context.Context, ref, other string) (ids [2]int64, err error) {
	if !envelope.ValidReference(other) || !envelope.ValidReference(ref) {
		return ids, ErrLinkReference
	}
	if ref == other {
		return ids, ErrLinkSelf
	}
	a, err := d.Prepare(ctx, KindNote, ref, NoteOptions{})
	if err != nil {
		return ids, err
	}
	b, err := d.Prepare(ctx, KindNote, other, NoteOptions{})
	if err != nil {
		return ids, err
	}
	if ids[0], err = a.SendEntry(ctx, envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: other}}); err != nil {
		return ids, err
	}
	ids[1], err = b.SendEntry(ctx, envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: ref}})
	return ids, err
}

// Linked returns the references a case's opened thread links it to as
// the same person or event, each once, in the order linked. Only bound
// team notes of the case count (OpenThread's check): a link is never
// taken from the server's word.
func Linked(thread []Entry) []string {
	var out []string
	for _, e := range thread {
		if e.Problem != NoProblem || e.Unverified || e.Structured == nil || e.Structured.Link == nil {
			continue
		}
		if l := e.Structured.Link; l.Kind == envelope.LinkSame && !slices.Contains(out, l.Other) {
			out = append(out, l.Other)
		}
	}
	return out
}

// Source is a linked case, fetched and opened like any case.
type Source struct {
	Reference string              // the reference asked for (from the sealed link)
	Meta      handlerapi.CaseMeta // the server's clear fields for it
	Case      envelope.Case       // the opened report (zero when Err is set)
	Err       error               // why it is not shown: ErrNotForYou, ErrMoved, the server's error
}

// Sources fetches and opens each of refs (references from sealed links,
// Linked) with Fetch, which checks that the server's answer and the
// sealed report are the case asked for: a server cannot show another
// case as a source. One that fails keeps its error; the others are
// shown.
func (d Desk) Sources(ctx context.Context, refs []string) []Source {
	out := make([]Source, 0, len(refs))
	for _, ref := range refs {
		cs, env, plain, err := Fetch(ctx, d.API, ref, d.IDs)
		clear(plain)
		s := Source{Reference: ref, Err: err}
		if err == nil {
			s.Meta, s.Case = cs.CaseMeta, env
		}
		out = append(out, s)
	}
	return out
}
