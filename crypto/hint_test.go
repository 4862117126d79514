package crypto_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
)

// encryptTo encrypts msg to the recipients in order.
func encryptTo(t testing.TB, msg string, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRememberStanza: the wrapped identity opens exactly what the plain
// one opens, whatever position its stanza is in and however the positions
// change from file to file, and refuses what the plain one refuses.
func TestRememberStanza(t *testing.T) {
	me, _ := age.GenerateX25519Identity()
	others := make([]age.Recipient, 4)
	for i := range others {
		o, _ := age.GenerateX25519Identity()
		others[i] = o.Recipient()
	}
	ids := crypto.RememberStanza([]age.Identity{me})
	if _, ok := ids[0].(*age.X25519Identity); ok {
		t.Fatal("the X25519 identity was not wrapped")
	}
	// Positions 3, 3, 0, 2, 4 (and 1 of a 2-stanza file), then a file
	// without our stanza.
	for n, pos := range []int{3, 3, 0, 2, 4, 1} {
		size := 5
		if n == 5 {
			size = 2
		}
		rs := append([]age.Recipient{}, others[:size-1]...)
		rs = append(rs[:pos], append([]age.Recipient{me.Recipient()}, rs[pos:]...)...)
		msg := fmt.Sprintf("case %d", n)
		got, err := crypto.Open(encryptTo(t, msg, rs...), ids...)
		if err != nil || string(got) != msg {
			t.Errorf("file %d (our stanza at %d of %d): %q, %v", n, pos, size, got, err)
		}
	}
	_, err := crypto.Open(encryptTo(t, "not for us", others...), ids...)
	var nm *age.NoIdentityMatchError
	if !errors.As(err, &nm) {
		t.Errorf("a file not for us: %v, want NoIdentityMatchError", err)
	}
}

// BenchmarkRememberStanza compares opening files whose reader's stanza is
// the last of five, with the plain identity and with the wrapped one.
func BenchmarkRememberStanza(b *testing.B) {
	me, _ := age.GenerateX25519Identity()
	var rs []age.Recipient
	for range 4 {
		o, _ := age.GenerateX25519Identity()
		rs = append(rs, o.Recipient())
	}
	file := encryptTo(b, "a report", append(rs, me.Recipient())...)
	for _, c := range []struct {
		name string
		ids  []age.Identity
	}{{"plain", []age.Identity{me}}, {"remembered", crypto.RememberStanza([]age.Identity{me})}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := crypto.Open(file, c.ids...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReplyRecipients: a reply goes to the reporter and the teams when
// their keys can be mixed, and to the reporter alone when they cannot.
func TestReplyRecipients(t *testing.T) {
	parse := func(s string) crypto.Recipient {
		r, err := crypto.ParseRecipient(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	classic := func() crypto.Recipient { id, _ := age.GenerateX25519Identity(); return parse(id.Recipient().String()) }
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	reporter, team := classic(), classic()
	if got := crypto.ReplyRecipients(reporter, []crypto.Recipient{team}); len(got) != 2 || got[0] != reporter || got[1] != team {
		t.Errorf("classic teams: %v, want the reporter then the team", got)
	}
	if got := crypto.ReplyRecipients(reporter, []crypto.Recipient{parse(pq.Recipient().String())}); len(got) != 1 || got[0] != reporter {
		t.Errorf("a post-quantum team: %v, want the reporter alone", got)
	}
}
