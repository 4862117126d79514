package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestLinkedCasesAndAnnexes links two cases from the case page against
// the real server (two ordinary sealed notes, the sources side by side on
// both cases), records a UN action and a publication, and checks the
// figures (one case with two sources, new and follow-up) and the annex
// drafts: the page (escaped, not cached, a section per State in the
// chosen language's order) and the Markdown download (inert, audited).
func TestLinkedCasesAndAnnexes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.publishRoster("reprisals-team", id)
	mk := func(state, publication, name string, edit func(*intake.Report)) string {
		r := intaketest.Report("special_procedures")
		r.StateConcerned, r.Consent.Publication = state, publication
		r.Victims[0].Name = name
		if edit != nil {
			edit(r)
		}
		return e.submit(r).Reference
	}
	first := mk("EG", "named", "Nadia First", nil)
	second := mk("EG", "anonymous", "Second Source", nil)
	hostile := mk("DE", "named", "<script>alert(1)</script> # Heading [x](javascript:y) \u202eevil", func(r *intake.Report) {
		r.Incidents[0].Narrative = "Line one.\n\n## not a heading\n- not a list"
	})
	published := mk("TD", "named", "Earlier Published", nil)
	junk := mk("EG", "named", "Junk Junk", nil)
	ctx := context.Background()

	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	get(t, hc, base+"/")

	// Link from the case page: refused for itself or a non-reference.
	for _, other := range []string{first, "nope", ""} {
		if code, _ := post(t, hc, con, "/cases/"+first+"/link", url.Values{"other": {other}}); code != http.StatusUnprocessableEntity {
			t.Errorf("link to %q: %d", other, code)
		}
	}
	var before int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&before)
	code, page := post(t, hc, con, "/cases/"+first+"/link", url.Values{"other": {strings.ToLower(second)}})
	if code == http.StatusConflict { // the team roster, seen for the first time
		if strings.Count(page, `name="other" value="`+strings.ToLower(second)+`"`) != 1 {
			t.Errorf("the roster page does not carry the link's other case")
		}
		code, page = post(t, hc, con, "/cases/"+first+"/link", url.Values{"other": {strings.ToLower(second)}, "accept_roster": {acceptance(t, page)}})
	}
	if code != http.StatusOK {
		t.Fatalf("link: %d\n%s", code, page)
	}
	contains(t, "case page after linking", page, "The cases were linked", `id="sources"`, `<a href="/cases/`+second+`" class="token">`, "Second Source", "Nadia First")
	var kinds []string
	rows, _ := e.db.Pool().Query(ctx, `SELECT kind FROM notes ORDER BY id OFFSET $1`, before)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds = append(kinds, k)
	}
	rows.Close()
	if strings.Join(kinds, ",") != "note,note" {
		t.Errorf("the server stored %v for a link, want two ordinary notes", kinds)
	}
	_, other := get(t, hc, base+"/cases/"+second)
	contains(t, "the other case", other, `id="sources"`, `<a href="/cases/`+first+`" class="token">`, "Nadia First")

	// A UN action on the linked pair; a case published in an earlier
	// report (dated within the period, before its end) with a response
	// since; one closed as not a report.
	api := e.login("omar", id)
	d := desk.Desk{API: api, IDs: []age.Identity{id}, Rosters: &desk.Rosters{API: api, PinsPath: e.pins(), Confirm: func(string) bool { return true }},
		Handler: "omar", Team: "reprisals-team", Mine: []string{id.Recipient().String()}}
	add := func(ref string, en envelope.Entry) int64 {
		t.Helper()
		n, err := d.AddEntry(ctx, ref, en)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	add(second, envelope.Entry{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: "2026-11-02", Symbol: "AL EGY 7/2026", Summary: "Sent ACTSUM"}})
	add(published, envelope.Entry{Published: &envelope.Published{Report: "A/HRC/63/40", Annex: "I", Date: "2026-06-01"}})
	add(published, envelope.Entry{Response: &envelope.Response{Date: "2026-09-10", Stance: envelope.StanceInvestigates}})
	if _, err := api.Triage(ctx, junk, handlerapi.Change{Status: ptr("closed"), StatusDetail: ptr(handlerapi.NotAReport)}); err != nil {
		t.Fatal(err)
	}
	post(t, hc, con, "/reload", nil)

	_, annual := get(t, hc, base+"/annual")
	// The linked pair is one case; the one closed as not a report none.
	contains(t, "annual page", annual, "3 cases in the period",
		`<th scope="row">New cases (Annex I)</th><td>2</td>`, `<th scope="row">Follow-up on earlier reports (Annex II)</th><td>1</td>`,
		`<th scope="row">1 source</th><td>2</td>`, `<th scope="row">2 sources</th><td>1</td>`, `href="/annexes?from=`)

	resp, err := hc.Get(base + "/annexes?lang=fr")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	annex := b.String()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("annex page: %d, Cache-Control %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), annex)
	}
	// The pair is described at its more restrictive source's level
	// (anonymous): no name of either.
	pair := min(first, second)
	contains(t, "annex page", annex, `lang="fr" id="draft"`, "Annexe I : nouveaux cas", "Annexe II : suivi",
		"Cas "+pair+", 2 sources", "AL EGY 7/2026", "(non nommé)", "&lt;script&gt;alert(1)&lt;/script&gt;", `\u202eevil`,
		"Earlier Published", "A/HRC/63/40", "Dit enquêter",
		// The reporter's answer on an official UN document: the named
		// cases with the symbol, the anonymous pair without it.
		"<dt>Déjà mentionné dans un document officiel de l&#39;ONU (selon l&#39;auteur du signalement)</dt><dd>Oui (A/HRC/57/30)</dd>",
		"<dt>Déjà mentionné dans un document officiel de l&#39;ONU (selon l&#39;auteur du signalement)</dt><dd>Oui</dd>")
	// French order: Allemagne (DE) before Égypte (EG); Tchad (TD) is in
	// Annex II only.
	if i, j := strings.Index(annex, "<h4>Allemagne</h4>"), strings.Index(annex, "<h4>Égypte</h4>"); i < 0 || j < 0 || i > j {
		t.Errorf("States not in French order: Allemagne at %d, Égypte at %d", i, j)
	}
	for _, never := range []string{"Nadia First", "Second Source", "ACTSUM", "Junk Junk", "<script>alert", "\u202e"} {
		if strings.Contains(annex, never) {
			t.Errorf("the annex page shows %q", never)
		}
	}

	code, md := post(t, hc, con, "/annexes/markdown", url.Values{"from": {"2026-05-01"}, "to": {"2027-04-30"}, "lang": {"en"}})
	if code != http.StatusOK {
		t.Fatalf("Markdown: %d\n%s", code, md)
	}
	contains(t, "Markdown", md, "## Annex I: new cases", "### Egypt", "#### Case "+pair+", 2 sources", `\<script\>`, `\# Heading`, `\[x\]`, "Earlier Published")
	for _, never := range []string{"Nadia First", "Second Source", "Junk Junk", "\n## not a heading", "\n- not a list", "\u202e", "<script"} {
		if strings.Contains(strings.ReplaceAll(md, `\<script`, ""), never) {
			t.Errorf("the Markdown holds %q", never)
		}
	}
	var audited int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.export'`).Scan(&audited)
	if audited != 4 { // the pair's two sources, hostile, published
		t.Errorf("%d export audit entries, want one per case the drafts draw on (4)", audited)
	}
	if !strings.Contains(md, hostile) {
		t.Errorf("the Markdown lacks the named case %s", hostile)
	}
}

func ptr(s string) *string { return &s }
