package console_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// post sends a console form with its token and returns the final status
// and body (redirects followed).
func post(t *testing.T, hc *http.Client, con *console.Console, path string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", console.FormToken(con))
	resp, err := hc.PostForm("http://"+con.Addr()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// acceptance returns the roster acceptance a roster page's form carries.
func acceptance(t *testing.T, page string) string {
	t.Helper()
	const marker = `name="accept_roster" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no roster acceptance in the page:\n%s", page)
	}
	return page[i+len(marker) : i+len(marker)+64]
}

// TestCaseWorkflow drives the case page over HTTP: every field shown, a
// follow-up read, allowed transitions offered and a forced one refused,
// urgency and assignee saved, a note and a reply encrypted (the reporter
// reads the reply with the receipt), an attachment downloaded as a
// download only, and an audited export.
func TestCaseWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	r := intaketest.Report("hrc_session")
	r.Incidents[0].Narrative = "Arrested <script>alert(1)</script> at home \u202eevil\u202c after the review."
	acc := e.submit(r)
	ref := acc.Reference
	ctx := context.Background()
	visit, err := e.svc.Lookup(ctx, acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FollowUp(ctx, visit.Case, "He was released on bail.", "en"); err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("<html>not to be rendered</html>"), 3000)
	if _, err := e.svc.Attach(ctx, visit.Case, "../x/photo\u202egpj.exe", "text/html", bytes.NewReader(content), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()

	_, inbox := get(t, hc, base+"/")
	contains(t, "inbox", inbox, ref, `class="badge"`)
	code, page := get(t, hc, base+"/cases/"+strings.ToLower(ref))
	if code != http.StatusOK {
		t.Fatalf("case page: %d\n%s", code, page)
	}
	contains(t, "case page", page, "Case "+ref, "Language of the report", `id="language" lang="en">English`,
		"Consent", "Publication in the Secretary-General&#39;s report", "<strong>Anonymous</strong>", "Share with third parties",
		"Arrested &lt;script&gt;alert(1)&lt;/script&gt; at home", `\u202eevil`, "Human Rights Council session",
		"He was released on bail.", "Follow-up from the reporter", "photo", "text/html", "93000 bytes",
		"Habeas corpus filed", "Central prison",
		"Already referred to in an official UN document (the reporter&#39;s word)", `<dd id="un-document">Yes</dd>`, `<dd id="un-document-symbol" dir="auto">A/HRC/57/30</dd>`)
	contains(t, "case page", page, `<option value="received-en" selected>`)
	if strings.Contains(page, "\u202e") || strings.Contains(page, "<script>alert") {
		t.Error("the case page shows a bidi override or markup from the report as is")
	}
	_, inbox = get(t, hc, base+"/")
	if strings.Contains(inbox, `class="badge"`) {
		t.Error("the follow-up is still unread after opening the case")
	}

	// Only the allowed transitions are offered; a forced one is refused.
	for _, want := range []string{`<option value="acknowledged">`, `<option value="closed">`} {
		contains(t, "status menu", page, want)
	}
	if strings.Contains(page, `<option value="published">`) {
		t.Error("a disallowed transition is offered")
	}
	code, body := post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"published"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot move") {
		t.Errorf("forced transition: %d\n%s", code, body)
	}
	code, body = post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"closed"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "needs a reason") {
		t.Errorf("closing without a reason: %d", code)
	}
	code, body = post(t, hc, con, "/cases/"+ref+"/status", url.Values{"status": {"acknowledged"}})
	if code != http.StatusOK || !strings.Contains(body, "The status was changed.") || !strings.Contains(body, `id="status">Acknowledged`) {
		t.Errorf("allowed transition: %d\n%s", code, body)
	}
	code, body = post(t, hc, con, "/cases/"+ref+"/triage", url.Values{"urgency": {"U2"}, "assignee": {"omar"}, "deadline": {"2026-12-31"}})
	if code != http.StatusOK || !strings.Contains(body, "U2: ongoing") || !strings.Contains(body, `value="2026-12-31"`) {
		t.Errorf("triage: %d", code)
	}
	if code, _ := post(t, hc, con, "/cases/"+ref+"/triage", url.Values{"urgency": {"U9"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("a made-up urgency: %d", code)
	}
	var status, urgency, assignee string
	e.db.Pool().QueryRow(ctx, `SELECT status, urgency, assignee FROM reports WHERE reference = $1`, ref).Scan(&status, &urgency, &assignee)
	if status != "acknowledged" || urgency != "U2" || assignee != "omar" {
		t.Errorf("stored after triage: %s %s %s", status, urgency, assignee)
	}

	// A note, encrypted in the console to the team's verified roster: the
	// first roster is shown and accepted first.
	note := url.Values{"text": {"Called the family; consent confirmed."}}
	code, body = post(t, hc, con, "/cases/"+ref+"/note", note)
	if code != http.StatusConflict || !strings.Contains(body, "Team reprisals-team&#39;s roster, version 1") {
		t.Fatalf("first note: %d, want the roster shown first\n%s", code, body)
	}
	note.Set("accept_roster", strings.Repeat("0", 64))
	if code, _ := post(t, hc, con, "/cases/"+ref+"/note", note); code != http.StatusConflict {
		t.Errorf("accepting a roster other than the one shown: %d", code)
	}
	note.Set("accept_roster", acceptance(t, body))
	code, body = post(t, hc, con, "/cases/"+ref+"/note", note)
	if code != http.StatusOK || !strings.Contains(body, "Called the family; consent confirmed.") || !strings.Contains(body, "Team note") {
		t.Errorf("note: %d", code)
	}
	// A roster change is shown (who was added) before anything is
	// encrypted to it.
	nadia, _ := age.GenerateX25519Identity()
	e.publishRoster("reprisals-team", id, nadia)
	code, body = post(t, hc, con, "/cases/"+ref+"/note", url.Values{"text": {"Second note."}})
	if code != http.StatusConflict || !strings.Contains(body, "changed from version 1 to 2") || !strings.Contains(body, "ADDED") {
		t.Fatalf("note after a roster change: %d\n%s", code, body)
	}
	var notesNow int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes WHERE kind = 'note'`).Scan(&notesNow)
	if notesNow != 1 {
		t.Errorf("%d notes stored before the new roster was accepted, want 1", notesNow)
	}
	code, _ = post(t, hc, con, "/cases/"+ref+"/note", url.Values{"text": {"Second note."}, "accept_roster": {acceptance(t, body)}})
	if code != http.StatusOK {
		t.Errorf("second note: %d", code)
	}
	var sealed []byte
	e.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM notes WHERE kind = 'note' ORDER BY id DESC LIMIT 1`).Scan(&sealed)
	if _, err := crypto.Open(sealed, nadia); err != nil {
		t.Errorf("the note is not encrypted to the handler the new roster added: %v", err)
	}
	code, body = post(t, hc, con, "/cases/"+ref+"/reply", url.Values{"text": {"We have raised your case.\nStay safe."}})
	if code != http.StatusOK || !strings.Contains(body, "We have raised your case.") {
		t.Errorf("reply: %d", code)
	}
	if code, _ := post(t, hc, con, "/cases/"+ref+"/reply", url.Values{"text": {"  "}}); code != http.StatusUnprocessableEntity {
		t.Errorf("an empty reply: %d", code)
	}
	visit, err = e.svc.Lookup(ctx, acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	var replies []string
	for _, rp := range visit.Replies {
		if rp.Kind == "reply" && rp.OK {
			replies = append(replies, rp.Text)
		}
	}
	if len(replies) != 1 || !strings.Contains(replies[0], "We have raised your case.") {
		t.Errorf("the reporter reads %q", replies)
	}
	var stored int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes WHERE ciphertext::text LIKE '%Called the family%'`).Scan(&stored)
	if stored != 0 {
		t.Error("a note reached the server in clear")
	}

	// A template fills the reply box.
	_, page = get(t, hc, base+"/cases/"+ref+"?template=received-fr")
	contains(t, "case page with a template", page, "Merci pour votre signalement.")

	// The attachment comes as a download, never rendered.
	i := strings.Index(page, "/cases/"+ref+"/attachments/")
	link := page[i : i+len("/cases/"+ref+"/attachments/")+36]
	resp, err := hc.Get(base + link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("downloaded %d bytes, want the %d sent", len(got), len(content))
	}
	h := resp.Header
	if h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download headers: %v", h)
	}
	if cd := h.Get("Content-Disposition"); strings.Contains(cd, "/") || strings.Contains(cd, "\u202e") || strings.Contains(cd, "%E2%80%AE") {
		t.Errorf("the download's name keeps a path or a bidi override: %q", cd)
	}

	// Export: audited, then a download.
	code, body = post(t, hc, con, "/cases/"+ref+"/export", nil)
	if code != http.StatusOK || !strings.Contains(body, `"reference": "`+ref+`"`) || !strings.Contains(body, "decrypted report") {
		t.Errorf("export: %d", code)
	}
	var audited int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.export'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d export audit entries, want 1", audited)
	}
}
