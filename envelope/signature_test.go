package envelope_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
)

func signedReply(t testing.TB, key crypto.SigningKey, ref, author, text string) envelope.Note {
	t.Helper()
	plain, err := envelope.SealReply(ref, author, text, time.Date(2026, 12, 3, 15, 4, 5, 999, time.FixedZone("x", 3600)), key)
	if err != nil {
		t.Fatal(err)
	}
	n, b := envelope.OpenNote(plain, "reply", ref)
	if b != envelope.NoteBound {
		t.Fatalf("a signed reply opened as %v", b)
	}
	return n
}

// TestSignedReply: a signed reply verifies with the key it names, and
// any change to what it says, when, for which case or by whom breaks it.
func TestSignedReply(t *testing.T) {
	t.Parallel()
	key, _ := crypto.GenerateSigningKey()
	n := signedReply(t, key, "ABCD-EFGH", "omar", "We raised it.\n")
	if n.Time != time.Date(2026, 12, 3, 14, 4, 5, 0, time.UTC) {
		t.Errorf("signing time %v, want whole seconds in UTC", n.Time)
	}
	got, err := envelope.VerifyReply(n)
	if err != nil || !got.Equal(key.Public()) {
		t.Fatalf("VerifyReply = %v, %v", got, err)
	}
	if _, err := envelope.SealReply("ABCD-EFGH", "omar", "x", time.Now(), crypto.SigningKey{}); err == nil {
		t.Error("a reply was sealed without a signing key")
	}
	unsigned, _ := envelope.SealNote("reply", "ABCD-EFGH", "omar", "x")
	var u envelope.Note
	json.Unmarshal(unsigned, &u)
	if _, err := envelope.VerifyReply(u); !errors.Is(err, envelope.ErrUnsigned) {
		t.Errorf("unsigned reply: %v", err)
	}
	// Fields that run into each other make different messages.
	a, b := n, n
	a.Author, a.Text = "om", "ar"+n.Text
	b.Author, b.Text = "omar", n.Text
	if string(envelope.ReplyMessage(a)) == string(envelope.ReplyMessage(b)) {
		t.Error("two replies share a signed message")
	}
	if !strings.HasPrefix(string(envelope.ReplyMessage(n)), envelope.ReplySignatureContext+"\n") {
		t.Error("the signed message does not begin with its context")
	}
	other, _ := crypto.GenerateSigningKey()
	for name, change := range map[string]func(*envelope.Note){
		"text":               func(n *envelope.Note) { n.Text += " Come to the ministry." },
		"author":             func(n *envelope.Note) { n.Author = "ines" },
		"reference":          func(n *envelope.Note) { n.Reference = "WXYZ-EFGH" },
		"time":               func(n *envelope.Note) { n.Time = n.Time.Add(time.Second) },
		"time with fraction": func(n *envelope.Note) { n.Time = n.Time.Add(time.Millisecond) },
		"no time":            func(n *envelope.Note) { n.Time = time.Time{} },
		"kind":               func(n *envelope.Note) { n.Kind = "note" },
		"version":            func(n *envelope.Note) { n.Version = 2 },
		"signer":             func(n *envelope.Note) { n.Signer = other.Public().String() },
		"signer padded":      func(n *envelope.Note) { n.Signer += " " },
		"signature": func(n *envelope.Note) {
			n.Signature = signedReply(t, other, "ABCD-EFGH", "omar", "We raised it.\n").Signature
		},
		"signature cut":     func(n *envelope.Note) { n.Signature = n.Signature[:len(n.Signature)-4] },
		"signature newline": func(n *envelope.Note) { n.Signature = n.Signature[:8] + "\n" + n.Signature[8:] },
		"no signature":      func(n *envelope.Note) { n.Signature = "" },
		"no signer":         func(n *envelope.Note) { n.Signer = "" },
	} {
		m := n
		change(&m)
		if _, err := envelope.VerifyReply(m); !errors.Is(err, envelope.ErrBadSignature) {
			t.Errorf("%s changed: %v, want ErrBadSignature", name, err)
		}
	}
}

// FuzzVerifyReply feeds decrypted replies (anything the reply key's
// holder, the server, can seal) to OpenNote and VerifyReply: no panic,
// and what verifies is signed by the key it names over what it says.
func FuzzVerifyReply(f *testing.F) {
	key, _ := crypto.GenerateSigningKey()
	good, _ := envelope.SealReply("7KQ4-M2XD", "omar", "We raised it.", time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), key)
	f.Add(good)
	f.Add([]byte(`{"version":1,"kind":"reply","reference":"7KQ4-M2XD","text":"x"}`))
	f.Add([]byte(`{"version":1,"kind":"reply","reference":"7KQ4-M2XD","text":"x","time":"2026-12-03T15:00:00Z","signer":"reprisals-signing-key-ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signature":"AAAA"}`))
	f.Add([]byte(`{"version":1,"kind":"reply","reference":"7KQ4-M2XD","text":"x","time":"9999-12-31T23:59:60Z","signer":5}`))
	f.Fuzz(func(t *testing.T, plain []byte) {
		n, b := envelope.OpenNote(plain, "reply", "7KQ4-M2XD")
		if b != envelope.NoteBound {
			return
		}
		k, err := envelope.VerifyReply(n)
		if err != nil {
			return
		}
		if k.String() != n.Signer || n.Reference != "7KQ4-M2XD" || n.Kind != "reply" {
			t.Fatalf("verified a reply signed by another key than it names, or of another case: %+v", n)
		}
	})
}
