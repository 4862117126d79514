package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// annexHalves returns the annex page's Annex I and Annex II parts.
func annexHalves(t *testing.T, hc *http.Client, url string) (string, string) {
	t.Helper()
	_, page := get(t, hc, url)
	i, j := strings.Index(page, `id="annex-i"`), strings.Index(page, `id="annex-ii"`)
	if i < 0 || j < i {
		t.Fatalf("no annexes on the page:\n%s", page)
	}
	return page[i:j], page[j:]
}

// TestNoteDatesMoveNoCase: the split between Annex I (new) and Annex II
// (follow-up) reads only sealed dates (a publication's report date, an
// action's, a response's), so a hostile server that changes the clear
// day of the notes that carry them cannot move a case between the
// annexes, against the real server. (The console read the notes' clear
// day before publications carried their date: changing it moved both
// cases below.)
func TestNoteDatesMoveNoCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.publishRoster("reprisals-team", id)
	mk := func(name string) string {
		r := intaketest.Report("special_procedures")
		r.StateConcerned, r.Consent.Publication = "EG", "named"
		r.Victims[0].Name = name
		return e.submit(r).Reference
	}
	// The period the console drafts by default: the one today is in.
	now := time.Now()
	y := now.Year()
	if now.Month() >= time.May {
		y++
	}
	p := sgreport.AnnualPeriod(y)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	drafting := mk("Drafting Case")   // published in the report being drafted: Annex I
	earlier := mk("Earlier Reported") // published in an earlier report, a response since: Annex II
	ctx := context.Background()
	api := e.login("omar", id)
	d := desk.Desk{API: api, IDs: []age.Identity{id}, Rosters: &desk.Rosters{API: api, PinsPath: e.pins(), Confirm: func(string) bool { return true }},
		Handler: "omar", Team: "reprisals-team", Mine: []string{id.Recipient().String()}}
	for ref, entries := range map[string][]envelope.Entry{
		drafting: {
			{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: day(now), Symbol: "AL EGY 8/2026"}},
			{Published: &envelope.Published{Report: "A/HRC/DRAFTING/1", Annex: "I", Date: day(p.To.AddDate(0, 4, 0))}},
		},
		earlier: {
			{Published: &envelope.Published{Report: "A/HRC/EARLIER/1", Annex: "I", Date: day(p.From)}},
			{Response: &envelope.Response{Date: day(p.From.AddDate(0, 0, 1)), Stance: envelope.StanceDenies}},
		},
	} {
		for _, en := range entries {
			if _, err := d.AddEntry(ctx, ref, en); err != nil {
				t.Fatal(err)
			}
		}
	}
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	get(t, hc, base+"/")
	check := func(when string) {
		t.Helper()
		first, second := annexHalves(t, hc, base+"/annexes")
		if !strings.Contains(first, "Case "+drafting) || strings.Contains(second, "Case "+drafting) {
			t.Errorf("%s: the case published in the report being drafted is not in Annex I only", when)
		}
		if !strings.Contains(second, "Case "+earlier) || strings.Contains(first, "Case "+earlier) {
			t.Errorf("%s: the case published in an earlier report is not in Annex II only", when)
		}
	}
	check("honest server")

	// The server sets the notes' clear days the other way round: the
	// drafting case's long before the period, the earlier case's after it.
	for ref, on := range map[string]string{drafting: "2000-01-01", earlier: day(p.To.AddDate(1, 0, 0))} {
		tag, err := e.db.Pool().Exec(ctx, `UPDATE notes SET created_on = $1 WHERE report_id = (SELECT id FROM reports WHERE reference = $2)`, on, ref)
		if err != nil || tag.RowsAffected() != 2 {
			t.Fatalf("setting %s's note days: %v (%d rows)", ref, err, tag.RowsAffected())
		}
	}
	post(t, hc, con, "/reload", nil)
	check("hostile note days")
	_, annual := get(t, hc, base+"/annual")
	contains(t, "annual page, hostile note days", annual, `<th scope="row">New cases (Annex I)</th><td>1</td>`, `<th scope="row">Follow-up on earlier reports (Annex II)</th><td>1</td>`)
}

// TestUnlinkFromTheCasePage links two cases, then undoes the link with
// the button beside the other case (POST with the session's token),
// against the real server: two more ordinary notes, the sources view and
// the annual figures count the cases apart again, the thread says the
// link was undone; a forged undoing of cases not linked, or without the
// token, changes nothing.
func TestUnlinkFromTheCasePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.publishRoster("reprisals-team", id)
	mk := func(name string) string {
		r := intaketest.Report("special_procedures")
		r.StateConcerned, r.Consent.Publication = "EG", "anonymous"
		r.Victims[0].Name = name
		return e.submit(r).Reference
	}
	a, b, c := mk("First Source"), mk("Second Source"), mk("Third Case")
	ctx := context.Background()
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	get(t, hc, base+"/")
	notes := func() int {
		var n int
		e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&n)
		return n
	}
	code, page := post(t, hc, con, "/cases/"+a+"/link", url.Values{"other": {b}})
	if code == http.StatusConflict {
		code, page = post(t, hc, con, "/cases/"+a+"/link", url.Values{"other": {b}, "accept_roster": {acceptance(t, page)}})
	}
	if code != http.StatusOK {
		t.Fatalf("link: %d\n%s", code, page)
	}
	contains(t, "case page, linked", page, `id="sources"`, `action="/cases/`+a+`/unlink"`, `name="other" value="`+b+`"`, `id="unlink-case-`+b+`"`, "Undo the link with "+b)
	_, annual := get(t, hc, base+"/annual")
	contains(t, "annual page, linked", annual, `<th scope="row">2 sources</th><td>1</td>`)

	before := notes()
	for _, f := range []url.Values{{"other": {c}}, {"other": {a}}, {"other": {"nope"}}} {
		if code, _ := post(t, hc, con, "/cases/"+a+"/unlink", f); code != http.StatusUnprocessableEntity {
			t.Errorf("unlink %v: %d, want 422", f, code)
		}
	}
	resp, err := hc.PostForm(base+"/cases/"+a+"/unlink", url.Values{"other": {b}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an undoing without the session's token: %d", resp.StatusCode)
	}
	if n := notes(); n != before {
		t.Fatalf("refused undoings, yet %d notes stored", n-before)
	}

	code, page = post(t, hc, con, "/cases/"+a+"/unlink", url.Values{"other": {b}})
	if code != http.StatusOK {
		t.Fatalf("unlink: %d\n%s", code, page)
	}
	if n := notes(); n != before+2 {
		t.Errorf("%d notes stored for an undoing, want 2 (one on each case)", n-before)
	}
	contains(t, "case page, unlinked", page, "The link was undone", "No case is linked to this one.", "No longer the same person or event as")
	if strings.Contains(page, `id="sources"`) {
		t.Error("the sources view still shows the other case")
	}
	_, other := get(t, hc, base+"/cases/"+b)
	contains(t, "the other case, unlinked", other, "No case is linked to this one.")
	_, annual = get(t, hc, base+"/annual")
	contains(t, "annual page, unlinked", annual, `<th scope="row">1 source</th><td>3</td>`)
	if strings.Contains(annual, "2 sources") {
		t.Error("the annual figures still count two sources")
	}
}

var _ = intake.ChannelPublic
