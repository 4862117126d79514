package crypto_test

import (
	"bytes"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
)

// TestSigningKeyFile: a signing key file opens only with the identity it
// was sealed to, gives back the same key, and its public key parses only
// in its canonical form.
func TestSigningKeyFile(t *testing.T) {
	t.Parallel()
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	rec, err := crypto.ParseRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	file, pub, err := crypto.NewSigningKeyFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte("SECRET")) || !bytes.HasPrefix(file, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		t.Fatalf("the signing key file is not an armored age file:\n%s", file)
	}
	k, err := crypto.OpenSigningKey(file, id)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Public().Equal(pub) {
		t.Error("the opened key is not the one made")
	}
	msg := []byte("reprisals-test/v1 hello")
	if sig := k.Sign(msg); !pub.Verify(msg, sig) || pub.Verify([]byte("other"), sig) {
		t.Error("sign/verify")
	}
	if _, err := crypto.OpenSigningKey(file, other); err == nil || !strings.Contains(err.Error(), "not encrypted to your identity") {
		t.Errorf("another identity opened it: %v", err)
	}
	broken := bytes.Replace(file, []byte("\n"), []byte("\nA"), 2)
	if _, err := crypto.OpenSigningKey(broken, id); err == nil {
		t.Error("a damaged file opened")
	}
	parsed, err := crypto.ParseSigningPublicKey(pub.String())
	if err != nil || !parsed.Equal(pub) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", " " + pub.String(), pub.String() + "\n", strings.TrimPrefix(pub.String(), "reprisals-"),
		"reprisals-roster-key-ed25519:" + strings.SplitN(pub.String(), ":", 2)[1], pub.String()[:len(pub.String())-4]} {
		if _, err := crypto.ParseSigningPublicKey(bad); err == nil {
			t.Errorf("%q parsed as a signing key", bad)
		}
	}
}
