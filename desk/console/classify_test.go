package console_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store"
)

// TestConsoleAndCasectlClassifyAlike plants bad ciphertexts in the real
// server's database, each as a case's report, and opens every case the
// three ways a handler's client does: casectl (desk.Fetch, as 'casectl
// show' calls it), the console's inbox (Load) and the console's case page
// (Refresh). All three must refuse each one for the same reason: not
// encrypted to this handler (ErrNotForYou), not this case's report
// (ErrMoved: tampered), or not decryptable (ErrBroken), and the console
// must say so in the words it uses for that reason.
func TestConsoleAndCasectlClassifyAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	me, _ := crypto.ParseRecipient(id.Recipient().String())
	team, _ := crypto.ParseRecipient(e.teams.Reprisals.Recipient().String())
	strangerID, _ := age.GenerateX25519Identity()
	stranger, _ := crypto.ParseRecipient(strangerID.Recipient().String())
	ours := []crypto.Recipient{team, me}

	seal := func(plain []byte, recs []crypto.Recipient) []byte {
		t.Helper()
		s, err := crypto.Seal(plain, recs)
		if err != nil {
			t.Fatal(err)
		}
		return s.Ciphertext
	}
	report := func(ref string, version int) []byte {
		t.Helper()
		env := envelope.Case{Version: version, Kind: envelope.KindReport, Reference: ref, ReceivedAt: time.Now(),
			Channel: "public", Teams: []string{"reprisals-team"}, Report: *intaketest.Report("hrc_session")}
		plain, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return plain
	}
	const (
		sayNotForYou = "Not encrypted to your identity yet"
		sayTampered  = "does not belong to this case"
		sayBroken    = "could not be decrypted or read"
	)
	tests := []struct {
		name   string
		cipher func(ref string) []byte
		want   error // nil: opens
		say    string
	}{
		{"its own report", func(ref string) []byte { return seal(report(ref, 1), ours) }, nil, ""},
		{"wrong key", func(ref string) []byte { return seal(report(ref, 1), []crypto.Recipient{stranger}) }, desk.ErrNotForYou, sayNotForYou},
		{"truncated", func(ref string) []byte { c := seal(report(ref, 1), ours); return c[:len(c)-7] }, desk.ErrBroken, sayBroken},
		{"cut in its header", func(ref string) []byte { return seal(report(ref, 1), ours)[:40] }, desk.ErrBroken, sayBroken},
		{"last byte flipped", func(ref string) []byte { c := seal(report(ref, 1), ours); c[len(c)-1] ^= 1; return c }, desk.ErrBroken, sayBroken},
		{"not an age file", func(string) []byte { return []byte("a report, in clear\n") }, desk.ErrBroken, sayBroken},
		{"another case's report", func(string) []byte { return seal(report(intake.NewReference(), 1), ours) }, desk.ErrMoved, sayTampered},
		{"wrong kind: its follow-up", func(ref string) []byte {
			c, err := envelope.SealFollowUp(envelope.FollowUp{Reference: ref, ReceivedAt: time.Now(), Language: "en", Text: "more"}, ours)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, desk.ErrMoved, sayTampered},
		{"another version", func(ref string) []byte { return seal(report(ref, 2), ours) }, desk.ErrMoved, sayTampered},
		{"decrypts to what is not a sealed record", func(string) []byte { return seal([]byte("not JSON at all"), ours) }, desk.ErrMoved, sayTampered},
		{"decrypts to JSON that is not a report", func(ref string) []byte {
			return seal([]byte(`{"version":1,"kind":"report","reference":"`+ref+`","received_at":"yesterday"}`), ours)
		}, desk.ErrMoved, sayTampered},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	refs := make([]string, len(tests))
	for i, tc := range tests {
		refs[i] = intake.NewReference()
		hash := make([]byte, 32)
		rand.Read(hash)
		reply, _ := age.GenerateX25519Identity()
		if _, err := e.db.InsertReport(ctx, store.NewReport{
			Reference: refs[i], ReceiptHash: hash, ReplyRecipient: reply.Recipient().String(), Teams: []string{"reprisals-team"},
			ReceivedOn: time.Now().UTC(), SizeBucket: 1, Channel: intake.ChannelPublic, Ciphertext: tc.cipher(refs[i]),
		}, []store.NewAlert{{Team: "reprisals-team"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")
	api := e.login("omar", id)
	ids := crypto.RememberStanza([]age.Identity{id}) // as casectl and the console read them
	src := console.NewSource(api, ids, e.pins())
	if err := src.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := src.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := refs[i]
			_, env, plain, err := desk.Fetch(ctx, api, ref, ids)
			clear(plain)
			if got := desk.Refusal(err); got != tc.want || (err == nil) != (tc.want == nil) {
				t.Errorf("casectl (desk.Fetch): %v, want class %v", err, tc.want)
			}
			if err == nil && env.Reference != ref {
				t.Errorf("casectl opened the report of %q", env.Reference)
			}
			in, ok := src.Lookup(ref)
			if !ok {
				t.Fatal("not in the console's inbox")
			}
			page, _, err := src.Refresh(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				where string
				c     *console.Case
			}{{"console inbox", in}, {"console case page", page}} {
				if c.c.Readable() != (tc.want == nil) || !strings.Contains(c.c.Problem, tc.say) {
					t.Errorf("%s: readable %v, problem %q; want %q", c.where, c.c.Readable(), c.c.Problem, tc.say)
				}
				if !c.c.Readable() && (c.c.Env.Reference != "" || len(c.c.Env.Report.Victims) != 0 || len(console.CaseText(c.c)) != 0) {
					t.Errorf("%s: decrypted content kept for a refused case", c.where)
				}
			}
		})
	}
}
