package crypto

import (
	"bytes"
	"testing"

	"filippo.io/age"
	"filippo.io/age/tag"
)

// TestThrowawayRecipient checks that each kind of throwaway recipient
// parses back as that kind and produces the same stanza type and file
// size as a real recipient of the kind.
func TestThrowawayRecipient(t *testing.T) {
	real := map[string]string{}
	x, _ := age.GenerateX25519Identity()
	real[KindX25519] = x.Recipient().String()
	pq, _ := age.GenerateHybridIdentity()
	real[KindHybrid] = pq.Recipient().String()
	for _, kind := range []string{KindTag, KindTagPQ} {
		r, err := ThrowawayRecipient(kind)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tag.ParseRecipient(r.String()); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		real[kind] = r.String() // a P-256 point is a P-256 point
	}
	for kind, realRec := range real {
		r, err := ThrowawayRecipient(kind)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got := RecipientKind(r.String()); got != kind {
			t.Errorf("kind %s gave a %s recipient %s", kind, got, r)
		}
		rr, err := ParseRecipient(realRec)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := Seal([]byte("same plaintext"), []Recipient{r})
		b, _ := Seal([]byte("same plaintext"), []Recipient{rr})
		if len(a.Ciphertext) != len(b.Ciphertext) || stanzaType(a.Ciphertext) != stanzaType(b.Ciphertext) {
			t.Errorf("%s: throwaway %d bytes %q, real %d bytes %q", kind, len(a.Ciphertext), stanzaType(a.Ciphertext), len(b.Ciphertext), stanzaType(b.Ciphertext))
		}
	}
	if _, err := ThrowawayRecipient("rsa"); err == nil {
		t.Error("unknown kind accepted")
	}
}

func stanzaType(ct []byte) string {
	_, rest, _ := bytes.Cut(ct, []byte("\n-> "))
	typ, _, _ := bytes.Cut(rest, []byte(" "))
	return string(typ)
}
