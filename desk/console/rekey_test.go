package console_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestConsoleRekey: a roster change adds nadia and removes a handler who
// left. The console's Rekey first shows the change and what it would
// re-encrypt (nothing changed yet), then, confirmed, re-encrypts the
// cases and the team note so that nadia reads them and the leaver does
// not. A server that moves one case's content under another reference
// and lists a foreign ciphertext as a reply gets both left alone and
// reported, and no plaintext is ever sent to it (every request body the
// console sends through a recording proxy is searched).
func TestConsoleRekey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	omar := e.handler("omar", "reprisals-team")
	leaver := e.handler("leaver", "reprisals-team")
	nadia, _ := age.GenerateX25519Identity()
	e.publishRoster("reprisals-team", omar, leaver)
	e.publishRoster("upr-secretariat")

	const narrative, noteText, foreignText = "CANARY-rekey-narrative", "CANARY-rekey-note", "CANARY-rekey-foreign"
	refs := make([]string, 3)
	for i := range refs {
		r := intaketest.Report("hrc_session")
		r.Incidents[0].Narrative = narrative
		refs[i] = e.submit(r).Reference
	}
	a, b, moved := refs[0], refs[1], refs[2]

	// The console talks to the server through a proxy that records every
	// request body.
	var mu sync.Mutex
	var sent [][]byte
	target, _ := url.Parse(e.url)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = append(sent, append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	api, err := handlerapi.New(proxy.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	api.SetToken(e.login("omar", omar).Token())
	tpl, err := console.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: console.NewSource(api, []age.Identity{omar}, e.pins()), Templates: tpl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { con.Close() })
	hc := openConsole(t, con)

	// omar accepts roster v1 with a team note on a.
	note := url.Values{"text": {noteText}}
	_, body := post(t, hc, con, "/cases/"+a+"/note", note)
	note.Set("accept_roster", acceptance(t, body))
	if code, body := post(t, hc, con, "/cases/"+a+"/note", note); code != http.StatusOK {
		t.Fatalf("note: %d\n%s", code, body)
	}

	// The hostile server: moved carries b's content; a lists a foreign
	// ciphertext as a reply.
	pool := e.db.Pool()
	if _, err := pool.Exec(ctx, `UPDATE reports SET ciphertext = (SELECT ciphertext FROM reports WHERE reference = $1) WHERE reference = $2`, b, moved); err != nil {
		t.Fatal(err)
	}
	or, _ := crypto.ParseRecipient(omar.Recipient().String())
	foreign, err := crypto.Seal([]byte(foreignText), []crypto.Recipient{or})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
		SELECT id, 'reply', 'reprisals-team', 'omar', current_date, $2 FROM reports WHERE reference = $1`, a, foreign.Ciphertext); err != nil {
		t.Fatal(err)
	}
	stored := func(q string, args ...any) []byte {
		t.Helper()
		var ct []byte
		if err := pool.QueryRow(ctx, q, args...).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		return ct
	}
	const caseQ = `SELECT ciphertext FROM reports WHERE reference = $1`
	const noteQ = `SELECT ciphertext FROM notes WHERE kind = $1`
	movedBefore, foreignBefore := stored(caseQ, moved), stored(noteQ, "reply")

	e.publishRoster("reprisals-team", omar, nadia) // v2: nadia added, leaver removed

	// The team page offers the rekey; the check shows the change and the
	// counts, and changes nothing.
	_, page := get(t, hc, "http://"+con.Addr()+"/team")
	contains(t, "the team page", page, `action="/rekey/check"`)
	code, body := post(t, hc, con, "/rekey/check", nil)
	if code != http.StatusOK {
		t.Fatalf("check: %d\n%s", code, body)
	}
	contains(t, "the check", body, "changed from version 1 to 2", "ADDED:", nadia.Recipient().String(), "REMOVED:", leaver.Recipient().String(),
		"A rekey would re-encrypt 2 cases,", `id="rekey-refused"`, moved, `id="rekey-run"`)
	if _, err := crypto.Open(stored(caseQ, a), nadia); err == nil {
		t.Fatal("the check re-encrypted a case")
	}

	// Without the form token: refused, nothing done.
	resp, err := hc.PostForm("http://"+con.Addr()+"/rekey", url.Values{"accept_roster": {acceptance(t, body)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a rekey without the form token: %d", resp.StatusCode)
	}

	code, body = post(t, hc, con, "/rekey", url.Values{"accept_roster": {acceptance(t, body)}})
	if code != http.StatusOK {
		t.Fatalf("rekey: %d\n%s", code, body)
	}
	contains(t, "the result", body, `id="rekey-done"`, "Re-encrypted 2 cases to", `id="rekey-refused"`, moved,
		`id="rekey-left"`, "is not a reply sealed for this case")

	for _, ref := range []string{a, b} {
		ct := stored(caseQ, ref)
		if _, err := crypto.Open(ct, nadia); err != nil {
			t.Errorf("%s: nadia cannot read it after the rekey: %v", ref, err)
		}
		if _, err := crypto.Open(ct, leaver); err == nil {
			t.Errorf("%s: the removed handler still reads it after the rekey", ref)
		}
	}
	if ct := stored(noteQ, "note"); func() bool { _, err := crypto.Open(ct, nadia); return err != nil }() {
		t.Error("nadia cannot read the team note after the rekey")
	} else if _, err := crypto.Open(ct, leaver); err == nil {
		t.Error("the removed handler still reads the team note after the rekey")
	}
	if !bytes.Equal(stored(caseQ, moved), movedBefore) {
		t.Error("the moved case was re-encrypted")
	}
	if !bytes.Equal(stored(noteQ, "reply"), foreignBefore) {
		t.Error("the foreign 'reply' was re-encrypted")
	}
	var audited int
	pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.rekey'`).Scan(&audited)
	if audited != 2 {
		t.Errorf("%d rekeys audited, want 2", audited)
	}

	mu.Lock()
	defer mu.Unlock()
	rekeys := 0
	for _, s := range sent {
		if bytes.Contains(s, []byte("/rekey\n")) {
			rekeys++
		}
		for _, canary := range []string{narrative, noteText, foreignText} {
			if bytes.Contains(s, []byte(canary)) {
				t.Errorf("plaintext %q sent to the server in %s", canary, strings.SplitN(string(s), "\n", 2)[0])
			}
		}
	}
	if rekeys != 2 {
		t.Errorf("%d rekey requests seen by the proxy, want 2", rekeys)
	}
}

