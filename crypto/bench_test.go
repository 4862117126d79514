package crypto

import (
	"testing"

	"filippo.io/age"
)

// BenchmarkSeal is the sealing cost of one report: padding to the 4 KiB
// bucket and age encryption to one or two teams' recipients. Each X25519
// recipient costs two Curve25519 scalar multiplications.
func BenchmarkSeal(b *testing.B) {
	var recs []Recipient
	for range 2 {
		id, _ := age.GenerateX25519Identity()
		r, _ := ParseRecipient(id.Recipient().String())
		recs = append(recs, r)
	}
	plain := make([]byte, 3000)
	for _, n := range []int{1, 2} {
		b.Run([]string{"", "1recipient", "2recipients"}[n], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Seal(plain, recs[:n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReceipt is the rest of the per-report key work: a new receipt,
// its keyed hash, and the reply recipient derived from it (one scalar
// multiplication).
func BenchmarkReceipt(b *testing.B) {
	key := make([]byte, 32)
	for b.Loop() {
		r := NewReceipt()
		r.LookupHash(key)
		_ = r.ReplyIdentity().Recipient().String()
	}
}
