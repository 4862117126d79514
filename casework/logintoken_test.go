package casework

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var testTokenKey = bytes.Repeat([]byte{7}, 32)

// TestLoginTokens: a sealed challenge id opens to what was sealed, has the
// same length for every name, and opens for nobody else: not under
// another key, not for another origin, not altered by one character.
func TestLoginTokens(t *testing.T) {
	const origin = "https://report.example.org"
	in := loginToken{expires: time.Unix(1_900_000_000, 0), name: "amal", recipientTag: [8]byte{1, 2, 3}}
	in.nonce[0] = 9
	tok, id, err := sealToken(testTokenKey, origin, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := openToken(testTokenKey, origin, tok)
	if err != nil || got.id != id || !got.expires.Equal(in.expires) || got.name != in.name || got.nonce != in.nonce || got.recipientTag != in.recipientTag {
		t.Fatalf("openToken = %+v, %v; want %+v", got, err, in)
	}
	long, _, _ := sealToken(testTokenKey, origin, loginToken{name: strings.Repeat("x", tokenNameBytes)})
	if len(tok) != MaxChallengeID || len(long) != MaxChallengeID {
		t.Errorf("token lengths %d and %d, want %d for every name", len(tok), len(long), MaxChallengeID)
	}
	if _, _, err := sealToken(testTokenKey, origin, loginToken{name: strings.Repeat("x", tokenNameBytes+1)}); err == nil {
		t.Error("a name over 64 bytes was sealed")
	}
	other := bytes.Repeat([]byte{8}, 32)
	if _, err := openToken(other, origin, tok); err == nil {
		t.Error("a token opened under another key")
	}
	if _, err := openToken(testTokenKey, "https://other.example.org", tok); err == nil {
		t.Error("a token opened for another origin")
	}
	for i := range len(tok) {
		b := []byte(tok)
		if b[i] = 'A'; tok[i] == 'A' {
			b[i] = 'B'
		}
		if _, err := openToken(testTokenKey, origin, string(b)); err == nil {
			t.Errorf("a token altered at %d opened", i)
		}
	}
}

// FuzzOpenToken: a challenge id is what a client sends back; opening any
// string never panics and opens only a token sealed under the key, which
// carries what was sealed.
func FuzzOpenToken(f *testing.F) {
	const origin = "https://report.example.org"
	tok, _, _ := sealToken(testTokenKey, origin, loginToken{expires: time.Unix(1_900_000_000, 0), name: "amal"})
	f.Add(tok)
	f.Add(tok[:len(tok)-1] + "=")
	f.Add("")
	f.Add("00000000-0000-0000-0000-000000000000")
	f.Add(strings.Repeat("A", MaxChallengeID))
	f.Fuzz(func(t *testing.T, s string) {
		got, err := openToken(testTokenKey, origin, s)
		if err != nil {
			return
		}
		// Only sealed tokens open (the fuzzing workers seal their own, with
		// other random ids, so compare contents, not strings).
		if got.name != "amal" || got.expires.Unix() != 1_900_000_000 || len(s) != MaxChallengeID {
			t.Fatalf("openToken(%q) opened %+v", s, got)
		}
	})
}
