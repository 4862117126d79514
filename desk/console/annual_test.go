package console_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// seedAnnual submits four reports with known answers for the annual
// report: two on the DPRK (named, anonymous), one on Türkiye without
// consent to publication, one "not sure" as a pattern only.
func seedAnnual(e *env) map[string]string {
	mk := func(body, state, publication string, edit func(*intake.Report)) string {
		r := intaketest.Report(body)
		r.StateConcerned, r.Consent.Publication = state, publication
		if edit != nil {
			edit(r)
		}
		return e.submit(r).Reference
	}
	return map[string]string{
		"named": mk("hrc_session", "KP", "named", func(r *intake.Report) {
			r.Victims[0].Name = "Kim Named"
			r.Incidents[0].Narrative = "Named narrative."
		}),
		"anonymous": mk("upr", "KP", "anonymous", func(r *intake.Report) {
			r.Victims[0].Name = "Secret Anonymous"
			r.Incidents[0].Types = []string{"travel_ban"}
		}),
		"no": mk("treaty_body", "TR", "no", func(r *intake.Report) { r.Victims[0].Name = "Never Published" }),
		"pattern": mk("hrc_session", "unsure", "pattern_only", func(r *intake.Report) {
			r.Victims[0].Name = "Only Pattern"
			r.Victims[0].Roles = []string{"witness"}
		}),
	}
}

// TestAnnualReport counts the seeded cases of the current reporting year
// and exports the CSV: only the cases whose consent allows it, each with
// the fields its level allows, every exported case audited.
func TestAnnualReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	refs := seedAnnual(e)
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()

	code, page := get(t, hc, base+"/annual")
	if code != http.StatusOK {
		t.Fatalf("annual page: %d\n%s", code, page)
	}
	contains(t, "annual page", page,
		"4 cases in the period (duplicates and cases closed as not a report left out); 3 may appear in the CSV.",
		"<th scope=\"row\">Democratic People&#39;s Republic of Korea</th><td>2</td>",
		"<th scope=\"row\">Türkiye</th><td>1</td>", "<th scope=\"row\">Not sure</th><td>1</td>",
		"<th scope=\"row\">Travel ban</th><td>1</td>", "<th scope=\"row\">Arrest or detention</th><td>3</td>",
		"<th scope=\"row\">Human Rights Council session</th><td>2</td>", "<th scope=\"row\">Witness</th><td>1</td>",
		"<th scope=\"row\">Not at all</th><td>1</td>", "<th scope=\"row\">No consent to publication</th><td>1</td>")
	if code, _ := get(t, hc, base+"/annual?from=2026-12-01&to=2026-01-01"); code != http.StatusUnprocessableEntity {
		t.Errorf("a period that ends before it starts: %d", code)
	}
	_, empty := get(t, hc, base+"/annual?from=2020-05-01&to=2021-04-30")
	contains(t, "an empty period", empty, "0 cases in the period")

	// The page in French names the State as the UN does in French.
	post(t, hc, con, "/lang", url.Values{"lang": {"fr"}, "back": {"/annual"}})
	_, fr := get(t, hc, base+"/annual")
	contains(t, "French annual page", fr, "République populaire démocratique de Corée", "Par État concerné",
		"4 dossiers dans la période (hors doublons et dossiers clos comme n&#39;étant pas un signalement) ; 3 peuvent figurer dans le CSV.")
	post(t, hc, con, "/lang", url.Values{"lang": {"es"}, "back": {"/annual"}})
	_, es := get(t, hc, base+"/annual")
	contains(t, "Spanish annual page", es, "4 casos en el período (sin contar duplicados ni casos cerrados por no ser una denuncia); 3 pueden figurar en el CSV.")
	post(t, hc, con, "/lang", url.Values{"lang": {"en"}, "back": {"/"}})

	code, body := post(t, hc, con, "/annual/csv", url.Values{"from": {"2020-01-01"}, "to": {"2030-12-31"}, "lang": {"en"}})
	if code != http.StatusOK {
		t.Fatalf("CSV: %d\n%s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("CSV: %d rows (%v), want a header and 3\n%s", len(rows), err, body)
	}
	for _, want := range []string{refs["named"], refs["anonymous"], refs["pattern"], "Kim Named", "Named narrative."} {
		if !strings.Contains(body, want) {
			t.Errorf("the CSV lacks %q", want)
		}
	}
	for _, never := range []string{refs["no"], "Never Published", "Secret Anonymous", "Only Pattern"} {
		if strings.Contains(body, never) {
			t.Errorf("the CSV holds %q, which its consent does not allow", never)
		}
	}
	var audited int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'case.export'`).Scan(&audited)
	if audited != 3 {
		t.Errorf("%d export audit entries, want one per exported case (3)", audited)
	}
	// Without the form token, nothing is exported.
	resp, err := hc.PostForm(base+"/annual/csv", url.Values{"from": {"2020-01-01"}, "to": {"2030-12-31"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("CSV without the form token: %d", resp.StatusCode)
	}
}
