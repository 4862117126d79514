package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/roster"
)

// plantReply writes a reply straight into the database, as anyone who
// can write to it could: plain is encrypted to the reply key stored with
// the case (which the server knows) and nothing else.
func (e *env) plantReply(ref string, plain []byte) {
	e.t.Helper()
	ctx := context.Background()
	var id, replyKey string
	if err := e.db.Pool().QueryRow(ctx, `SELECT id, reply_recipient FROM reports WHERE reference = $1`, ref).Scan(&id, &replyKey); err != nil {
		e.t.Fatal(err)
	}
	rec, err := crypto.ParseRecipient(replyKey)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := crypto.Seal(plain, []crypto.Recipient{rec})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.Pool().Exec(ctx, `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
		VALUES ($1, 'reply', 'reprisals-team', 'amal', current_date, $2)`, id, s.Ciphertext); err != nil {
		e.t.Fatal(err)
	}
}

// messagesOn opens the return visit of receipt and returns the text of
// its messages and its status line.
func (e *env) messagesOn(receipt crypto.Receipt) (messages, status string) {
	e.t.Helper()
	resp, doc, body := e.openReturn(receipt.String())
	if resp.StatusCode != 200 {
		e.t.Fatalf("return visit: %d\n%s", resp.StatusCode, body)
	}
	if n := byID(doc, "messages"); n != nil {
		messages = text(n)
	}
	return messages, text(byID(doc, "status"))
}

// TestReturnShowsOnlySignedReplies: the reporter's page shows a reply
// only when it is signed by a key that the current signed roster of the
// case's team lists. A reply planted in the database (encrypted to the
// reply key, unsigned), a signed reply changed after signing, one signed
// by a stranger's key, one by a handler the roster has since removed, and
// one a handler sent without a signing key are never shown, and none of
// them makes the page say the team read the report.
func TestReturnShowsOnlySignedReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("hrc_session")
	ref := acc.Reference

	// Nothing but planted and unverifiable replies first.
	planted, _ := envelope.SealNote("reply", ref, "amal", "PLANTED: go to the ministry at 9 tomorrow.")
	e.plantReply(ref, planted)
	e.plantReply(ref, []byte("PLANTED-LEGACY: plain text, as before replies were bound."))
	stranger, _ := crypto.GenerateSigningKey()
	strangerPlain, _ := envelope.SealReply(ref, "amal", "PLANTED-STRANGER: signed by a key no roster lists.", time.Now(), stranger)
	e.plantReply(ref, strangerPlain)

	amalID := e.addHandler("amal", "reprisals-team")
	amalKey := e.signingKey("amal", amalID)
	honest, _ := envelope.SealReply(ref, "amal", "We have received your report.", time.Now(), amalKey)
	var forged envelope.Note
	if err := json.Unmarshal(honest, &forged); err != nil {
		t.Fatal(err)
	}
	forged.Text = "FORGED: amal's signature, another text."
	forgedPlain, _ := json.Marshal(forged)
	e.plantReply(ref, forgedPlain)
	// A handler without a signing key sends a reply through the API.
	bobID := e.addHandler("bob", "reprisals-team")
	e.replyAs(e.login("bob", bobID), ref, "UNSIGNED-BOB: no signing key.", "bob", bobID, crypto.SigningKey{})

	msgs, status := e.messagesOn(acc.Receipt)
	for _, s := range []string{"PLANTED", "FORGED", "UNSIGNED-BOB"} {
		if strings.Contains(msgs, s) {
			t.Errorf("the reporter's page shows an unverified reply (%s):\n%s", s, msgs)
		}
	}
	if strings.Contains(msgs, "Reply from the UN") {
		t.Errorf("the page shows a reply line for an unverified reply:\n%s", msgs)
	}
	if !strings.Contains(status, "not been read yet") {
		t.Errorf("unverified replies changed the status the reporter reads: %q", status)
	}

	// amal's honest, signed reply is shown, once, with nothing else.
	e.replyAs(e.login("amal", amalID), ref, "We have received your report.", "amal", amalID, amalKey)
	msgs, status = e.messagesOn(acc.Receipt)
	if !strings.Contains(msgs, "We have received your report.") || strings.Count(msgs, "Reply from the UN") != 1 {
		t.Errorf("the signed reply is not shown alone:\n%s", msgs)
	}
	if strings.Contains(status, "not been read yet") {
		t.Errorf("status after a signed reply: %q", status)
	}

	// omar signs a reply while on the roster; the custodian then removes
	// him (a new roster version): his reply is no longer shown.
	omarID := e.addHandler("omar", "reprisals-team")
	omarKey := e.signingKey("omar", omarID)
	e.replyAs(e.login("omar", omarID), ref, "OMAR: signed while on the roster.", "omar", omarID, omarKey)
	if msgs, _ = e.messagesOn(acc.Receipt); !strings.Contains(msgs, "OMAR:") {
		t.Fatalf("omar's signed reply is not shown while he is on the roster:\n%s", msgs)
	}
	e.rosterMu.Lock()
	var kept []roster.Entry
	for _, en := range e.signers {
		if en.Label != "omar" {
			kept = append(kept, en)
		}
	}
	e.signers = kept
	e.publishRosterLocked(amalID, kept)
	e.rosterMu.Unlock()
	msgs, _ = e.messagesOn(acc.Receipt)
	if strings.Contains(msgs, "OMAR:") {
		t.Errorf("a reply signed by a handler the current roster removed is shown:\n%s", msgs)
	}
	if !strings.Contains(msgs, "We have received your report.") {
		t.Errorf("amal's reply vanished with omar's removal:\n%s", msgs)
	}
}

