package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestConsoleSignedReplies: the console signs replies with the handler's
// signing key and the reporter is shown them; the case page marks each
// reply's signature against the roster the handler accepted (a planted
// unsigned one, a forged one, one by a key the roster does not list); a
// console without a signing key refuses to send a reply.
func TestConsoleSignedReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	acc := e.submit(intaketest.Report("hrc_session"))
	ref := acc.Reference
	e.publishRoster("reprisals-team", omar)
	con, _, hc := e.console("omar", omar)
	base := "http://" + con.Addr()

	code, body := post(t, hc, con, "/cases/"+ref+"/reply", url.Values{"text": {"We have received your report."}})
	if code == http.StatusConflict { // the roster, used for the first time
		code, body = post(t, hc, con, "/cases/"+ref+"/reply", url.Values{"text": {"We have received your report."}, "accept_roster": {acceptance(t, body)}})
	}
	if code != http.StatusOK {
		t.Fatalf("reply: %d\n%s", code, body)
	}
	ctx := context.Background()
	visit, err := e.svc.Lookup(ctx, acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if len(visit.Replies) != 1 || !visit.Replies[0].OK || visit.Replies[0].Text != "We have received your report." {
		t.Fatalf("the reporter reads %+v, want the console's signed reply", visit.Replies)
	}
	if page := returnPage(t, e.url, acc.Receipt); !strings.Contains(page, "We have received your report.") {
		t.Errorf("the /return page does not show the console's signed reply:\n%s", page)
	}

	// Planted on the server: unsigned, forged, and signed by a stranger's
	// key, each encrypted to the reply key and to omar.
	replyRec, _ := crypto.ParseRecipient(acc.Receipt.ReplyIdentity().Recipient().String())
	omarRec, _ := crypto.ParseRecipient(omar.Recipient().String())
	recs := []crypto.Recipient{replyRec, omarRec}
	plant := func(plain []byte) {
		t.Helper()
		s, err := crypto.Seal(plain, recs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Pool().Exec(ctx, `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
			SELECT id, 'reply', 'reprisals-team', 'omar', current_date, $2 FROM reports WHERE reference = $1`, ref, s.Ciphertext); err != nil {
			t.Fatal(err)
		}
	}
	unsigned, _ := envelope.SealNote("reply", ref, "omar", "PLANTED-UNSIGNED")
	plant(unsigned)
	signed, _ := envelope.SealReply(ref, "omar", "PLANTED-FORGED", time.Now(), e.signing[omar.Recipient().String()])
	plant([]byte(strings.Replace(string(signed), "PLANTED-FORGED", "PLANTED-FORGED, changed", 1)))
	stranger, _ := crypto.GenerateSigningKey()
	byStranger, _ := envelope.SealReply(ref, "omar", "PLANTED-STRANGER", time.Now(), stranger)
	plant(byStranger)

	_, page := get(t, hc, base+"/cases/"+ref)
	for _, want := range []string{
		"Signed with a signing key that your team's verified roster lists: the reporter is shown this reply.",
		"Not signed (written before replies were signed, or put in the server's database by someone else): the reporter is not shown this reply.",
		"Its signature does not verify: it was changed after it was signed, or forged.",
		"Signed with a key that no verified roster of this case's teams lists",
	} {
		if !strings.Contains(page, html.EscapeString(want)) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if n := strings.Count(page, `data-signature="verified"`); n != 1 {
		t.Errorf("%d replies marked verified, want 1", n)
	}
	if visit, _ := e.svc.Lookup(ctx, acc.Receipt); len(visit.Replies) != 1 {
		t.Errorf("planted replies reach the reporter: %+v", visit.Replies)
	}
	if page := returnPage(t, e.url, acc.Receipt); strings.Contains(page, "PLANTED") {
		t.Errorf("the /return page shows a planted reply:\n%s", page)
	}

	// The Team roster page names each handler's signing key.
	_, team := get(t, hc, base+"/team")
	contains(t, "team roster page", html.UnescapeString(team), e.signing[omar.Recipient().String()].Public().String(), "None: their replies are not shown to reporters.")

	// A handler without a signing key: the console refuses and sends
	// nothing.
	nadia := e.handler("nadia", "reprisals-team")
	delete(e.signing, nadia.Recipient().String())
	e.publishRoster("reprisals-team", omar, nadia)
	ref2 := e.submit(intaketest.Report("hrc_session")).Reference
	con2, _, hc2 := e.console("nadia", age.Identity(nadia))
	code, body = post(t, hc2, con2, "/cases/"+ref2+"/reply", url.Values{"text": {"Unsigned from nadia."}})
	if code == http.StatusConflict {
		code, body = post(t, hc2, con2, "/cases/"+ref2+"/reply", url.Values{"text": {"Unsigned from nadia."}, "accept_roster": {acceptance(t, body)}})
	}
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "You have no signing key") {
		t.Errorf("reply without a signing key: %d\n%s", code, body)
	}
	var n int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&n)
	if n != 4 {
		t.Errorf("%d replies stored, want 4 (one sent, three planted)", n)
	}
}

// returnPage opens the reporter's return visit over HTTP at server, as a
// browser does (the receipt posted, the redirect followed with the visit
// cookie), and returns the case page.
func returnPage(t testing.TB, server string, receipt crypto.Receipt) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.PostForm(server+"/return", url.Values{"receipt": {receipt.String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("return visit: %d\n%s", resp.StatusCode, b)
	}
	return string(b)
}