// TestConsoleRekeyShowsEveryRosterChange: a UPR case is routed to both
// teams, so its rekey needs the UPR roster too. The handler accepted only
// their own team's change; the rekey stops at the UPR roster, shows it,
// re-encrypts nothing to it, and goes on once that change is accepted.
func TestConsoleRekeyShowsEveryRosterChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	omar := e.handler("omar", "reprisals-team")
	nadia, _ := age.GenerateX25519Identity()
	uprHandler, _ := age.GenerateX25519Identity()
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	ref := e.submit(intaketest.Report("upr")).Reference
	e.publishRoster("reprisals-team", omar, nadia)
	e.publishRoster("upr-secretariat", uprHandler)
	con, _, hc := e.console("omar", omar)
	stored := func() []byte {
		var ct []byte
		if err := e.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM reports WHERE reference = $1`, ref).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		return ct
	}
	before := stored()

	_, body := post(t, hc, con, "/rekey/check", nil)
	contains(t, "the check", body, "Team reprisals-team&#39;s roster", "A rekey would re-encrypt 1 case, with its notes")
	code, body := post(t, hc, con, "/rekey", url.Values{"accept_roster": {acceptance(t, body)}})
	if code != http.StatusConflict {
		t.Fatalf("a rekey meeting an unaccepted UPR roster: %d\n%s", code, body)
	}
	contains(t, "the stopped rekey", body, `id="rekey-stopped"`, "Team upr-secretariat&#39;s roster", uprHandler.Recipient().String())
	if !bytes.Equal(stored(), before) {
		t.Fatal("the case was re-encrypted before the UPR roster was accepted")
	}
	code, body = post(t, hc, con, "/rekey", url.Values{"accept_roster": {acceptance(t, body)}})
	if code != http.StatusOK {
		t.Fatalf("rekey after accepting the UPR roster: %d\n%s", code, body)
	}
	contains(t, "the result", body, "Re-encrypted 1 case to")
	for name, id := range map[string]*age.X25519Identity{"nadia": nadia, "the UPR handler": uprHandler} {
		if _, err := crypto.Open(stored(), id); err != nil {
			t.Errorf("%s cannot read the case after the rekey: %v", name, err)
		}
	}
}
