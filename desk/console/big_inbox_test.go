package console_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store"
)

// TestConsoleOpensLargeInboxes: 49 reports of 1 MiB each (which pushed
// the first inbox page over the client's response limit, so the console
// refused to start for the whole team), and one case larger than an
// inbox page whose lone fetch the server fails. The console starts,
// opens all 49, and lists the one it could not fetch as such.
func TestConsoleOpensLargeInboxes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	me, _ := crypto.ParseRecipient(id.Recipient().String())
	team, _ := crypto.ParseRecipient(e.teams.Reprisals.Recipient().String())
	plant := func(size int) string { return plantReport(t, e, me, team, size) }
	var refs []string
	for range 49 {
		refs = append(refs, plant(1<<20-4<<10))
	}
	huge := plant(9 << 20) // over the default 8 MiB of ciphertext a page carries
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")

	// The server fails the lone fetch of the huge case.
	upstream, _ := url.Parse(e.url)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == handlerapi.Prefix+"/cases/"+huge {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hostile.Close)
	api, _ := handlerapi.New(hostile.URL, nil)
	api.SetToken(e.login("omar", id).Token())
	src := console.NewSource(api, []age.Identity{id}, e.pins())
	tpl, _ := console.LoadTemplates("")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := src.Load(ctx); err != nil {
		t.Fatalf("the console does not start: %v", err)
	}
	if err := src.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { con.Close() })
	for _, ref := range refs {
		if cs, ok := src.Lookup(ref); !ok || !cs.Readable() {
			t.Errorf("case %s not opened (%v)", ref, ok)
		}
	}
	if cs, ok := src.Lookup(huge); !ok || cs.Readable() || !strings.Contains(cs.Problem, "could not be fetched") {
		t.Errorf("the case that could not be fetched: listed %v", ok)
	}
	if ready, total, failed := src.Progress(); ready != 50 || total != 50 || failed {
		t.Errorf("progress %d of %d (failed %v), want 50 of 50", ready, total, failed)
	}
	hc := openConsole(t, con)
	code, body := get(t, hc, "http://"+con.Addr()+"/?per_page=100")
	if code != http.StatusOK || !strings.Contains(body, huge) || !strings.Contains(body, "could not be fetched") {
		t.Errorf("inbox: %d, the unfetched case not shown as such", code)
	}
}

// plantReport stores a report of about size bytes of narrative, sealed to
// the reprisals team and me, straight into the database, and returns its
// reference.
func plantReport(t *testing.T, e *env, me, team crypto.Recipient, size int) string {
	t.Helper()
	ref := intake.NewReference()
	r := intaketest.Report("hrc_session")
	r.Incidents[0].Narrative = strings.Repeat("n", size)
	sealed := envelope.Case{Version: 1, Kind: "report", Reference: ref, ReceivedAt: time.Now(), Channel: "public",
		Teams: []string{"reprisals-team"}, Report: *r}
	plain, err := sealed.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := crypto.Seal(plain, []crypto.Recipient{team, me})
	if err != nil {
		t.Fatal(err)
	}
	hash := make([]byte, 32)
	rand.Read(hash)
	reply, _ := age.GenerateX25519Identity()
	if _, err := e.db.InsertReport(context.Background(), store.NewReport{
		Reference: ref, ReceiptHash: hash, ReplyRecipient: reply.Recipient().String(), Teams: []string{"reprisals-team"},
		ReceivedOn: time.Now().UTC(), SizeBucket: 1, Channel: intake.ChannelPublic, Ciphertext: s.Ciphertext,
	}, []store.NewAlert{{Team: "reprisals-team"}}); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestSwappedCaseKeepsNothing: a server that answers a request for case
// A with the team's genuine case B. The console marks A as tampered and
// keeps none of B's decrypted content (not shown, not searchable, not in
// memory).
func TestSwappedCaseKeepsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("rania", "reprisals-team")
	me, _ := crypto.ParseRecipient(id.Recipient().String())
	team, _ := crypto.ParseRecipient(e.teams.Reprisals.Recipient().String())
	a := plantReport(t, e, me, team, 10)
	b := plantReport(t, e, me, team, 10)
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")

	upstream, _ := url.Parse(e.url)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == handlerapi.Prefix+"/cases/"+a {
			r.URL.Path = handlerapi.Prefix + "/cases/" + b
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hostile.Close)
	api, _ := handlerapi.New(hostile.URL, nil)
	api.SetToken(e.login("rania", id).Token())
	src := console.NewSource(api, []age.Identity{id}, e.pins())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := src.Refresh(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if c.Readable() || !strings.Contains(c.Problem, "does not belong to this case") {
		t.Errorf("case B served for A: readable %v, problem %q", c.Readable(), c.Problem)
	}
	if c.Env.Reference != "" || len(c.Env.Report.Victims) != 0 || c.Summary.State != "" {
		t.Errorf("B's decrypted content kept under A: reference %q, %d victims, State %q",
			c.Env.Reference, len(c.Env.Report.Victims), c.Summary.State)
	}
}
