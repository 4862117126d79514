package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// junkText is a machine-written narrative; each copy gets a number.
const junkText = "Dear sir we offer the best followers and likes for your page at the lowest price in the market, visit our site today and get a bonus"

// seedFlood submits n junk reports (near-identical narratives, no State)
// and real ones with narratives of their own, and returns their
// references.
func seedFlood(e *env, n int, real ...string) (junkRefs, realRefs []string) {
	e.t.Helper()
	for i := range n {
		r := intaketest.Report("hrc_session")
		r.StateConcerned = "unsure"
		r.Incidents[0].Narrative = fmt.Sprintf("%s %d", junkText, i)
		junkRefs = append(junkRefs, e.submit(r).Reference)
	}
	for _, text := range real {
		r := intaketest.Report("hrc_session")
		r.Incidents[0].Narrative = text
		realRefs = append(realRefs, e.submit(r).Reference)
	}
	return junkRefs, realRefs
}

// postBulk posts a console form without following the redirect, and
// returns the status and where it redirects to (or the page).
func postBulk(t testing.TB, hc *http.Client, con *console.Console, path string, form url.Values) (int, string) {
	t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", console.FormToken(con))
	}
	nf := *hc
	nf.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nf.PostForm("http://"+con.Addr()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	return resp.StatusCode, string(b)
}

var bulkPath = regexp.MustCompile(`^/bulk/[A-Za-z0-9_-]{43}$`)

// bulkRun reviews a bulk change (POST /bulk, then its page) and makes it
// (POST /bulk/{id}, then its page), checking the redirects, and returns
// the review and the result pages.
func bulkRun(t testing.TB, hc *http.Client, con *console.Console, form url.Values) (review, result string) {
	t.Helper()
	code, loc := postBulk(t, hc, con, "/bulk", form)
	if code != http.StatusSeeOther || !bulkPath.MatchString(loc) {
		t.Fatalf("POST /bulk: %d %s", code, loc)
	}
	base := "http://" + con.Addr()
	review = getPage(t, hc, base+loc)
	code, loc2 := postBulk(t, hc, con, loc, url.Values{})
	if code != http.StatusSeeOther || loc2 != loc {
		t.Fatalf("POST %s: %d %s", loc, code, loc2)
	}
	return review, getPage(t, hc, base+loc)
}

func getPage(t testing.TB, hc *http.Client, u string) string {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

// triageAudits counts, per case, the server's audit entries of triage
// changes whose detail contains what.
func (e *env) triageAudits(what string) map[string]int {
	e.t.Helper()
	rows, err := e.db.Pool().Query(context.Background(),
		`SELECT reference, count(*) FROM audit_log WHERE action = 'case.triage' AND detail LIKE '%' || $1 || '%' GROUP BY reference`, what)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ref string
		var n int
		if err := rows.Scan(&ref, &n); err != nil {
			e.t.Fatal(err)
		}
		out[ref] = n
	}
	return out
}

