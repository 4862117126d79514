package roster

import "testing"

// BenchmarkVerify measures what the server does for every new report of a
// team with a roster (and a client before encrypting): parse a 20-entry
// roster and check one Ed25519 signature.
func BenchmarkVerify(b *testing.B) {
	k := mustKey(b)
	r := Roster{Team: "reprisals-team", Version: 7}
	for i := range 20 {
		r.Entries = append(r.Entries, Entry{Recipient: recipient(b), Label: "handler" + string(rune('a'+i))})
	}
	s, err := Sign(r, k)
	if err != nil {
		b.Fatal(err)
	}
	keys := []PublicKey{k.Public()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(s, keys, 1); err != nil {
			b.Fatal(err)
		}
	}
}
