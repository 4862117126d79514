package envelope_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/envelope"
)

func armoredTo(t *testing.T, plain []byte, r age.Recipient) string {
	t.Helper()
	var b bytes.Buffer
	aw := armor.NewWriter(&b)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	aw.Close()
	return b.String()
}

// TestOpenChallenge checks that the client answers only a well-formed
// challenge for its server and handler, and that anything else, such as
// a stored case or an attachment manifest, yields ErrNotAChallenge.
func TestOpenChallenge(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	const origin = "https://report.example.org"
	nonce := strings.Repeat("A", 43)
	good := envelope.Challenge{Origin: origin, Handler: "amal", Expires: now.Add(2 * time.Minute), Nonce: nonce}
	with := func(f func(*envelope.Challenge)) []byte { c := good; f(&c); return c.Marshal() }
	for _, tc := range []struct {
		name  string
		plain []byte
		ok    bool
	}{
		{"good", good.Marshal(), true},
		{"good, padded with spaces", append(good.Marshal(), bytes.Repeat([]byte(" "), 3800)...), true},
		{"stored case", []byte(`{"reference":"ABCD-EFGH","report":{"narrative":"they took him"}}` + strings.Repeat(" ", 4000)), false},
		{"attachment manifest", []byte(`{"version":1,"kind":"attachment","key":"AGE-SECRET-KEY-1QQQ"}`), false},
		{"old unbound challenge", []byte(nonce), false},
		{"other context", bytes.Replace(good.Marshal(), []byte("/v1"), []byte("/v2"), 1), false},
		{"other server", with(func(c *envelope.Challenge) { c.Origin = "https://evil.example.org" }), false},
		{"other handler", with(func(c *envelope.Challenge) { c.Handler = "bilal" }), false},
		{"expired", with(func(c *envelope.Challenge) { c.Expires = now.Add(-time.Second) }), false},
		{"expiring too far ahead", with(func(c *envelope.Challenge) { c.Expires = now.Add(2 * time.Hour) }), false},
		{"short nonce", with(func(c *envelope.Challenge) { c.Nonce = "abc" }), false},
		{"extra line", append(good.Marshal(), "secret: x\n"...), false},
		{"padding not spaces", append(good.Marshal(), "\n\n\t"...), false},
		{"too long", bytes.Repeat([]byte(" "), envelope.MaxChallengePlain+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := envelope.OpenChallenge(armoredTo(t, tc.plain, id.Recipient()), origin, "amal", now, id)
			if tc.ok {
				if err != nil || got != nonce {
					t.Fatalf("got %q, %v; want the nonce", got, err)
				}
				return
			}
			if !errors.Is(err, envelope.ErrNotAChallenge) || got != "" {
				t.Fatalf("got %q, %v; want envelope.ErrNotAChallenge and nothing", got, err)
			}
		})
	}
	// Not armoured, oversized, or for another identity.
	other, _ := age.GenerateX25519Identity()
	if _, err := envelope.OpenChallenge("garbage", origin, "amal", now, id); !errors.Is(err, envelope.ErrNotAChallenge) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := envelope.OpenChallenge(strings.Repeat("A", envelope.MaxChallengeArmored+1), origin, "amal", now, id); !errors.Is(err, envelope.ErrNotAChallenge) {
		t.Errorf("oversized: %v", err)
	}
	if _, err := envelope.OpenChallenge(armoredTo(t, good.Marshal(), other.Recipient()), origin, "amal", now, id); err == nil || errors.Is(err, envelope.ErrNotAChallenge) {
		t.Errorf("challenge for another key: %v, want 'cannot open'", err)
	}
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(envelope.Challenge{Origin: "https://a.example", Handler: "amal", Expires: time.Unix(1e9, 0), Nonce: strings.Repeat("x", 43)}.Marshal())
	f.Add([]byte(envelope.ChallengeContext + "\norigin: http://127.0.0.1:1\nhandler: a\nexpires: 2026-01-01T00:00:00Z\nnonce: " + strings.Repeat("_", 43) + "\n   "))
	f.Add([]byte("{}"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := envelope.ParseChallenge(b)
		if err != nil {
			return
		}
		// Whatever parses re-marshals to the same text, padding aside.
		if got := c.Marshal(); !bytes.Equal(got, bytes.TrimRight(b, " ")) {
			t.Fatalf("parsed %q, marshals to %q", b, got)
		}
	})
}
