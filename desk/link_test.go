package desk_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
)

// TestLink links two cases against a real server, honest and hostile:
// the link is two ordinary sealed team notes, one on each case, each
// naming the other; a server that answers for another case gets nothing
// written, and a source it swaps is refused, never shown.
func TestLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	a, b, c := e.public("hrc_session"), e.public("treaty_body"), e.public("upr")
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	ctx := context.Background()

	for _, tc := range []struct {
		name, ref, other string
		h                *hostile
		want             error
	}{
		{"self", a, a, e.hostile(nil, nil), desk.ErrLinkSelf},
		{"not a reference", a, "nope", e.hostile(nil, nil), desk.ErrLinkReference},
		{"other answered with another case", a, b, e.hostile(swap(b, c), nil), desk.ErrMoved},
		{"case answered with another case", a, b, e.hostile(swap(a, c), nil), desk.ErrMoved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.notes("note")
			_, err := e.desk(tc.h.url, "omar", omar).Link(ctx, tc.ref, tc.other)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if w := tc.h.took(); len(w) > 0 || e.notes("note") != before {
				t.Errorf("refused, yet written: %v", w)
			}
		})
	}

	d := e.desk(e.url, "omar", omar)
	before := e.notes("note")
	if _, err := d.Link(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if n := e.notes("note"); n != before+2 {
		t.Fatalf("%d notes written, want 2 (one on each case)", n-before)
	}
	for ref, other := range map[string]string{a: b, b: a} {
		notes, err := d.API.Notes(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		thread := desk.OpenThread(ref, notes, d.IDs)
		if got := desk.Linked(ref, thread); !slices.Equal(got, []string{other}) {
			t.Errorf("%s links to %v, want %s", ref, got, other)
		}
		last := thread[len(thread)-1]
		if last.Kind != "note" || last.Structured == nil || last.Structured.Link.Kind != envelope.LinkSame || last.Text != "Same person or event as case "+other {
			t.Errorf("%s: link note %+v", ref, last)
		}
		// The sources, opened as any case: the honest server's, then one
		// that answers for the other case with a third.
		src := d.Sources(ctx, desk.Linked(ref, thread))
		if len(src) != 1 || src[0].Err != nil || src[0].Case.Reference != other {
			t.Errorf("%s: sources %+v", ref, src)
		}
		h := e.hostile(swap(other, c), nil)
		bad := e.desk(h.url, "omar", omar).Sources(ctx, []string{other})
		if len(bad) != 1 || !errors.Is(bad[0].Err, desk.ErrMoved) || bad[0].Case.Reference != "" || bad[0].Meta.Reference != "" {
			t.Errorf("%s: a swapped source was shown: %+v", ref, bad)
		}
	}
	// A link entry sealed on another case is not this case's link.
	notes, _ := d.API.Notes(ctx, a)
	if got := desk.Linked(c, desk.OpenThread(c, notes, d.IDs)); len(got) != 0 {
		t.Errorf("case %s's notes, listed as %s's, give links %v", a, c, got)
	}
}

// TestUnlink undoes a link against the real server: an undoing sealed
// on each case (two more ordinary team notes), after which neither case
// links the other, whatever order the server lists the notes in; linking
// again joins them again; undoing what no link joins is refused with
// nothing written.
func TestUnlink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	a, b, c := e.public("hrc_session"), e.public("treaty_body"), e.public("hrc_session")
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	ctx := context.Background()
	d := e.desk(e.url, "omar", omar)

	linked := func(ref string, reverse bool) []string {
		t.Helper()
		notes, err := d.API.Notes(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if reverse { // as a server that lists the notes in another order
			slices.Reverse(notes)
		}
		return desk.Linked(ref, desk.OpenThread(ref, notes, d.IDs))
	}
	if _, err := d.Link(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{a, c}, {c, a}, {a, a}, {a, "nope"}} {
		before := e.notes("note")
		if _, err := d.Unlink(ctx, pair[0], pair[1]); !errors.Is(err, desk.ErrNotLinked) && !errors.Is(err, desk.ErrLinkSelf) && !errors.Is(err, desk.ErrLinkReference) {
			t.Errorf("unlink %v: %v, want refused", pair, err)
		}
		if e.notes("note") != before {
			t.Errorf("unlink %v refused, yet written", pair)
		}
	}
	before := e.notes("note")
	// Undone from the other side: the link was sealed on both.
	if _, err := d.Unlink(ctx, b, a); err != nil {
		t.Fatal(err)
	}
	if n := e.notes("note"); n != before+2 {
		t.Fatalf("%d notes written, want 2 (one on each case)", n-before)
	}
	for _, ref := range []string{a, b} {
		for _, reverse := range []bool{false, true} {
			if got := linked(ref, reverse); len(got) != 0 {
				t.Errorf("%s still links %v after the undoing (listed reversed: %v)", ref, got, reverse)
			}
		}
	}
	notes, _ := d.API.Notes(ctx, a)
	thread := desk.OpenThread(a, notes, d.IDs)
	if last := thread[len(thread)-1]; last.Structured == nil || !last.Structured.Link.Undo || last.Text != "No longer the same person or event as case "+b {
		t.Errorf("the undoing's note: %+v", last)
	}
	if _, err := d.Unlink(ctx, a, b); !errors.Is(err, desk.ErrNotLinked) {
		t.Errorf("undone twice: %v", err)
	}
	// Linked again: in force again, in either order.
	if _, err := d.Link(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		if got := linked(a, reverse); !slices.Equal(got, []string{b}) {
			t.Errorf("linked again, %s links %v (listed reversed: %v)", a, got, reverse)
		}
	}
}
