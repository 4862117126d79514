package crypto

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

// outcome classifies an unwrap the way age.Decrypt acts on it: the file
// key, "incorrect" (try the next stanza or identity), or "error" (stop).
func outcome(key []byte, err error) string {
	switch {
	case err == nil:
		return "key " + base64.StdEncoding.EncodeToString(key)
	case errors.Is(err, age.ErrIncorrectIdentity):
		return "incorrect"
	}
	return "error"
}

// x25519Cases are stanzas that age's X25519 identity accepts, skips and
// refuses: ours, a colleague's, another type, bad arguments, bad
// encodings, low-order points, short, long and altered bodies.
func x25519Cases(t testing.TB, me *age.X25519Identity) []*age.Stanza {
	fileKey := bytes.Repeat([]byte{7}, 16)
	mine, err := me.Recipient().Wrap(fileKey)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	theirs, _ := other.Recipient().Wrap(fileKey)
	s := *mine[0]
	with := func(f func(*age.Stanza)) *age.Stanza {
		c := s
		c.Args = append([]string(nil), s.Args...)
		c.Body = append([]byte(nil), s.Body...)
		f(&c)
		return &c
	}
	b64 := base64.RawStdEncoding.EncodeToString
	lowOrder := [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...),
		{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00}}
	out := []*age.Stanza{&s, theirs[0],
		with(func(c *age.Stanza) { c.Type = "scrypt" }),
		with(func(c *age.Stanza) { c.Type = "x25519" }),
		with(func(c *age.Stanza) { c.Args = nil }),
		with(func(c *age.Stanza) { c.Args = append(c.Args, "AAAA") }),
		with(func(c *age.Stanza) { c.Args[0] += "=" }),
		with(func(c *age.Stanza) { c.Args[0] = c.Args[0][:10] + "\n" + c.Args[0][10:] }),
		with(func(c *age.Stanza) { c.Args[0] = c.Args[0][:42] + "B" }), // slack bits set
		with(func(c *age.Stanza) { c.Args[0] = strings.ReplaceAll(c.Args[0], "+", "-") + "-" }),
		with(func(c *age.Stanza) { c.Args[0] = b64(make([]byte, 31)) }),
		with(func(c *age.Stanza) { c.Args[0] = b64(make([]byte, 33)) }),
		with(func(c *age.Stanza) { c.Body = c.Body[:31] }),
		with(func(c *age.Stanza) { c.Body = append(c.Body, 0) }),
		with(func(c *age.Stanza) { c.Body = nil }),
		with(func(c *age.Stanza) { c.Body[0] ^= 1 }),
		with(func(c *age.Stanza) { c.Body[31] ^= 0x80 }),
	}
	for _, p := range lowOrder {
		out = append(out, with(func(c *age.Stanza) { c.Args[0] = b64(p) }))
	}
	return out
}

// TestX25519UnwrapMatchesAge: the once-parsed unwrapper gives age's own
// answer for every stanza: the same file key, the same skip, the same
// refusal.
func TestX25519UnwrapMatchesAge(t *testing.T) {
	t.Parallel()
	me, _ := age.GenerateX25519Identity()
	u, err := newX25519Unwrapper(me)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range x25519Cases(t, me) {
		want := outcome(me.Unwrap([]*age.Stanza{s}))
		if got := outcome(u.unwrap(s)); got != want {
			t.Errorf("stanza %d (%s %q, %d-byte body): %s, age says %s", i, s.Type, s.Args, len(s.Body), got, want)
		}
	}
	if got := outcome(u.unwrap(x25519Cases(t, me)[0])); !strings.HasPrefix(got, "key ") {
		t.Errorf("our own stanza: %s, want its file key", got)
	}
}

// TestRememberStanzaParsesOnce: RememberStanza's X25519 wrapper uses the
// once-parsed key (the speed-up is not silently lost), and a file opened
// with it reads as with age's identity.
func TestRememberStanzaParsesOnce(t *testing.T) {
	t.Parallel()
	me, _ := age.GenerateX25519Identity()
	r, ok := RememberStanza([]age.Identity{me})[0].(*rememberStanza)
	if !ok || r.one == nil {
		t.Fatal("the X25519 identity is not wrapped with its once-parsed key")
	}
	ct, err := Seal([]byte(`{"a":1}`), []Recipient{{r: me.Recipient()}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(ct.Ciphertext, r)
	if err != nil || !bytes.HasPrefix(got, []byte(`{"a":1}`)) || len(got) != MinBucket {
		t.Fatalf("Open: %d bytes, %v", len(got), err)
	}
}

// FuzzX25519Unwrap holds the once-parsed unwrapper to age's answer for
// any stanza (a hostile server writes them).
func FuzzX25519Unwrap(f *testing.F) {
	me, _ := age.GenerateX25519Identity()
	u, err := newX25519Unwrapper(me)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range x25519Cases(f, me) {
		arg, extra := "", ""
		if len(s.Args) > 0 {
			arg = s.Args[0]
		}
		if len(s.Args) > 1 {
			extra = s.Args[1]
		}
		f.Add(s.Type, arg, extra, len(s.Args), s.Body)
	}
	f.Fuzz(func(t *testing.T, typ, arg, extra string, nargs int, body []byte) {
		s := &age.Stanza{Type: typ, Body: body}
		switch nargs {
		case 0:
		case 1:
			s.Args = []string{arg}
		default:
			s.Args = []string{arg, extra}
		}
		want := outcome(me.Unwrap([]*age.Stanza{s}))
		if got := outcome(u.unwrap(s)); got != want {
			t.Errorf("%s %q, %d-byte body: %s, age says %s", typ, s.Args, len(body), got, want)
		}
	})
}