// status returns a case's stored status and detail.
func (e *env) status(ref string) (string, string) {
	e.t.Helper()
	var st, detail string
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT status, coalesce(status_detail, '') FROM reports WHERE reference = $1`, ref).Scan(&st, &detail); err != nil {
		e.t.Fatal(err)
	}
	return st, detail
}

// TestBulkTriage: the junk filters find a flood and count it; all the
// cases a filter selects are closed as not a report in one step, each
// through the handler API with one audit entry of its own; a case changed
// meanwhile by a colleague is reported, in words, as not changed; sending
// the form twice changes nothing more; cases ticked one by one get an
// urgency or an assignee; what is refused is refused before anything is
// sent; and the annual counts leave the closed cases out.
func TestBulkTriage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	inesID := e.handler("ines", "reprisals-team")
	junk, real := seedFlood(e, 24, "Arrested at home two weeks after the review.", " \u200b\u202e ", "Her passport was seized at the airport on the way to Geneva.")
	con, src, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	getPage(t, hc, base+"/")
	if err := src.WaitLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}

	page := getPage(t, hc, base+"/")
	contains(t, "inbox", page, `id="bulk"`, `name="ref" value="`+junk[0]+`"`, `id="bulk-all"`,
		`>Near-identical narratives</a>: <span class="token">24</span>`, `>Empty narrative</a>: <span class="token">1</span>`,
		`>No State (none, not sure, or not a State&#39;s code)</a>: <span class="token">24</span>`,
		`>Received in a burst (10 or more within 10 minutes)</a>: <span class="token">27</span>`,
		"near-identical to 23 other cases", "empty narrative")
	similar := getPage(t, hc, base+"/?junk=similar")
	contains(t, "near-identical filter", similar, "24 cases match; showing 24.")
	for _, ref := range real {
		if strings.Contains(similar, ref) {
			t.Errorf("the near-identical filter shows the real case %s", ref)
		}
	}
	contains(t, "empty filter", getPage(t, hc, base+"/?junk=empty"), "1 case matches;", real[1])

	// A colleague closes one of them meanwhile, from elsewhere.
	ines := e.login("ines", inesID)
	st, reason := "closed", "resolved"
	if _, err := ines.Triage(context.Background(), junk[5], handlerapi.Change{Status: &st, StatusDetail: &reason}); err != nil {
		t.Fatal(err)
	}

	form := url.Values{"action": {"close"}, "all": {"1"}, "filter": {"junk=similar"}}
	code, loc := postBulk(t, hc, con, "/bulk", form)
	if code != http.StatusSeeOther || !bulkPath.MatchString(loc) {
		t.Fatalf("POST /bulk: %d %s", code, loc)
	}
	review := getPage(t, hc, base+loc)
	contains(t, "review", review, "Close 24 cases as “not a report”?", "Yes, close these 24 cases", "left out of every figure",
		junk[0], junk[23], "Closed (Not a report (left out of every figure))", `id="bulk-cancel"`)
	// Nothing changes before the confirmation.
	if st, _ := e.status(junk[0]); st != "received" {
		t.Fatalf("reviewing closed %s", junk[0])
	}
	// Without the form's token: refused, nothing done.
	if code, _ := postBulk(t, hc, con, loc, url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("applying without the token: %d", code)
	}
	if n := len(e.triageAudits("not_a_report")); n != 0 {
		t.Fatalf("%d cases changed before the confirmation", n)
	}
	if code, loc2 := postBulk(t, hc, con, loc, url.Values{}); code != http.StatusSeeOther || loc2 != loc {
		t.Fatalf("applying: %d %s", code, loc2)
	}
	result := getPage(t, hc, base+loc)
	contains(t, "result", result, "23 cases were changed", "1 case was not changed", junk[5],
		"The server refused the change, so nothing was changed: the case was probably changed meanwhile")
	// Sent again (Back, then the button): nothing is done twice.
	if code, _ := postBulk(t, hc, con, loc, url.Values{}); code != http.StatusSeeOther {
		t.Errorf("applying again: %d", code)
	}
	audits := e.triageAudits("-> closed not_a_report")
	for i, ref := range junk {
		st, detail := e.status(ref)
		switch {
		case i == 5:
			if detail != "resolved" || audits[ref] != 0 {
				t.Errorf("%s, closed by a colleague: %s %s, %d audit entries of the bulk close", ref, st, detail, audits[ref])
			}
		case st != "closed" || detail != "not_a_report" || audits[ref] != 1:
			t.Errorf("%s: %s (%s), %d audit entries, want closed (not_a_report) and 1", ref, st, detail, audits[ref])
		}
	}
	for _, ref := range real {
		if st, _ := e.status(ref); st != "received" {
			t.Errorf("the real case %s was changed: %s", ref, st)
		}
	}
	// The inbox shows the new status at once, without fetching again.
	contains(t, "inbox after", getPage(t, hc, base+"/?status=closed"), "24 cases match")

	// The annual counts leave them out (and the colleague's closed case in).
	contains(t, "annual", getPage(t, hc, base+"/annual"), "4 cases in the period")

	// One by one: two ticked cases get U4, then are assigned to ines.
	review, result = bulkRun(t, hc, con, url.Values{"action": {"urgency"}, "urgency": {"U4"}, "ref": {real[0], real[2], real[0]}})
	contains(t, "urgency review", review, "Set the urgency of 2 cases to U4: pattern, follow-up or information only?")
	contains(t, "urgency result", result, "2 cases were changed")
	_, result = bulkRun(t, hc, con, url.Values{"action": {"assign"}, "assignee": {"ines"}, "ref": {real[0], real[2]}})
	contains(t, "assign result", result, "2 cases were changed")
	for _, ref := range []string{real[0], real[2]} {
		var urgency, assignee string
		e.db.Pool().QueryRow(context.Background(), `SELECT coalesce(urgency, ''), coalesce(assignee, '') FROM reports WHERE reference = $1`, ref).Scan(&urgency, &assignee)
		if urgency != "U4" || assignee != "ines" {
			t.Errorf("%s: urgency %q, assignee %q", ref, urgency, assignee)
		}
	}
	if got := e.triageAudits("urgency - -> U4"); got[real[0]] != 1 || got[real[2]] != 1 || len(got) != 2 {
		t.Errorf("urgency audit entries: %v", got)
	}
	// Already so: left out at review, and said why.
	review, _ = bulkRun(t, hc, con, url.Values{"action": {"assign"}, "assignee": {"ines"}, "ref": {real[0]}})
	contains(t, "nothing to do", review, "None of the selected cases can be changed this way.", "Already assigned to ines.")
	// A closed case cannot be closed again; one not loaded is named.
	review, _ = bulkRun(t, hc, con, url.Values{"action": {"close"}, "ref": {junk[0], real[1], "ZZZZ-ZZZZ"}})
	contains(t, "mixed review", review, "Close 1 case as", "Already closed.", "This case is not in the console&#39;s list any more.")

	// A duplicate cannot be closed: desk's check, worded as on the case page.
	dup, orig := "duplicate", real[0]
	if _, err := ines.Triage(context.Background(), real[2], handlerapi.Change{Status: &dup, StatusDetail: &orig}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Refresh(context.Background(), real[2]); err != nil {
		t.Fatal(err)
	}
	review, _ = bulkRun(t, hc, con, url.Values{"action": {"close"}, "ref": {real[2]}})
	contains(t, "duplicate review", review, "It is “Duplicate” now: a case in that status cannot be closed.")

	// Refused before anything is sent.
	for name, f := range map[string]url.Values{
		"no case":           {"action": {"close"}},
		"no action":         {"ref": {real[0]}},
		"unknown action":    {"action": {"delete"}, "ref": {real[0]}},
		"assignee of none":  {"action": {"assign"}, "assignee": {"mallory"}, "ref": {real[0]}},
		"urgency of none":   {"action": {"urgency"}, "urgency": {"U9"}, "ref": {real[0]}},
		"malformed refs":    {"action": {"close"}, "ref": {"../../x", "<b>", strings.Repeat("A", 500)}},
		"a filter of none":  {"action": {"close"}, "all": {"1"}, "filter": {"q=nothing+matches+this"}},
		"a malformed query": {"action": {"close"}, "all": {"1"}, "filter": {"%zz&junk=%00"}},
		"a filter widened":  {"action": {"close"}, "all": {"1"}, "filter": {"junk=bogus"}},
	} {
		if code, body := postBulk(t, hc, con, "/bulk", f); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %.200s", name, code, body)
		}
	}
	if code, _ := postBulk(t, hc, con, "/bulk", url.Values{"action": {"close"}, "ref": {real[0]}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("without the token: %d", code)
	}
	if code, _ := postBulk(t, hc, con, "/bulk", url.Values{"action": {"close"}, "ref": {strings.Repeat("AAAA-AAAA ", 20_000)}}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized form: %d", code)
	}
	for _, p := range []string{"/bulk/nope", "/bulk/" + strings.Repeat("A", 43)} {
		if code, _ := get(t, hc, base+p); code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	// Every change is in the audit chain, which still verifies.
	v := audit.NewVerifier(audit.Key(e.teams.Config.ReceiptKey()))
	if err := e.db.AuditEntries(context.Background(), v.Check); err != nil {
		t.Error(err)
	}
}

// TestRacingBulkCloses: two handlers close the same 30 cases in bulk at
// the same moment, from two consoles. Each case is closed exactly once,
// with one audit entry; together the two results account for every case,
// and the one that lost a case says so, in words.
func TestRacingBulkCloses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := map[string]*age.X25519Identity{"omar": e.handler("omar", "reprisals-team"), "ines": e.handler("ines", "reprisals-team")}
	junk, _ := seedFlood(e, 30)
	type side struct {
		con *console.Console
		hc  *http.Client
		loc string
	}
	var sides []*side
	for _, name := range []string{"omar", "ines"} {
		con, src, hc := e.console(name, ids[name])
		getPage(t, hc, "http://"+con.Addr()+"/")
		src.WaitLoaded(context.Background())
		code, loc := postBulk(t, hc, con, "/bulk", url.Values{"action": {"close"}, "all": {"1"}, "filter": {"junk=similar"}})
		if code != http.StatusSeeOther {
			t.Fatalf("%s: POST /bulk: %d %s", name, code, loc)
		}
		sides = append(sides, &side{con, hc, loc})
	}
	var wg sync.WaitGroup
	for _, s := range sides {
		wg.Go(func() {
			if code, _ := postBulk(t, s.hc, s.con, s.loc, url.Values{}); code != http.StatusSeeOther {
				t.Errorf("applying: %d", code)
			}
		})
	}
	wg.Wait()
	changed := regexp.MustCompile(`(\d+) cases? (?:were|was) changed`) // "1 case was changed" in its plural form
	total := 0
	for _, s := range sides {
		page := getPage(t, s.hc, "http://"+s.con.Addr()+s.loc)
		m := changed.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no result:\n%s", page)
		}
		var n int
		fmt.Sscan(m[1], &n)
		total += n
		if n < 30 && !strings.Contains(page, "the case was probably changed meanwhile, perhaps by a colleague") {
			t.Errorf("a side changed %d cases and does not say why not the others", n)
		}
	}
	if total != 30 {
		t.Errorf("the two sides changed %d cases together, want 30", total)
	}
	audits := e.triageAudits("-> closed not_a_report")
	for _, ref := range junk {
		if st, detail := e.status(ref); st != "closed" || detail != "not_a_report" || audits[ref] != 1 {
			t.Errorf("%s: %s (%s), %d audit entries, want closed once", ref, st, detail, audits[ref])
		}
	}
}
