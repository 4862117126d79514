package crypto

import (
	"bytes"
	"testing"
	"time"
)

func TestBox(t *testing.T) {
	key := DeriveKey([]byte("server secret"), "test/box")
	now := time.Unix(1_800_000_000, 0)
	box := SealBox(key, []byte("the replies"), []byte("case-1"), now.Add(time.Minute))
	if got, err := OpenBox(key, box, []byte("case-1"), now, 1<<10); err != nil || !bytes.Equal(got, []byte("the replies")) {
		t.Fatalf("OpenBox = %q, %v", got, err)
	}
	flipped := []byte(box)
	flipped[len(flipped)/2] ^= 1
	for name, c := range map[string]struct {
		key, ad []byte
		box     string
		now     time.Time
		max     int
	}{
		"other case": {key, []byte("case-2"), box, now, 1 << 10},
		"other key":  {DeriveKey([]byte("other"), "test/box"), []byte("case-1"), box, now, 1 << 10},
		"expired":    {key, []byte("case-1"), box, now.Add(2 * time.Minute), 1 << 10},
		"changed":    {key, []byte("case-1"), string(flipped), now, 1 << 10},
		"too long":   {key, []byte("case-1"), box, now, 10},
		"empty":      {key, []byte("case-1"), "", now, 1 << 10},
		"not base64": {key, []byte("case-1"), "!!!!", now, 1 << 10},
	} {
		if _, err := OpenBox(c.key, c.box, c.ad, c.now, c.max); err != ErrBadToken {
			t.Errorf("%s: err %v, want ErrBadToken", name, err)
		}
	}
}

func FuzzOpenBox(f *testing.F) {
	key := DeriveKey([]byte("server secret"), "test/box")
	now := time.Unix(1_800_000_000, 0)
	f.Add(SealBox(key, []byte("x"), nil, now.Add(time.Hour)))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		OpenBox(key, s, nil, now, 1<<16) // must not panic
	})
}
