package crypto

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

func testProof(t testing.TB) (ed25519.PrivateKey, Proof, string) {
	key := ProofKey([]byte("0123456789abcdef0123456789abcdef"))
	p := Proof{Reference: "7KQ4-M2XD", Received: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), SHA256: sha256.Sum256([]byte("ciphertext"))}
	return key, p, SignProof(key, p)
}

func TestProofRoundTrip(t *testing.T) {
	key, p, text := testProof(t)
	pub := key.Public().(ed25519.PublicKey)
	got, err := VerifyProof(pub, text)
	if err != nil || got != p {
		t.Fatalf("VerifyProof = %+v, %v; want %+v", got, err, p)
	}
	// As copied from a page or an e-mail: CRLF, indentation, blank lines.
	copied := "\r\n  " + strings.ReplaceAll(text, "\n", "\r\n\r\n  ")
	if got, err := VerifyProof(pub, copied); err != nil || got != p {
		t.Errorf("copied text: %v", err)
	}
	// The key is derived: the same receipt key gives the same key, another
	// receipt key another.
	if !ProofKey([]byte("0123456789abcdef0123456789abcdef")).Equal(key) || ProofKey([]byte("another key, another key, another")).Equal(key) {
		t.Error("ProofKey is not a function of the receipt key")
	}
	if k, err := ParseProofPublicKey(ProofPublicKey(pub)); err != nil || !k.Equal(pub) {
		t.Errorf("public key round trip: %v", err)
	}
}

func TestProofRefusesChanges(t *testing.T) {
	key, _, text := testProof(t)
	pub := key.Public().(ed25519.PublicKey)
	other := ProofKey([]byte("another key, another key, another"))
	forged := SignProof(other, Proof{Reference: "7KQ4-M2XD", Received: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)})
	for name, s := range map[string]string{
		"another reference":     strings.Replace(text, "7KQ4-M2XD", "7KQ4-M2XE", 1),
		"another day":           strings.Replace(text, "2026-11-29", "2026-11-28", 1),
		"another hash":          otherHash(text),
		"signed by another key": forged,
		"the key line replaced": strings.Replace(forged, ProofPublicKey(other.Public().(ed25519.PublicKey)), ProofPublicKey(pub), 1),
		"a line added":          text + "note: hello\n",
		"a line twice":          text + "reference: 7KQ4-M2XD\n",
		"no title":              text[strings.Index(text, "\n")+1:],
		"empty":                 "",
		"too long":              text + strings.Repeat(" ", MaxProofSize),
		"signature cut":         text[:len(text)-10] + "\n",
		"upper-case hash":       strings.ToUpper(text),
	} {
		if _, err := VerifyProof(pub, s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzVerifyProof: nothing but an untouched proof verifies, and nothing
// panics.
func FuzzVerifyProof(f *testing.F) {
	key, _, text := testProof(f)
	pub := key.Public().(ed25519.PublicKey)
	f.Add(text)
	f.Add("")
	f.Add(proofTitle + "\nreference: : \n")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := VerifyProof(pub, s)
		if err == nil {
			// Whatever verified restates a proof we signed.
			if SignProof(key, p) != text {
				t.Fatalf("a statement other than the signed one verified: %q", s)
			}
		}
	})
}

// otherHash changes the first digit of the statement's hash.
func otherHash(text string) string {
	i := strings.Index(text, "sha256: ") + len("sha256: ")
	c := byte('0')
	if text[i] == '0' {
		c = '1'
	}
	return text[:i] + string(c) + text[i+1:]
}
