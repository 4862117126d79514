package crypto_test

import (
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
)

// TestNative: a wrapped identity still shows its type, so clients can
// derive its recipient (casectl records it at login and checks rosters
// against it).
func TestNative(t *testing.T) {
	me, _ := age.GenerateX25519Identity()
	wrapped := crypto.RememberStanza([]age.Identity{me})[0]
	if _, ok := wrapped.(*age.X25519Identity); ok {
		t.Fatal("RememberStanza no longer wraps: this test is moot")
	}
	if got, ok := crypto.Native(wrapped).(*age.X25519Identity); !ok || got != me {
		t.Errorf("Native(wrapped) = %T, want the X25519 identity", crypto.Native(wrapped))
	}
	if got := crypto.Native(me); got != age.Identity(me) {
		t.Errorf("Native(plain) = %v, want it unchanged", got)
	}
}