// TestReturnRefusesRosterChangedInDatabase: a roster rewritten in the
// database to list a planter's signing key does not verify against the
// team's roster keys, so the planted, validly signed reply is not shown.
func TestReturnRefusesRosterChangedInDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("hrc_session")
	amalID := e.addHandler("amal", "reprisals-team")
	e.signingKey("amal", amalID)
	planter, _ := crypto.GenerateSigningKey()
	ctx := context.Background()
	var text string
	if err := e.db.Pool().QueryRow(ctx, `SELECT body FROM rosters WHERE team = 'reprisals-team' ORDER BY version DESC LIMIT 1`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	r, err := roster.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r.Entries[1].Signer = planter.Public().String()
	if _, err := e.db.Pool().Exec(ctx, `UPDATE rosters SET body = $1 WHERE team = 'reprisals-team'`, string(r.Marshal())); err != nil {
		t.Fatal(err)
	}
	plain, _ := envelope.SealReply(acc.Reference, "amal", "PLANTED: signed by the key the changed roster names.", time.Now(), planter)
	e.plantReply(acc.Reference, plain)
	if msgs, _ := e.messagesOn(acc.Receipt); strings.Contains(msgs, "PLANTED") {
		t.Errorf("a reply signed by a key of a roster changed in the database is shown:\n%s", msgs)
	}
}

// TestReturnHidesRepliesOfExpiredRoster: once the team's current roster
// has expired (its custodians did not renew it, or someone rolled the
// roster table back to an old version), its signing keys vouch for
// nothing and the reporter is shown none of their replies; a renewed
// roster shows them again.
func TestReturnHidesRepliesOfExpiredRoster(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("hrc_session")
	e.reply(acc.Reference, "Signed while the roster was current.")
	if msgs, _ := e.messagesOn(acc.Receipt); !strings.Contains(msgs, "Signed while the roster was current.") {
		t.Fatalf("the signed reply is not shown:\n%s", msgs)
	}
	ctx := context.Background()
	e.rosterMu.Lock()
	defer e.rosterMu.Unlock()
	publish := func(signed, expires time.Time) {
		t.Helper()
		e.rosterVersion++
		all := append([]roster.Entry{{Recipient: e.teams.Reprisals.Recipient().String(), Label: "team-key"}}, e.signers...)
		r := roster.Roster{Team: "reprisals-team", Version: e.rosterVersion, Signed: signed, Expires: expires, Entries: all}
		sr, err := roster.Sign(r, e.custodian)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.PublishRoster(ctx, "reprisals-team", r.Version, sr, e.cases.OperatorAudit("test", "roster.publish", "expired")); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	publish(now.Add(-200*24*time.Hour), now.Add(-time.Hour))
	if msgs, _ := e.messagesOn(acc.Receipt); strings.Contains(msgs, "Signed while") {
		t.Errorf("a reply is shown on the strength of an expired roster:\n%s", msgs)
	}
	publish(now, now.Add(90*24*time.Hour))
	if msgs, _ := e.messagesOn(acc.Receipt); !strings.Contains(msgs, "Signed while the roster was current.") {
		t.Errorf("the reply is not shown again after the roster was renewed:\n%s", msgs)
	}
}
