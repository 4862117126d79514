package casework

import (
	"bytes"
	"testing"
)

// FuzzCheckCiphertext: the handler API's check of the age files handlers
// send (notes, replies, rekeyed cases) accepts only a bounded binary age
// file, never armour or plaintext. Never a panic.
func FuzzCheckCiphertext(f *testing.F) {
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\nxyz\n--- mac\n"))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"))
	f.Add([]byte("plain text note"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkCiphertext(b)
		ok := len(b) > 0 && len(b) <= MaxCiphertext && bytes.HasPrefix(b, []byte("age-encryption.org/v1\n"))
		if (err == nil) != ok {
			t.Fatalf("checkCiphertext(%q) = %v", b, err)
		}
	})
}
