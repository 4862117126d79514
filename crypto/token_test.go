package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	key := DeriveKey([]byte("server secret"), "test tokens")
	now := time.Unix(1_800_000_000, 0)
	// An 8-byte expiry, a 7-byte payload and a 32-byte MAC make 47 bytes:
	// the last base64 character carries 4 bits and 2 unused ones.
	payload := []byte("payload")
	tok := SignToken(key, payload, now.Add(time.Hour))
	if len(tok) != 63 {
		t.Fatalf("token length %d, want 63", len(tok))
	}

	// respell changes only the unused trailing bits of the last character.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	respell := tok[:len(tok)-1] + string(alphabet[last^1])
	flip := func(i int) string {
		c := strings.IndexByte(alphabet, tok[i])
		return tok[:i] + string(alphabet[c^32]) + tok[i+1:]
	}

	tests := []struct {
		name string
		key  []byte
		tok  string
		at   time.Time
		ok   bool
	}{
		{"valid", key, tok, now, true},
		{"valid until its expiry", key, tok, now.Add(time.Hour), true},
		{"expired", key, tok, now.Add(time.Hour + time.Second), false},
		{"other key", DeriveKey([]byte("server secret"), "other purpose"), tok, now, false},
		{"payload changed", key, flip(12), now, false},
		{"expiry changed", key, flip(2), now, false},
		{"MAC changed", key, flip(50), now, false},
		{"unused bits set", key, respell, now, false},
		{"truncated", key, tok[:len(tok)-4], now, false},
		{"empty", key, "", now, false},
		{"not base64", key, strings.Repeat("!", 60), now, false},
		{"too long", key, tok + strings.Repeat("A", 512), now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenToken(tt.key, tt.tok, tt.at)
			if tt.ok {
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("OpenToken = %q, %v; want %q", got, err, payload)
				}
				return
			}
			if !errors.Is(err, ErrBadToken) || got != nil {
				t.Fatalf("OpenToken = %q, %v; want ErrBadToken", got, err)
			}
		})
	}
}
