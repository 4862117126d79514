package console_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestInbox loads inboxes through GET /inbox: each team sees only its
// cases, follow-ups are counted, a case encrypted before the handler
// joined is listed as not readable yet; and the filters, full-text search
// and sort orders pick the right cases.
func TestInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mk := func(body, state, danger, victim string) intake.Accepted {
		r := intaketest.Report(body)
		r.StateConcerned, r.Risk.ImmediateDanger, r.Victims[0].Name = state, danger, victim
		return e.submit(r)
	}
	early := mk("hrc_session", "TR", "no", "Before Omar")
	omar := e.handler("omar", "reprisals-team")
	ines := e.handler("ines", "upr-secretariat")
	upr := mk("upr", "KP", "yes", "Kim Urgent")
	hrc := mk("hrc_session", "KP", "no", "Lee Calm")
	visit, err := e.svc.Lookup(context.Background(), hrc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"first", "second"} {
		if err := e.svc.FollowUp(context.Background(), visit.Case, text, "en"); err != nil {
			t.Fatal(err)
		}
	}

	load := func(name string, id age.Identity) *console.Source {
		src := console.NewSource(e.login(name, id), []age.Identity{id}, e.pins())
		if err := src.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := src.WaitLoaded(context.Background()); err != nil {
			t.Fatal(err)
		}
		return src
	}
	refs := func(list []*console.Case) []string {
		var out []string
		for _, c := range list {
			out = append(out, c.Meta.Reference)
		}
		return out
	}
	upSrc := load("ines", ines)
	if got := refs(upSrc.Snapshot()); !slices.Equal(got, []string{upr.Reference}) {
		t.Errorf("the UPR handler's inbox: %v, want only the UPR case", got)
	}
	src := load("omar", omar)
	if got := len(src.Snapshot()); got != 3 {
		t.Fatalf("omar's inbox has %d cases, want 3", got)
	}
	c, _ := src.Lookup(early.Reference)
	if c.Readable() || c.Problem == "" {
		t.Error("a case sealed before omar joined is shown as readable")
	}
	c, _ = src.Lookup(hrc.Reference)
	if c.FollowUps != 2 || !src.Unread(c) {
		t.Errorf("follow-ups: %d, unread %v; want 2, unread", c.FollowUps, src.Unread(c))
	}

	for _, tc := range []struct {
		name  string
		query string
		want  []string
	}{
		{"everything", "", []string{hrc.Reference, upr.Reference, early.Reference}},
		{"State", "state=KP", []string{hrc.Reference, upr.Reference}},
		{"State and urgency", "state=KP&urgency=U1", []string{upr.Reference}},
		{"no urgency", "urgency=none", []string{hrc.Reference, early.Reference}},
		{"search, any case", "q=kim+URGENT", []string{upr.Reference}},
		{"search in a narrative", "q=arrested+home", []string{hrc.Reference, upr.Reference}},
		{"search finds nothing", "q=nobody", nil},
		{"unread", "unread=1", []string{hrc.Reference}},
		{"most urgent first", "sort=urgency", []string{upr.Reference, hrc.Reference, early.Reference}},
	} {
		q, _ := url.ParseQuery(tc.query)
		got := refs(src.Select(console.ParseFilter(q)))
		// Cases of the same day keep their order; compare as sets except
		// for the sorted case.
		if tc.name != "most urgent first" {
			slices.Sort(got)
			slices.Sort(tc.want)
		} else if len(got) > 0 {
			got = got[:1]
			tc.want = tc.want[:1]
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s (%s): %v, want %v", tc.name, tc.query, got, tc.want)
		}
	}
	src.MarkRead(hrc.Reference, c.LastFollowUp)
	if src.Unread(c) {
		t.Error("still unread after being read")
	}
}

// TestInboxOpensBeforeAllIsDecrypted: Load returns once the first
// screenful is decrypted; the rest follows in the background, and the
// annual report waits for it. Quit during a background load stops it and
// wipes everything.
func TestInboxOpensBeforeAllIsDecrypted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	const n = 130
	jobs := make(chan int)
	done := make(chan struct{})
	for range 4 {
		go func() {
			for range jobs {
				e.submit(intaketest.Report("hrc_session"))
			}
			done <- struct{}{}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	for range 4 {
		<-done
	}
	src := console.NewSource(e.login("omar", id), []age.Identity{id}, e.pins())
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ready, total, _ := src.Progress(); ready < 100 || total != n {
		t.Errorf("after Load: %d of %d ready, want at least the first 100 of %d", ready, total, n)
	}
	if err := src.WaitLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}
	ready, total, failed := src.Progress()
	if ready != n || total != n || failed {
		t.Errorf("after WaitLoaded: %d of %d ready (failed %v)", ready, total, failed)
	}
	for _, c := range src.Snapshot() {
		if !c.Readable() {
			t.Fatalf("%s: %s", c.Meta.Reference, c.Problem)
		}
	}
	// A new load wiped at once: nothing is left.
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.Wipe()
	if got := len(src.Snapshot()); got != 0 {
		t.Errorf("%d cases left after Wipe during a background load", got)
	}
}
