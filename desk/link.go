package desk

import (
	"context"
	"errors"
	"time"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Why two cases are not linked (besides the errors of Prepare).
var (
	// ErrLinkSelf: a case cannot be linked to itself.
	ErrLinkSelf = errors.New("a case cannot be linked to itself")
	// ErrLinkReference: the other case's reference is not a reference.
	ErrLinkReference = errors.New("the other case's reference is not a case reference")
	// ErrNotLinked: Unlink was asked for two cases no link joins.
	ErrNotLinked = errors.New("the two cases are not linked as the same person or event")
)

// now is the clock links are timed with (envelope.Link.At).
var now = func() time.Time { return time.Now().UTC() }

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
// each case, naming the other and timed (envelope.Link.At: the latest of
// a pair's links and undoings is in force). The server sees two ordinary
// notes. Both
// cases are checked first (Prepare: the case asked for, opened and its
// sealed reference checked; the team's verified roster), so nothing is
// sent unless both can take the note. It returns the two notes' ids; if
// the second note fails, the first stays (one side is enough to join the
// cases in the figures, and linking again adds the missing side).
func (d Desk) Link(ctx context.Context, ref, other string) (ids [2]int64, err error) {
	return d.sendLink(ctx, ref, other, false)
}

// Unlink withdraws the link of cases ref and other as the same person or
// event (a link made by mistake): an undoing ("same" link entry with
// Undo, timed after the link) sealed as a team note on each case, naming
// the other, with the checks of Link. It refuses (ErrNotLinked) unless a
// link in force joins them: one sealed on either case, read from both
// cases' threads (bound team notes only). From then on the figures, the
// annex drafts and the sources view count them apart; linking them
// again joins them again.
func (d Desk) Unlink(ctx context.Context, ref, other string) (ids [2]int64, err error) {
	if err := checkPair(ref, other); err != nil {
		return ids, err
	}
	var ls envelope.LinkSet
	for _, c := range []string{ref, other} {
		notes, err := d.API.Notes(ctx, c)
		if err != nil {
			return ids, err
		}
		FoldLinks(&ls, c, OpenThread(c, notes, d.IDs))
	}
	if !ls.Linked(envelope.LinkSame, ref, other) {
		return ids, ErrNotLinked
	}
	return d.sendLink(ctx, ref, other, true)
}

func checkPair(ref, other string) error {
	if !envelope.ValidReference(other) || !envelope.ValidReference(ref) {
		return ErrLinkReference
	}
	if ref == other {
		return ErrLinkSelf
	}
	return nil
}

// sendLink seals a "same" link (or its undoing) on both cases.
func (d Desk) sendLink(ctx context.Context, ref, other string, undo bool) (ids [2]int64, err error) {
	if err := checkPair(ref, other); err != nil {
		return ids, err
	}
	a, err := d.Prepare(ctx, KindNote, ref, NoteOptions{})
	if err != nil {
		return ids, err
	}
	b, err := d.Prepare(ctx, KindNote, other, NoteOptions{})
	if err != nil {
		return ids, err
	}
	at := now()
	if ids[0], err = a.SendEntry(ctx, envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: other, Undo: undo, At: at}}); err != nil {
		return ids, err
	}
	ids[1], err = b.SendEntry(ctx, envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: ref, Undo: undo, At: at}})
	return ids, err
}

// FoldLinks adds the link entries of case ref's opened thread to ls:
// only bound team notes of the case (OpenThread's check), never the
// server's word.
func FoldLinks(ls *envelope.LinkSet, ref string, thread []Entry) {
	for _, e := range thread {
		if e.Problem != NoProblem || e.Unverified || e.Kind != KindNote || e.Structured == nil || e.Structured.Link == nil {
			continue
		}
		ls.Add(ref, *e.Structured.Link)
	}
}

// Linked returns the references case ref's opened thread links it to as
// the same person or event, in force (a link not undone since:
// envelope.LinkSet), each once, in the order first linked. Only bound
// team notes of the case count: a link is never taken from the server's
// word. (A link sealed only on the other case is in that case's thread.)
func Linked(ref string, thread []Entry) []string {
	var ls envelope.LinkSet
	FoldLinks(&ls, ref, thread)
	return ls.Others(envelope.LinkSame, ref)
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
