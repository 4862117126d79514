package main_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// forgeReplyKey plays a hostile server on case ref: it reseals the case's
// envelope, to the handler and the team's public key, with sealed as the
// sealed reply key ("" for a case from before reply keys were sealed),
// and names its own key as the case's reply key.
func (w *world) forgeReplyKey(ref, handler, sealed string, own *age.X25519Identity) {
	w.t.Helper()
	ctx := context.Background()
	var ct []byte
	w.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM reports WHERE reference = $1`, ref).Scan(&ct)
	plain, err := crypto.Open(ct, w.ids[handler])
	if err != nil {
		w.t.Fatal(err)
	}
	var env envelope.Case
	if err := json.Unmarshal(plain, &env); err != nil {
		w.t.Fatal(err)
	}
	env.ReplyRecipient = sealed
	forged, err := env.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	var recs []crypto.Recipient
	for _, s := range []string{w.ids[handler].Recipient().String(), w.teams.Config.Teams[1].Keys()[0].String()} {
		r, _ := crypto.ParseRecipient(s)
		recs = append(recs, r)
	}
	s, err := crypto.Seal(forged, recs)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.db.Pool().Exec(ctx, `UPDATE reports SET ciphertext = $1, reply_recipient = $2 WHERE reference = $3`,
		s.Ciphertext, own.Recipient().String(), ref); err != nil {
		w.t.Fatal(err)
	}
}

// addRawNote stores ciphertext as a note of kind on case ref, as a
// hostile server (or an older client) can.
func (w *world) addRawNote(ref, kind string, ciphertext []byte) {
	w.t.Helper()
	if _, err := w.db.Pool().Exec(context.Background(), `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
		SELECT id, $2, 'reprisals-team', 'omar', current_date, $3 FROM reports WHERE reference = $1`, ref, kind, ciphertext); err != nil {
		w.t.Fatal(err)
	}
}

// sealTo encrypts plain to the handler's key.
func (w *world) sealTo(handler, plain string) []byte {
	w.t.Helper()
	r, _ := crypto.ParseRecipient(w.ids[handler].Recipient().String())
	s, err := crypto.Seal([]byte(plain), []crypto.Recipient{r})
	if err != nil {
		w.t.Fatal(err)
	}
	return s.Ciphertext
}

// TestRekeyIsNoDecryptionOracle plays the server of review issue 9: it
// names its own reply key for case A (sealed in a forged envelope, or for
// a case from before reply keys were sealed) and lists, as "replies" of
// A, case B's report ciphertext and an older unbound reply. A routine
// rekey must send nothing the server's key can open.
func TestRekeyIsNoDecryptionOracle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		sealed bool // the forged envelope seals the server's key
	}{{"forged sealed reply key", true}, {"case without a sealed reply key", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			omarKey := w.addHandler("omar", "reprisals-team")
			a, b := w.submit("hrc_session"), w.submit("treaty_body")
			ctx := context.Background()
			w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
			w.publishRoster("reprisals-team", "omar")
			w.publishRoster("upr-secretariat")
			w.pin("omar")

			attacker, _ := age.GenerateX25519Identity()
			sealed := ""
			if tc.sealed {
				sealed = attacker.Recipient().String()
			}
			w.forgeReplyKey(a, "omar", sealed, attacker)
			var bct []byte
			w.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM reports WHERE reference = $1`, b).Scan(&bct)
			w.addRawNote(a, "reply", bct)
			w.addRawNote(a, "reply", w.sealTo("omar", "An older reply, from before replies were bound: "+b))

			if !tc.sealed {
				// A reply to such a case needs the handler's word.
				w.fails("omar", "send it again with -trust-server-reply-key", "reply", "-i", omarKey, a, "-m", "Private reply.")
				var n int
				w.db.Pool().QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&n)
				if n != 2 {
					t.Errorf("%d notes, want the 2 the server added", n)
				}
			}
			out, err := w.as("omar", "yes\nyes\n", "rekey", "-i", omarKey)
			if err != nil {
				t.Fatalf("rekey: %v\n%s", err, out)
			}
			contains(t, out, "Re-encrypted 2 cases", "is not a reply sealed for this case; left as it is")
			rows, err := w.db.Pool().Query(ctx, `SELECT n.ciphertext FROM notes n JOIN reports r ON r.id = n.report_id WHERE r.reference = $1`, a)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var c []byte
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
				n++
				if p, err := crypto.Open(c, attacker); err == nil {
					t.Errorf("ORACLE: the hostile server decrypts %d bytes (case %s's reference in it: %v)", len(p), b, strings.Contains(string(p), b))
				}
			}
			if n != 2 {
				t.Errorf("%d notes on %s, want 2", n, a)
			}
		})
	}
}

