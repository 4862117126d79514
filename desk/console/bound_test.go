package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestThreadShowsOnlyNotesOfTheCase plays a server that moves a team note
// and a reply written in the console from case A into case B's thread:
// B's thread shows neither text, only that the server sent content that
// is not this case's; an older, unbound note is shown marked unverified.
func TestThreadShowsOnlyNotesOfTheCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	a, b := e.submit(intaketest.Report("hrc_session")).Reference, e.submit(intaketest.Report("treaty_body")).Reference
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")
	con, _, hc := e.console("omar", id)
	ctx := context.Background()

	note := url.Values{"text": {"A's note: the family consented."}}
	_, body := post(t, hc, con, "/cases/"+a+"/note", note)
	note.Set("accept_roster", acceptance(t, body))
	if code, body := post(t, hc, con, "/cases/"+a+"/note", note); code != http.StatusOK || !strings.Contains(body, "A&#39;s note: the family consented.") {
		t.Fatalf("note: %d\n%s", code, body)
	}
	code, body := post(t, hc, con, "/cases/"+a+"/reply", url.Values{"text": {"A's reply: we raised it."}})
	if code == http.StatusConflict {
		code, body = post(t, hc, con, "/cases/"+a+"/reply", url.Values{"text": {"A's reply: we raised it."}, "accept_roster": {acceptance(t, body)}})
	}
	if code != http.StatusOK || !strings.Contains(body, "A&#39;s reply: we raised it.") || strings.Contains(body, "Unverified") {
		t.Fatalf("reply: %d\n%s", code, body)
	}

	if _, err := e.db.Pool().Exec(ctx, `UPDATE notes SET report_id = (SELECT id FROM reports WHERE reference = $1)`, b); err != nil {
		t.Fatal(err)
	}
	r, _ := crypto.ParseRecipient(id.Recipient().String())
	old, err := crypto.Seal([]byte("An older note, from before notes were bound."), []crypto.Recipient{r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool().Exec(ctx, `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
		SELECT id, 'note', 'reprisals-team', 'omar', current_date, $2 FROM reports WHERE reference = $1`, b, old.Ciphertext); err != nil {
		t.Fatal(err)
	}
	code, body = get(t, hc, "http://"+con.Addr()+"/cases/"+b)
	if code != http.StatusOK {
		t.Fatalf("case B: %d", code)
	}
	if n := strings.Count(body, "The server sent content that does not belong to this case."); n != 2 {
		t.Errorf("%d moved notes flagged in B's thread, want 2", n)
	}
	contains(t, "B's thread", body, "Unverified: written before notes were bound to their case", "An older note, from before notes were bound.")
	if strings.Contains(body, "A&#39;s note") || strings.Contains(body, "A&#39;s reply") {
		t.Error("a note of another case is shown in B's thread")
	}
}

// TestReplyToUnsealedKeyNeedsConfirmation plays a server that names its
// own reply key for a case from before reply keys were sealed in the
// report: the console warns, and sends nothing until the handler ticks
// the box saying the reply is safe even so.
func TestReplyToUnsealedKeyNeedsConfirmation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	ref := e.submit(intaketest.Report("hrc_session")).Reference
	e.publishRoster("reprisals-team", id)
	ctx := context.Background()
	// The case as it was before reply keys were sealed; the server's key.
	var ct []byte
	e.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM reports WHERE reference = $1`, ref).Scan(&ct)
	plain, err := crypto.Open(ct, id)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope.Case
	if err := json.Unmarshal(plain, &env); err != nil {
		t.Fatal(err)
	}
	env.ReplyRecipient = ""
	old, _ := env.Marshal()
	r1, _ := crypto.ParseRecipient(id.Recipient().String())
	r2, _ := crypto.ParseRecipient(e.teams.Reprisals.Recipient().String())
	sealed, err := crypto.Seal(old, []crypto.Recipient{r1, r2})
	if err != nil {
		t.Fatal(err)
	}
	server, _ := age.GenerateX25519Identity()
	if _, err := e.db.Pool().Exec(ctx, `UPDATE reports SET ciphertext = $1, reply_recipient = $2 WHERE reference = $3`,
		sealed.Ciphertext, server.Recipient().String(), ref); err != nil {
		t.Fatal(err)
	}
	con, _, hc := e.console("omar", id)
	_, page := get(t, hc, "http://"+con.Addr()+"/cases/"+ref)
	contains(t, "the case page", page, `id="unsealed-warning"`, `name="trust_server_reply_key"`)
	reply := url.Values{"text": {"We raised your case."}}
	code, body := post(t, hc, con, "/cases/"+ref+"/reply", reply)
	if code == http.StatusConflict {
		reply.Set("accept_roster", acceptance(t, body))
		code, body = post(t, hc, con, "/cases/"+ref+"/reply", reply)
	}
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "tick the box that says so") {
		t.Fatalf("a reply without the confirmation: %d\n%s", code, body)
	}
	var n int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d replies stored without the confirmation", n)
	}
	reply.Set("trust_server_reply_key", "yes")
	code, body = post(t, hc, con, "/cases/"+ref+"/reply", reply)
	if code == http.StatusConflict { // the team's roster, shown first
		reply.Set("accept_roster", acceptance(t, body))
		code, body = post(t, hc, con, "/cases/"+ref+"/reply", reply)
	}
	if code != http.StatusOK {
		t.Fatalf("a confirmed reply: %d\n%s", code, body)
	}
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d replies stored after the confirmation, want 1", n)
	}
}
