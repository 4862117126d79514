package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestMoveAsksFirst: the "Move to" menu starts at "Choose…" (nothing is
// preselected), and an empty choice is refused; closing a case or
// marking it a duplicate shows what the move does and is made only once
// confirmed; the original of a duplicate is one of the team's cases,
// offered from a list, with no made-up reference in the page.
func TestMoveAsksFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	original := e.submit(intaketest.Report("hrc_session")).Reference
	ref := e.submit(intaketest.Report("hrc_session")).Reference
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	status := func() (st, detail string) {
		e.db.Pool().QueryRow(context.Background(), `SELECT status, COALESCE(status_detail, '') FROM reports WHERE reference = $1`, ref).Scan(&st, &detail)
		return
	}

	_, page := get(t, hc, base+"/cases/"+ref)
	menu := regexp.MustCompile(`(?s)<select id="to"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if menu == nil || !strings.HasPrefix(menu[1], `<option value="" selected>Choose…</option>`) || strings.Count(menu[1], " selected") != 1 {
		t.Errorf("the Move to menu does not start at an empty, selected Choose…: %q", menu)
	}
	if strings.Contains(page, "placeholder=") || strings.Contains(page, "7KQ4-M2XD") {
		t.Error("the case page shows a made-up reference")
	}
	contains(t, "case page", page, `list="case-refs"`, `<datalist id="case-refs"><option value="`+original+`">`)
	if strings.Contains(page, `<option value="`+ref+`">`) {
		t.Error("a case is offered as its own original")
	}

	code, body := post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {""}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose the status") {
		t.Errorf("an empty choice: %d", code)
	}
	for _, bad := range []string{"7KQ4-M2XD", ref, ""} {
		code, _ = post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"duplicate"}, "original": {bad}})
		if code != http.StatusUnprocessableEntity {
			t.Errorf("duplicate of %q: %d, want refused", bad, code)
		}
	}

	// Closing: a confirmation first, nothing changed until then.
	code, body = post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"closed"}, "reason": {"resolved"}})
	if code != http.StatusOK || !strings.Contains(body, `id="confirm-move"`) || !strings.Contains(body, "Resolved") ||
		!strings.Contains(body, "a case can only move to: Follow-up") {
		t.Fatalf("closing asks first: %d\n%s", code, body)
	}
	if st, _ := status(); st != "received" {
		t.Fatalf("status %q before confirming, want received", st)
	}
	code, body = post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"closed"}, "reason": {"resolved"}, "confirm": {"yes"}})
	if st, detail := status(); code != http.StatusOK || st != "closed" || detail != "resolved" {
		t.Errorf("closing, confirmed: %d, stored %q %q", code, st, detail)
	}
	contains(t, "after closing", body, "The status was changed.")

	// Reopen, then mark it a duplicate of a real case.
	post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"follow_up"}})
	post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"under_assessment"}})
	code, body = post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"duplicate"}, "original": {strings.ToLower(original)}})
	if code != http.StatusOK || !strings.Contains(body, `name="original" value="`+original+`"`) || !strings.Contains(body, "a duplicate of") {
		t.Fatalf("duplicate asks first: %d\n%s", code, body)
	}
	if st, _ := status(); st != "under_assessment" {
		t.Fatalf("status %q before confirming the duplicate", st)
	}
	post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"duplicate"}, "original": {original}, "confirm": {"yes"}})
	if st, detail := status(); st != "duplicate" || detail != original {
		t.Errorf("duplicate, confirmed: stored %q %q", st, detail)
	}
}

// TestAssignToTeamHandlers: "Assigned to" is a choice among the team's
// active handlers (another team's, or a disabled one, are not offered); a
// name that is none of them is refused.
func TestAssignToTeamHandlers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.handler("nadia", "reprisals-team")
	e.handler("ines", "upr-secretariat")
	e.handler("gone", "reprisals-team")
	if _, err := e.db.Pool().Exec(context.Background(), `UPDATE handlers SET active = false WHERE name = 'gone'`); err != nil {
		t.Fatal(err)
	}
	ref := e.submit(intaketest.Report("hrc_session")).Reference
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	_, page := get(t, hc, base+"/cases/"+ref)
	menu := regexp.MustCompile(`(?s)<select id="set-assignee"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if menu == nil {
		t.Fatalf("Assigned to is not a menu:\n%s", page)
	}
	var got []string
	for _, m := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(menu[1], -1) {
		got = append(got, m[1])
	}
	if want := []string{"", "nadia", "omar"}; !slices.Equal(got, want) {
		t.Errorf("Assigned to offers %q, want %q", got, want)
	}
	for _, who := range []string{"mallory", "ines", "gone"} {
		if code, _ := post(t, hc, con, "/cases/"+ref+"/triage", url.Values{"assignee": {who}}); code != http.StatusUnprocessableEntity {
			t.Errorf("assigning %s, not an active handler of the team: %d", who, code)
		}
	}
	code, body := post(t, hc, con, "/cases/"+ref+"/triage", url.Values{"assignee": {"nadia"}})
	if code != http.StatusOK || !strings.Contains(body, `<option value="nadia" selected>`) {
		t.Errorf("assigning a handler of the team: %d", code)
	}
}

// TestInboxPutsU1AndU2First: by default the inbox lists U1, then U2
// cases before any other, however new those are; "most urgent first"
// orders every class.
func TestInboxPutsU1AndU2First(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	// The urgent cases came in days earlier than the calm ones.
	mk := func(urgency string, daysAgo int) string {
		ref := e.submit(intaketest.Report("hrc_session")).Reference
		if _, err := e.db.Pool().Exec(context.Background(), `UPDATE reports SET urgency = NULLIF($2, ''), received_on = received_on - $3::int WHERE reference = $1`,
			ref, urgency, daysAgo); err != nil {
			t.Fatal(err)
		}
		return ref
	}
	u1, u2, u3, none := mk("U1", 3), mk("U2", 4), mk("U3", 2), mk("", 1)
	newest := mk("U4", 0)
	src := console.NewSource(e.login("omar", id), nil, e.pins())
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	order := func(query string) []string {
		q, _ := url.ParseQuery(query)
		var out []string
		for _, c := range src.Select(console.ParseFilter(q)) {
			out = append(out, c.Meta.Reference)
		}
		return out
	}
	if got := order(""); len(got) != 5 || got[0] != u1 || got[1] != u2 {
		t.Errorf("default order %v: want %s (U1) then %s (U2) first", got, u1, u2)
	}
	if got := order("sort=urgency"); !slices.Equal(got, []string{u1, u2, u3, newest, none}) {
		t.Errorf("most urgent first: %v", got)
	}
	if got := order("sort=received"); !slices.Equal(got, []string{newest, none, u3, u1, u2}) {
		t.Errorf("newest first: %v", got)
	}
}

// TestTeamRosterShowsWhoAndWhich: the team page names each recipient by
// its label, the roster's version and the fingerprints of the pinned
// roster keys that signed it.
func TestTeamRosterShowsWhoAndWhich(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.publishRoster("reprisals-team")
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	_, page := get(t, hc, "http://"+con.Addr()+"/team")
	code, page := post(t, hc, con, "/team", url.Values{"accept_roster": {acceptance(t, page)}})
	if code != http.StatusOK {
		t.Fatalf("team page: %d", code)
	}
	fp := e.rosterKeys["reprisals-team"].Public().Fingerprint()
	contains(t, "team page", page, `id="roster-version">2<`, `<span class="fingerprint">`+fp+`</span>`,
		"handler-0", `<span class="badge">you</span>`, "team-key", id.Recipient().String(),
		`id="roster-signed">Signed <span class="token">`+time.Now().UTC().Format("2006-01-02"), "valid until")
}

// TestClosedPageIsBare: the page shown after Quit has no navigation, no
// language switch and no Quit button: every one of them would lead to a
// console that is gone.
func TestClosedPageIsBare(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	con, _, hc := e.console("omar", id)
	_, open := get(t, hc, "http://"+con.Addr()+"/templates")
	contains(t, "an open page", open, `id="quit"`, "<nav", `name="lang"`)
	code, page := post(t, hc, con, "/quit", nil)
	if code != http.StatusOK || !strings.Contains(page, `id="closed"`) {
		t.Fatalf("quit: %d\n%s", code, page)
	}
	for _, gone := range []string{`id="quit"`, "<nav", `name="lang"`, `href="/"`, `class="skip"`} {
		if strings.Contains(page, gone) {
			t.Errorf("the closed page still has %s", gone)
		}
	}
}