// TestMovedNotesAndRepliesAreRefused plays a server that moves a team
// note and a reply from case A into case B's thread: notes on B names
// them as not of this case and prints neither text; an older, unbound
// note is shown marked unverified; rekey re-encrypts none of the moved
// ones.
func TestMovedNotesAndRepliesAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ctx := context.Background()
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	acc, err := svc.Submit(ctx, intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	a, b := acc.Reference, w.submit("treaty_body")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	w.must("omar", "", "note", a, "-m", "A's note: the family consented.")
	w.must("omar", "", "reply", "-i", omarKey, a, "-m", "A's reply: we raised it.")
	// The reporter reads the bound reply's text at /return, not its envelope.
	visit, err := svc.Lookup(ctx, acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if len(visit.Replies) != 1 || !visit.Replies[0].OK || visit.Replies[0].Text != "A's reply: we raised it." {
		t.Errorf("the reporter sees %+v, want the reply's text", visit.Replies)
	}
	out := w.must("omar", "", "notes", "-i", omarKey, a)
	contains(t, out, "A's note: the family consented.", "A's reply: we raised it.")
	for _, bad := range []string{"UNVERIFIED", "NOT a", "whatever the server says", `"kind"`} {
		if strings.Contains(out, bad) {
			t.Errorf("a bound note is shown with %q:\n%s", bad, out)
		}
	}
	var ids []int64
	rows, _ := w.db.Pool().Query(ctx, `SELECT id FROM notes ORDER BY id`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if len(ids) != 2 {
		t.Fatalf("%d notes, want 2", len(ids))
	}
	// The server moves them to b, relabels nothing, and adds an older
	// unbound note to b.
	if _, err := w.db.Pool().Exec(ctx, `UPDATE notes SET report_id = (SELECT id FROM reports WHERE reference = $1)`, b); err != nil {
		t.Fatal(err)
	}
	w.addRawNote(b, "note", w.sealTo("omar", "An older note, from before notes were bound."))
	out = w.must("omar", "", "notes", "-i", omarKey, b)
	contains(t, out, "NOT a note of this case: not shown", "NOT a reply of this case: not shown",
		"UNVERIFIED", "An older note, from before notes were bound.")
	for _, leak := range []string{"A's note", "A's reply"} {
		if strings.Contains(out, leak) {
			t.Errorf("a note of another case is shown:\n%s", out)
		}
	}
	// rekey leaves the moved ones exactly as they are.
	before := map[int64][]byte{}
	for _, id := range ids {
		var c []byte
		w.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM notes WHERE id = $1`, id).Scan(&c)
		before[id] = c
	}
	out = w.must("omar", "", "rekey", "-i", omarKey)
	contains(t, out, "is not a note of this case; left as it is", "is not a reply sealed for this case; left as it is")
	for id, c := range before {
		var now []byte
		w.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM notes WHERE id = $1`, id).Scan(&now)
		if string(now) != string(c) {
			t.Errorf("moved note %d was re-encrypted", id)
		}
	}
}
