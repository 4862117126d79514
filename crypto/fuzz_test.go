package crypto_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// FuzzParseReceipt: a receipt that parses has one canonical spelling,
// which parses to the same receipt. Never a panic.
func FuzzParseReceipt(f *testing.F) {
	f.Add(crypto.NewReceipt().String())
	f.Add("ABCDE-FGH23-JKLMN-PQRS4-TUVWX")
	f.Add("abcde fgh23 jklmn pqrs4 tuvwx")
	f.Add("00000-00000-00000-00000-00000")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := crypto.ParseReceipt(s)
		if err != nil {
			return
		}
		again, err := crypto.ParseReceipt(r.String())
		if err != nil || again != r {
			t.Fatalf("%q parsed, but its spelling %q does not parse back (%v)", s, r.String(), err)
		}
	})
}

// FuzzOpenToken: visit and upload tokens. Only a token signed with the key
// opens, and it opens to its payload. Never a panic.
func FuzzOpenToken(f *testing.F) {
	key := crypto.DeriveKey([]byte("fuzz secret"), "visit")
	now := time.Unix(1_800_000_000, 0)
	valid := crypto.SignToken(key, []byte("0b7c6c9e-7a1f-4c1e-9d4e-3f1e2a9b8c7d"), now.Add(time.Hour))
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid + "A")
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		payload, err := crypto.OpenToken(key, tok, now)
		if err != nil {
			return
		}
		if tok != valid || !bytes.Equal(payload, []byte("0b7c6c9e-7a1f-4c1e-9d4e-3f1e2a9b8c7d")) {
			t.Fatalf("a token that was never signed opened: %q -> %q", tok, payload)
		}
	})
}
