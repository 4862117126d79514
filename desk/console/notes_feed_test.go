package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestNotesFeedFiledUnderAnotherCase plays a server whose notes feed
// (GET /notes, which the annual page and the annex drafts read every
// case's entries from) files case B's sealed notes, a publication in an
// earlier report and a UN action since, under case A. The console opens
// each note only as a note of the case it is filed under (sealed
// binding): A does not become a follow-up case with B's action, the
// action is on no draft, and the counts are those of two new cases. The
// same cases through the honest server: B is the follow-up case with its
// action, read from the feed (one request, no per-case notes).
func TestNotesFeedFiledUnderAnotherCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")
	mk := func(state, name string) string {
		r := intaketest.Report("special_procedures")
		r.StateConcerned, r.Consent.Publication = state, "named"
		r.Victims[0].Name = name
		return e.submit(r).Reference
	}
	a := mk("EG", "Alpha Victim")
	b := mk("DE", "Bravo Victim")
	ctx := context.Background()
	api := e.login("omar", id)
	d := desk.Desk{API: api, IDs: []age.Identity{id}, Rosters: &desk.Rosters{API: api, PinsPath: e.pins(), Confirm: func(string) bool { return true }},
		Handler: "omar", Team: "reprisals-team", Mine: []string{id.Recipient().String()}}
	for _, en := range []envelope.Entry{
		{Published: &envelope.Published{Report: "A/HRC/63/40", Annex: "I", Date: "2026-06-01"}},
		{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: "2026-11-02", Symbol: "AL DEU 9/2026", Summary: "Sent"}},
	} {
		if _, err := d.AddEntry(ctx, b, en); err != nil {
			t.Fatal(err)
		}
	}

	var feedPages, caseNotes atomic.Int64
	open := func(hostile bool) (*http.Client, string) {
		upstream, _ := url.Parse(e.url)
		proxy := httputil.NewSingleHostReverseProxy(upstream)
		proxy.ModifyResponse = func(resp *http.Response) error {
			p := resp.Request.URL.Path
			if strings.HasSuffix(p, "/notes") && strings.HasPrefix(p, handlerapi.Prefix+"/cases/") {
				caseNotes.Add(1)
			}
			if p != handlerapi.Prefix+"/notes" || resp.StatusCode != http.StatusOK {
				return nil
			}
			feedPages.Add(1)
			if !hostile {
				return nil
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				return err
			}
			for _, n := range doc["notes"].([]any) {
				if m := n.(map[string]any); m["reference"] == b {
					m["reference"] = a
				}
			}
			body, _ = json.Marshal(doc)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		cl, err := handlerapi.New(srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		cl.SetToken(e.login("omar", id).Token())
		src := console.NewSource(cl, []age.Identity{id}, e.pins())
		tpl, err := console.LoadTemplates("")
		if err != nil {
			t.Fatal(err)
		}
		con, err := console.Start(console.Config{Source: src, Templates: tpl})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { con.Close() })
		hc := openConsole(t, con)
		if err := src.WaitLoaded(ctx); err != nil {
			t.Fatal(err)
		}
		return hc, "http://" + con.Addr()
	}

	// Honest: B is followed up, with its action; the entries come from
	// the feed alone.
	hc, base := open(false)
	_, annual := get(t, hc, base+"/annual")
	contains(t, "annual page (honest server)", annual, "2 cases in the period",
		`<th scope="row">New cases (Annex I)</th><td>1</td>`, `<th scope="row">Follow-up on earlier reports (Annex II)</th><td>1</td>`)
	_, annex := get(t, hc, base+"/annexes")
	contains(t, "annex page (honest server)", annex, "AL DEU 9/2026", "Bravo Victim", "Alpha Victim")
	if feedPages.Load() == 0 || caseNotes.Load() != 0 {
		t.Errorf("the honest console read %d feed pages and %d cases' notes alone; want the feed only", feedPages.Load(), caseNotes.Load())
	}

	// Hostile: B's notes filed under A open as nothing.
	hc, base = open(true)
	_, annual = get(t, hc, base+"/annual")
	contains(t, "annual page (hostile server)", annual, "2 cases in the period",
		`<th scope="row">New cases (Annex I)</th><td>2</td>`, `<th scope="row">Follow-up on earlier reports (Annex II)</th><td>0</td>`)
	code, annex := get(t, hc, base+"/annexes")
	if code != http.StatusOK {
		t.Fatalf("annex page: %d\n%s", code, annex)
	}
	contains(t, "annex page (hostile server)", annex, "Alpha Victim", "Bravo Victim")
	if strings.Contains(annex, "AL DEU 9/2026") || strings.Contains(annex, "A/HRC/63/40") {
		t.Errorf("the annex page shows B's entries, which the server filed under A:\n%s", annex)
	}
}
