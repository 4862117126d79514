package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// paperCanary marks every free-text field of the report a paper test
// submits (intaketest.PlantCanary), each followed by its path.
const paperCanary = "ZQPAPER"

// wholeCase submits a report with every free-text field planted and a bidi
// override in the first victim's name, then gives it a follow-up, an
// attachment, a team note, a signed reply, a UN action, a State response,
// a publication and a link to a second case, all through the real
// server and the console's own forms; followUps are more follow-ups. It returns the console, its client,
// the case's reference, the linked case's and the planted fields' texts.
func wholeCase(t *testing.T, e *env, followUps ...string) paperCase {
	t.Helper()
	var planted []string
	id := e.handler("omar", "reprisals-team")
	r := intaketest.Report("hrc_session")
	if intaketest.PlantCanary(r, paperCanary) == 0 {
		t.Fatal("no field planted")
	}
	r.Victims = append(r.Victims, r.Victims[0])
	r.Victims[1].Name = paperCanary + " second victim"
	r.Victims[1].Kind, r.Victims[1].Roles, r.Victims[1].Status = "group", []string{"relative"}, "in_exile"
	r.Victims[0].Name += " \u202eredro"
	b, _ := json.Marshal(r)
	planted = regexp.MustCompile(paperCanary+` [a-z_A-Z0-9.\[\]]+`).FindAllString(string(b), -1)
	acc := e.submit(r)
	ref := acc.Reference
	other := e.submit(intaketest.Report("upr")).Reference
	ctx := context.Background()
	visit, err := e.svc.Lookup(ctx, acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FollowUp(ctx, visit.Case, paperCanary+" follow-up: released on bail.", "en"); err != nil {
		t.Fatal(err)
	}
	for _, f := range followUps {
		if err := e.svc.FollowUp(ctx, visit.Case, f, "en"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Attach(ctx, visit.Case, paperCanary+"-photo\u202egpj.exe", "image/jpeg", bytes.NewReader([]byte("ZQCONTENT never on paper")), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	note := url.Values{"text": {paperCanary + " team note: called the family."}}
	code, body := post(t, hc, con, "/cases/"+ref+"/note", note)
	if code == http.StatusConflict {
		note.Set("accept_roster", acceptance(t, body))
		code, body = post(t, hc, con, "/cases/"+ref+"/note", note)
	}
	if code != http.StatusOK {
		t.Fatalf("note: %d\n%s", code, body)
	}
	for what, form := range map[string]url.Values{
		"reply":     {"text": {paperCanary + " reply: we raised your case."}},
		"action":    {"entry": {"action"}, "kind": {"communication"}, "date": {"2026-03-14"}, "symbol": {"AL ZQSYMBOL 1/2026"}, "summary": {paperCanary + " action summary"}},
		"response":  {"entry": {"response"}, "date": {"2026-04-20"}, "stance": {"denies"}, "summary": {paperCanary + " response summary"}},
		"published": {"entry": {"published"}, "report": {"A/HRC/ZQ/62"}, "annex": {"II"}, "paragraph": {"ZQ12"}, "date": {"2025-09-10"}},
		"link":      {"other": {other}},
	} {
		path := "/cases/" + ref + "/entry"
		if what == "reply" || what == "link" {
			path = "/cases/" + ref + "/" + what
		}
		if code, body := post(t, hc, con, path, form); code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", what, code, body)
		}
	}
	return paperCase{con: con, hc: hc, base: base, ref: ref, other: other, planted: planted, id: id}
}

// paperCase is the case wholeCase made, in the console of its handler.
type paperCase struct {
	con              *console.Console
	hc               *http.Client
	base, ref, other string
	planted          []string
	id               *age.X25519Identity
}

// TestPrintShowsTheWholeCase: the printable view shows everything the
// case page shows of a case, from the real server: every field the
// reporter filled in (each planted free-text field, row by row, and the
// choices in words), the follow-up, the note, the reply with its
// signature's status, each structured entry, the linked case side by
// side, and the attachment by name and size, never its content; with the
// report's bidi override and markup escaped.
func TestPrintShowsTheWholeCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := wholeCase(t, e)
	base, hc, ref, other, planted := pc.base, pc.hc, pc.ref, pc.other, pc.planted
	code, page := get(t, hc, base+"/cases/"+ref+"/print")
	if code != http.StatusOK {
		t.Fatalf("print: %d\n%s", code, page)
	}
	if len(planted) < 25 {
		t.Fatalf("only %d planted fields: %q", len(planted), planted)
	}
	for _, f := range planted {
		if !strings.Contains(page, f) {
			t.Errorf("the printed case lacks the field %q", f)
		}
	}
	for _, row := range []struct{ what, want string }{
		{"marking", `id="confidential"><strong>CONFIDENTIAL</strong> · Printed by omar on `},
		{"status", `id="status">Received`},
		{"language", `id="language" lang="en">English`},
		{"State", `<dd id="state">Ukraine</dd>`},
		{"consent to publication", "<strong>Anonymous</strong>"},
		{"consent to raise with the State", `<dd id="consent-state"><strong>Yes</strong>`},
		{"consent given by", "Consent given by"},
		{"victim's role", "Human rights defender"},
		{"victim's status", "Detained"},
		{"second victim", paperCanary + " second victim"},
		{"second victim's kind", "A group or organisation"},
		{"second victim's status", "In exile"},
		{"second victim's role", "Relative of someone who cooperated"},
		{"UN body", "Human Rights Council session"},
		{"nature of the cooperation", "Actual"},
		{"incident type", "Arrest or detention"},
		{"perpetrator", "State"},
		{"UN document answer", `<dd id="un-document">Yes</dd>`},
		{"risk", "Someone in immediate danger"},
		{"follow-up", paperCanary + " follow-up: released on bail."},
		{"follow-up kind", "Follow-up from the reporter"},
		{"note", paperCanary + " team note: called the family."},
		{"reply", paperCanary + " reply: we raised your case."},
		{"reply's signature", `data-signature="verified"`},
		{"action", "AL ZQSYMBOL 1/2026"},
		{"action summary", paperCanary + " action summary"},
		{"response", paperCanary + " response summary"},
		{"response stance", "Denies"},
		{"published in", "A/HRC/ZQ/62"},
		{"paragraph", "ZQ12"},
		{"the report's date", "2025-09-10"},
		{"link", "Same person or event as"},
		{"linked case", other},
		{"sources side by side", `id="sources"`},
		{"attachment", paperCanary + "-photo"},
		{"attachment size", "24 bytes"},
		{"escaped bidi override", `\u202eredro`},
	} {
		if !strings.Contains(page, row.want) {
			t.Errorf("%s: the printed case lacks %q", row.what, row.want)
		}
	}
	for _, bad := range []string{"\u202e", "ZQCONTENT"} {
		if strings.Contains(page, bad) {
			t.Errorf("the printed case holds %q", bad)
		}
	}
}

// sealPaper posts the form that seals a case on paper for a colleague,
// returning the status, the headers and the body.
func sealPaper(t *testing.T, pc paperCase, form url.Values) (int, http.Header, []byte) {
	t.Helper()
	form.Set("csrf", console.FormToken(pc.con))
	resp, err := pc.hc.PostForm(pc.base+"/cases/"+pc.ref+"/paper", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestSealPaperForAColleague: from the print page, the case on paper is
// sealed to one colleague the verified roster names, as one age file:
// their identity opens it and finds the whole case (as the print page
// shows it, standalone: its style inline, no form, no token), the
// handler's own and a stranger's identity do not; the export is in the
// audit log. A roster change is shown and accepted first, an unknown
// name and a name the server added to the roster are refused with
// nothing recorded, and a form without the console's token is refused.
func TestSealPaperForAColleague(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pc := wholeCase(t, e)
	nadia := e.handler("nadia", "reprisals-team")
	e.publishRoster("reprisals-team", pc.id, nadia) // handler-0: omar, handler-1: nadia
	ctx := context.Background()
	audited := func() (n int) {
		t.Helper()
		if err := e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.export' AND reference = $1`, pc.ref).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The new roster is not accepted yet: nobody is offered, and a seal
	// shows the change first, recording nothing.
	_, page := get(t, pc.hc, pc.base+"/cases/"+pc.ref+"/print")
	contains(t, "print page before the roster is accepted", page, `id="no-colleagues"`, "review it on the Team roster page")
	code, _, body := sealPaper(t, pc, url.Values{"to": {"handler-1"}})
	if code != http.StatusConflict || !strings.Contains(string(body), "ADDED") {
		t.Fatalf("sealing before the roster change is accepted: %d\n%s", code, body)
	}
	if n := audited(); n != 0 {
		t.Errorf("%d exports recorded before anything was sealed", n)
	}
	code, h, sealed := sealPaper(t, pc, url.Values{"to": {"handler-1"}, "accept_roster": {acceptance(t, string(body))}})
	if code != http.StatusOK {
		t.Fatalf("sealing for nadia: %d\n%s", code, sealed)
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, pc.ref+".html.age") || h.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("the sealed paper comes as %q, %q", h.Get("Content-Type"), cd)
	}
	if bytes.Contains(sealed, []byte(paperCanary)) {
		t.Fatal("the sealed paper holds the case in clear")
	}
	if n := audited(); n != 1 {
		t.Errorf("%d exports recorded, want 1", n)
	}
	plain, err := crypto.Open(sealed, nadia)
	if err != nil {
		t.Fatalf("nadia cannot open the paper sealed for her: %v", err)
	}
	html := string(plain)
	for _, f := range pc.planted {
		if !strings.Contains(html, f) {
			t.Errorf("the paper lacks %q", f)
		}
	}
	contains(t, "the paper", html, "CONFIDENTIAL", "Sealed by omar for handler-1 on ", "<style>", `id="thread"`, paperCanary+" reply: we raised your case.", `data-signature="verified"`)
	for _, bad := range []string{`name="csrf"`, console.FormToken(pc.con), "<form", "/static/console.css", `href="/`, "\u202e"} {
		if strings.Contains(html, bad) {
			t.Errorf("the paper holds %q", bad)
		}
	}
	stranger, _ := age.GenerateX25519Identity()
	for who, id := range map[string]age.Identity{"omar (who sealed it)": pc.id, "a stranger": stranger} {
		if _, err := crypto.Open(sealed, id); err == nil {
			t.Errorf("%s opens the paper sealed for nadia", who)
		}
	}

	// Now the roster is accepted: the print page offers its colleagues.
	_, page = get(t, pc.hc, pc.base+"/cases/"+pc.ref+"/print")
	contains(t, "print page", page, `id="paper-form"`, `<option value="handler-1">handler-1 (reprisals-team)</option>`, `<option value="handler-0">`)

	// Refused, recording nothing: an unknown name, none, one too long, a
	// form without the console's token.
	for name, form := range map[string]url.Values{
		"unknown":  {"to": {"mallory"}},
		"none":     {},
		"too long": {"to": {strings.Repeat("x", 300)}},
	} {
		if code, _, body := sealPaper(t, pc, form); code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Choose a colleague from the list") {
			t.Errorf("%s: %d\n%s", name, code, body)
		}
	}
	resp, err := pc.hc.PostForm(pc.base+"/cases/"+pc.ref+"/paper", url.Values{"to": {"handler-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form without the token: %d", resp.StatusCode)
	}
	if n := audited(); n != 1 {
		t.Errorf("%d exports recorded after the refusals, want 1", n)
	}

	// A hostile server adds its own key to the roster under a new name:
	// the roster no longer verifies, and nothing is sealed to it.
	rogue, _ := age.GenerateX25519Identity()
	if _, err := e.db.Pool().Exec(ctx, `UPDATE rosters SET body = body || $1 WHERE team = 'reprisals-team'`, "recipient: "+rogue.Recipient().String()+" operator\n"); err != nil {
		t.Fatal(err)
	}
	if code, _, body := sealPaper(t, pc, url.Values{"to": {"operator"}}); code == http.StatusOK {
		if _, err := crypto.Open(body, rogue); err == nil {
			t.Fatal("the paper was sealed to a key the server put on the roster")
		}
		t.Errorf("sealing to the server's name: %d", code)
	}
	if n := audited(); n != 1 {
		t.Errorf("%d exports recorded after the server's roster, want 1", n)
	}
}
