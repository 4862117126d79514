package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestCaseEntries drives the case page's entry forms over HTTP against
// the real server: a UN action, the State's response and a publication
// are each sealed as one ordinary team note (the roster shown and
// accepted first, the form's input carried through), answered with a
// redirect (POST-redirect-GET) to the case page, where the thread shows
// them field by field, escaped, and the status form offers the status
// the entry makes obvious, pre-selected when the workflow allows it. A
// refused entry shows the page again with every input kept and the error
// next to its field; a form without the session's token is refused.
func TestCaseEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	acc := e.submit(intaketest.Report("hrc_session"))
	ref := acc.Reference
	ctx := context.Background()
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	notes := func() int {
		var n int
		e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes WHERE kind = 'note'`).Scan(&n)
		return n
	}
	postRaw := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set("csrf", console.FormToken(con))
		resp, err := noFollow.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}

	_, page := get(t, hc, base+"/cases/"+ref)
	contains(t, "case page", page, `id="action-form"`, `id="response-form"`, `id="published-form"`, `name="csrf"`,
		`<option value="raised_with_state">Raised with the State</option>`, `<option value="II">Annex II (follow-up)</option>`)
	if code, _ := post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"under_assessment"}}); code != http.StatusOK {
		t.Fatalf("moving to under assessment: %d", code)
	}

	// Refused: kept input, error by the field, nothing sent.
	bad := url.Values{"entry": {"action"}, "kind": {"other"}, "date": {"2026-03-14"}, "symbol": {"AL <b>X</b> 1/2026"}, "summary": {" "}}
	resp, body := postRaw("/cases/"+ref+"/entry", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an action of another kind without summary: %d", resp.StatusCode)
	}
	contains(t, "refused action", body, `id="refused" role="alert"`, `id="action-summary-error">Say what was done`,
		`aria-invalid="true"`, `<option value="other" selected>`, `value="2026-03-14"`, `value="AL &lt;b&gt;X&lt;/b&gt; 1/2026"`)
	for _, f := range []url.Values{
		{"entry": {"action"}, "kind": {"communication"}, "date": {"2026-02-30"}},
		{"entry": {"action"}, "kind": {"communication"}, "date": {"2026-02-03"}, "summary": {"a\u202eb"}},
		{"entry": {"response"}, "date": {"2026-04-01"}, "stance": {"angry"}},
		{"entry": {"published"}, "report": {"A/HRC/60/62"}, "annex": {"III"}, "date": {"2025-09-10"}},
		{"entry": {"published"}, "report": {"A/HRC/60/62"}, "annex": {"I"}}, // no date
		{"entry": {"published"}, "report": {"A/HRC/60/62"}, "annex": {"I"}, "date": {"2025-09-31"}},
		{"entry": {"coffee"}},
	} {
		if resp, body := postRaw("/cases/"+ref+"/entry", f); resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "\u202e") {
			t.Errorf("%v: %d, want 422", f, resp.StatusCode)
		}
	}
	resp, err := hc.PostForm(base+"/cases/"+ref+"/entry", url.Values{"entry": {"action"}, "kind": {"referral"}, "date": {"2026-03-01"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form without the session's token: %d", resp.StatusCode)
	}
	if n := notes(); n != 0 {
		t.Fatalf("refused entries, yet %d notes stored", n)
	}

	// The first entry shows the roster first; the form's input is carried.
	action := url.Values{"entry": {"action"}, "kind": {"raised_with_state"}, "date": {"2026-03-20"}, "symbol": {"ZZCANARY <i>1</i>"}, "summary": {"Raised in Geneva.\r\nBy OHCHR."}}
	resp, body = postRaw("/cases/"+ref+"/entry", action)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("first entry: %d, want the roster shown first", resp.StatusCode)
	}
	contains(t, "roster page", body, `name="kind" value="raised_with_state"`, `name="entry" value="action"`, `name="date" value="2026-03-20"`)
	action.Set("accept_roster", acceptance(t, body))
	resp, _ = postRaw("/cases/"+ref+"/entry", action)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != "/cases/"+ref+"?done=action&suggest=raised_with_state#status-form" {
		t.Fatalf("added action: %d to %q, want 303 to the case page offering the status", resp.StatusCode, loc)
	}
	if n := notes(); n != 1 {
		t.Fatalf("%d notes stored, want 1", n)
	}
	_, page = get(t, hc, base+loc)
	contains(t, "case page after the action", page, "The UN action was encrypted to your team", `data-entry="action"`,
		"<dd>Raised with the State</dd>", `<dd class="token">2026-03-20</dd>`, "ZZCANARY &lt;i&gt;1&lt;/i&gt;", "Raised in Geneva.\nBy OHCHR.",
		`<option value="raised_with_state" selected>`, `id="status-suggestion"`, "Suggested by the entry you added: Raised with the State.")
	// A status the workflow does not allow, or one no entry suggests, is
	// never selected, whatever the address says.
	for _, s := range []string{"closed", "published", "under_assessment"} {
		_, pg := get(t, hc, base+"/cases/"+ref+"?suggest="+s)
		if strings.Contains(pg, `" selected>Closed`) || strings.Contains(pg, `<option value="`+s+`" selected>`) {
			t.Errorf("?suggest=%s selects a status", s)
		}
	}
	_, pg := get(t, hc, base+"/cases/"+ref+"?suggest=published")
	contains(t, "a suggestion the workflow does not allow", pg, "suggests the status Published, which this case cannot move to from Under assessment.")

	if code, _ := post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"raised_with_state"}}); code != http.StatusOK {
		t.Fatalf("moving to raised with the State: %d", code)
	}
	resp, _ = postRaw("/cases/"+ref+"/entry", url.Values{"entry": {"response"}, "date": {"2026-04-20"}, "stance": {"denies"}, "summary": {"Denies any link."}})
	if loc = resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "suggest=state_response_received") {
		t.Fatalf("response: %d to %q", resp.StatusCode, loc)
	}
	_, page = get(t, hc, base+loc)
	contains(t, "case page after the response", page, `data-entry="response"`, "<dd>Denies the allegations</dd>", "Denies any link.",
		`<option value="state_response_received" selected>`)
	// A publication needs its report's date: refused by its field, the
	// input kept.
	resp, body = postRaw("/cases/"+ref+"/entry", url.Values{"entry": {"published"}, "report": {"A/HRC/60/62"}, "annex": {"I"}, "paragraph": {"12"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a publication without its date: %d", resp.StatusCode)
	}
	contains(t, "refused publication", body, `id="published-date-error">Fill in this field.`, `value="A/HRC/60/62"`, `value="12"`)
	resp, _ = postRaw("/cases/"+ref+"/entry", url.Values{"entry": {"published"}, "report": {"A/HRC/60/62"}, "annex": {"I"}, "paragraph": {"12"}, "date": {"2025-09-10"}})
	if loc = resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "suggest=published") {
		t.Fatalf("publication: %d to %q", resp.StatusCode, loc)
	}
	_, page = get(t, hc, base+loc)
	contains(t, "case page after the publication", page, `data-entry="published"`, "A/HRC/60/62", "<dd>Annex I (new cases)</dd>", "12", `<dd class="token">2025-09-10</dd>`,
		"cannot move to from Raised with the State")
	// An action that suggests nothing goes to the new note.
	resp, _ = postRaw("/cases/"+ref+"/entry", url.Values{"entry": {"action"}, "kind": {"communication"}, "date": {"2026-03-14"}, "symbol": {"AL BLR 1/2026"}})
	if loc = resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/"+ref+"?done=action#note-") {
		t.Fatalf("communication: %d to %q", resp.StatusCode, loc)
	}

	if n := notes(); n != 4 {
		t.Fatalf("%d notes stored, want 4 (each entry one ordinary team note)", n)
	}
	if dump := e.db.Dump(t); strings.Contains(string(dump), "ZZCANARY") || strings.Contains(string(dump), "A/HRC/60/62") {
		t.Error("an entry reached the server in clear")
	}
	// The export carries the entries.
	code, body := post(t, hc, con, "/cases/"+ref+"/export", nil)
	if code != http.StatusOK || !strings.Contains(body, `"entry": {`) || !strings.Contains(body, `"kind": "raised_with_state"`) {
		t.Errorf("export: %d, entries missing", code)
	}
}

// TestPrintCase: the printable view of a case shows its thread, the
// confidential marking with the handler's name, and is never cached.
func TestPrintCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	acc := e.submit(intaketest.Report("hrc_session"))
	ref := acc.Reference
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	_, page := get(t, hc, base+"/cases/"+ref)
	if !strings.Contains(page, "/cases/"+ref+"/print") {
		t.Fatal("the case page does not link to its printable view")
	}
	resp, err := hc.Get(base + "/cases/" + ref + "/print")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("print view: status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	_, page = get(t, hc, base+"/cases/"+ref+"/print")
	for _, want := range []string{`id="confidential"`, "CONFIDENTIAL", "omar", `id="thread"`, `id="report"`} {
		if !strings.Contains(page, want) {
			t.Errorf("print view lacks %q", want)
		}
	}
}
