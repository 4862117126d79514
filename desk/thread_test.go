package desk_test

import (
	"context"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
)

// TestThread: Desk.Thread opens a case's thread and checks each reply's
// signing key against the rosters verified against the pins, whether the
// caller knows the case's teams or leaves them to the server: a reply
// desk signed is verified, one planted in the database unsigned is
// marked so, and a note is no reply.
func TestThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	ref := e.public("hrc_session")
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	ctx := context.Background()
	d := e.desk(e.url, "omar", omar)
	if _, _, err := d.AddNote(ctx, desk.KindReply, ref, "We raised your case.", desk.NoteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.AddNote(ctx, desk.KindNote, ref, "Called the family.", desk.NoteOptions{}); err != nil {
		t.Fatal(err)
	}
	// A reply planted in the database: sealed for the case, unsigned.
	r, _ := crypto.ParseRecipient(omar.Recipient().String())
	planted, err := envelope.SealNoteTo(envelope.KindReply, ref, "omar", "Come to the embassy.", []crypto.Recipient{r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool().Exec(ctx, `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
		SELECT id, 'reply', 'reprisals-team', 'omar', current_date, $2 FROM reports WHERE reference = $1`, ref, planted); err != nil {
		t.Fatal(err)
	}
	notes, err := d.API.Notes(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]desk.Signature{"We raised your case.": desk.SigVerified, "Called the family.": desk.SigNone, "Come to the embassy.": desk.SigUnsigned}
	for _, tc := range []struct {
		name  string
		teams []string
	}{
		{"teams as sealed", []string{"reprisals-team", "upr-secretariat"}},
		{"teams from the server", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thread := d.Thread(ctx, ref, tc.teams, notes)
			if len(thread) != 3 {
				t.Fatalf("%d entries", len(thread))
			}
			for _, en := range thread {
				if w, ok := want[en.Text]; !ok || en.Signature != w {
					t.Errorf("%q: signature %d, want %d", en.Text, en.Signature, w)
				}
			}
		})
	}
	// Without the rosters, a signed reply's key is listed by none.
	bare := desk.Desk{API: d.API, IDs: []age.Identity{omar}}
	for _, en := range bare.Thread(ctx, ref, nil, notes) {
		if en.Text == "We raised your case." && en.Signature != desk.SigUnlisted {
			t.Errorf("no verified roster, yet signature %d", en.Signature)
		}
	}
}
