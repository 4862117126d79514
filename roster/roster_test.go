package roster

import (
	"errors"

	"github.com/ohchr-reprisals/intake/crypto"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func recipient(t testing.TB) string {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

func mustKey(t testing.TB) PrivateKey {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseAndMarshal(t *testing.T) {
	a, b := recipient(t), recipient(t)
	good := Roster{Team: "reprisals-team", Version: 3, Entries: []Entry{{Recipient: a, Label: "amal"}, {Recipient: b, Label: ""}}}
	text := string(good.Marshal())
	if r, err := Parse([]byte(text)); err != nil || string(r.Marshal()) != text {
		t.Fatalf("round trip: %v", err)
	}
	for name, bad := range map[string]string{
		"other context":      strings.Replace(text, "/v1", "/v2", 1),
		"no trailing line":   strings.TrimSuffix(text, "\n"),
		"version zero":       strings.Replace(text, "version: 3", "version: 0", 1),
		"version padded":     strings.Replace(text, "version: 3", "version: 03", 1),
		"no recipients":      Context + "\nteam: t\nversion: 1\n",
		"duplicate":          text + "recipient: " + a + "\n",
		"identity not key":   text + "recipient: AGE-SECRET-KEY-1QQQQ\n",
		"label with escape":  strings.Replace(text, "amal", "am\x1b[2Jal", 1),
		"label with space":   strings.Replace(text, "amal", "am al", 1),
		"extra line":         text + "comment: x\n",
		"team with capitals": strings.Replace(text, "reprisals-team", "Reprisals", 1),
		"windows newlines":   strings.ReplaceAll(text, "\n", "\r\n"),
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestVerify(t *testing.T) {
	k1, k2, stranger := mustKey(t), mustKey(t), mustKey(t)
	r := Roster{Team: "upr-secretariat", Version: 1, Entries: []Entry{{Recipient: recipient(t), Label: "ines"}}}
	s, err := Sign(r, k1)
	if err != nil {
		t.Fatal(err)
	}
	pinned := []PublicKey{k1.Public(), k2.Public()}
	if _, err := Verify(s, pinned, 1); err != nil {
		t.Fatalf("good roster: %v", err)
	}
	if _, err := Verify(s, pinned, 2); !errors.Is(err, ErrUnsigned) {
		t.Errorf("one signature, threshold 2: %v", err)
	}
	both, _ := s.AddSignature(k2)
	if _, err := Verify(both, pinned, 2); err != nil {
		t.Errorf("two signatures, threshold 2: %v", err)
	}
	if _, err := Verify(s, []PublicKey{k1.Public(), k1.Public()}, 2); !errors.Is(err, ErrUnsigned) {
		t.Errorf("a key pinned twice counted twice: %v", err)
	}
	forged, _ := Sign(r, stranger)
	if _, err := Verify(forged, pinned, 1); !errors.Is(err, ErrUnsigned) {
		t.Errorf("signed by an unpinned key: %v", err)
	}
	// The server adds a recipient of its own: the signature no longer holds.
	tampered := s
	tampered.Roster = s.Roster + "recipient: " + recipient(t) + " operator\n"
	if _, err := Verify(tampered, pinned, 1); !errors.Is(err, ErrUnsigned) {
		t.Errorf("recipient added without a signature: %v", err)
	}
	// A signature claimed for a pinned key but made by another.
	swapped := forged
	swapped.Signatures = []Signature{{Key: k1.Public().String(), Signature: forged.Signatures[0].Signature}}
	if _, err := Verify(swapped, pinned, 1); !errors.Is(err, ErrUnsigned) {
		t.Errorf("a stranger's signature under a pinned key's name: %v", err)
	}
}

func TestPins(t *testing.T) {
	key := mustKey(t)
	a, b, c := recipient(t), recipient(t), recipient(t)
	sign := func(v int64, entries ...Entry) Signed {
		s, err := Sign(Roster{Team: "reprisals-team", Version: v, Entries: entries}, key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	path := filepath.Join(t.TempDir(), "pins.json")
	p, _ := LoadPins(path)
	v1 := sign(1, Entry{Recipient: a, Label: "amal"}, Entry{Recipient: b, Label: "bilal"})
	if _, err := p.Check("reprisals-team", v1); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("not pinned: %v", err)
	}
	p.Pin("reprisals-team", key.Public())
	ch, err := p.Check("reprisals-team", v1)
	if err != nil || !ch.Changed || ch.Previous != nil {
		t.Fatalf("first use: %+v, %v", ch, err)
	}
	p.Accept(ch.Roster)
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	p, err = LoadPins(path)
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := p.Check("reprisals-team", v1); err != nil || ch.Changed {
		t.Fatalf("same roster again: %+v, %v", ch, err)
	}
	v2 := sign(2, Entry{Recipient: a, Label: "amal"}, Entry{Recipient: c, Label: "chen"})
	ch, err = p.Check("reprisals-team", v2)
	if err != nil || !ch.Changed || len(ch.Added) != 1 || ch.Added[0].Label != "chen" || len(ch.Removed) != 1 || ch.Removed[0].Label != "bilal" {
		t.Fatalf("v2: %+v, %v", ch, err)
	}
	d := ch.Describe()
	if !strings.Contains(d, "ADDED:   chen") || !strings.Contains(d, "REMOVED: bilal") || !strings.Contains(d, "version 1 to 2") {
		t.Errorf("description:\n%s", d)
	}
	p.Accept(ch.Roster)
	if _, err := p.Check("reprisals-team", v1); !errors.Is(err, ErrRollback) {
		t.Errorf("rollback to v1: %v", err)
	}
	if _, err := p.Check("reprisals-team", sign(2, Entry{Recipient: a, Label: "amal"})); !errors.Is(err, ErrEquivocation) {
		t.Errorf("another v2: %v", err)
	}
	if _, err := p.Check("upr-secretariat", v2); !errors.Is(err, ErrNotPinned) {
		t.Errorf("other team: %v", err)
	}
	p.Pin("upr-secretariat", key.Public())
	if _, err := p.Check("upr-secretariat", v2); !errors.Is(err, ErrWrongTeam) {
		t.Errorf("another team's roster: %v", err)
	}
}

func TestKeys(t *testing.T) {
	k := mustKey(t)
	back, err := ParsePrivateKey(k.String())
	if err != nil || !back.Public().Equal(k.Public()) {
		t.Fatalf("private key round trip: %v", err)
	}
	pub, err := ParsePublicKey(k.Public().String())
	if err != nil || !pub.Equal(k.Public()) {
		t.Fatalf("public key round trip: %v", err)
	}
	if fp := pub.Fingerprint(); len(fp) != 39 || strings.Count(fp, " ") != 7 {
		t.Errorf("fingerprint %q", fp)
	}
	for _, bad := range []string{"", k.Public().String() + "=", "age1xyz", strings.TrimPrefix(k.Public().String(), publicPrefix)} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
	if _, err := ParsePrivateKey(k.Public().String()); err == nil {
		t.Error("a public key parsed as a private one")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(Roster{Team: "t", Version: 1, Entries: []Entry{{Recipient: recipient(f), Label: "x"}}}.Marshal()))
	f.Add([]byte(Context + "\nteam: t\nversion: 1\nrecipient: age1\n"))
	f.Add([]byte(Roster{Team: "t", Version: 1, Entries: []Entry{{Recipient: recipient(f), Label: "x", Signer: signer(f)}, {Recipient: recipient(f)}}}.Marshal()))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		if string(r.Marshal()) != string(b) {
			t.Fatalf("parsed text does not marshal back")
		}
		if r.Check() != nil {
			t.Fatalf("parsed roster fails Check")
		}
	})
}

func signer(t testing.TB) string {
	file, pub, err := crypto.NewSigningKeyFile(mustRecipient(t))
	if err != nil || len(file) == 0 {
		t.Fatal(err)
	}
	return pub.String()
}

func mustRecipient(t testing.TB) crypto.Recipient {
	r, err := crypto.ParseRecipient(recipient(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSigners: an entry's signing key is carried through Marshal, Parse
// and signing; a roster without signing keys keeps its old text (its
// signatures still verify) and lists no signer; malformed, repeated or
// orphan signing keys are refused.
func TestSigners(t *testing.T) {
	t.Parallel()
	a, b, sa := recipient(t), recipient(t), signer(t)
	plain := Roster{Team: "reprisals-team", Version: 3, Entries: []Entry{{Recipient: a, Label: "amal"}, {Recipient: b}}}
	if strings.Contains(string(plain.Marshal()), "signer") {
		t.Fatal("a roster without signing keys has a signer line")
	}
	withSigner := plain
	withSigner.Entries = []Entry{{Recipient: a, Label: "amal", Signer: sa}, {Recipient: b}}
	text := string(withSigner.Marshal())
	if want := "recipient: " + a + " amal\nsigner: " + sa + "\nrecipient: " + b + "\n"; !strings.HasSuffix(text, want) {
		t.Fatalf("canonical text:\n%s\nwant it to end with\n%s", text, want)
	}
	r, err := Parse([]byte(text))
	if err != nil || r.Entries[0].Signer != sa || r.Entries[1].Signer != "" {
		t.Fatalf("round trip: %v %+v", err, r.Entries)
	}
	pub, _ := crypto.ParseSigningPublicKey(sa)
	if e, ok := r.Signer(pub); !ok || e.Label != "amal" {
		t.Errorf("Signer(amal's key) = %+v, %t", e, ok)
	}
	if _, ok := plain.Signer(pub); ok {
		t.Error("a roster without signing keys lists a signer")
	}
	k := mustKey(t)
	s, err := Sign(withSigner, k)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := Verify(s, []PublicKey{k.Public()}, 1); err != nil || v.Entries[0].Signer != sa {
		t.Fatalf("signed with a signing key: %v", err)
	}
	// The server cannot add or swap a signing key: the text is signed.
	swapped := s
	swapped.Roster = strings.Replace(s.Roster, sa, signer(t), 1)
	if _, err := Verify(swapped, []PublicKey{k.Public()}, 1); !errors.Is(err, ErrUnsigned) {
		t.Errorf("a swapped signing key verified: %v", err)
	}
	for name, bad := range map[string]string{
		"signer first":           strings.Replace(text, "recipient: "+a+" amal\nsigner: "+sa+"\n", "signer: "+sa+"\nrecipient: "+a+" amal\n", 1),
		"two signers":            strings.Replace(text, "signer: "+sa+"\n", "signer: "+sa+"\nsigner: "+signer(t)+"\n", 1),
		"repeated signing key":   text + "signer: " + sa + "\n",
		"empty signer":           strings.Replace(text, "signer: "+sa, "signer: ", 1),
		"roster key as signer":   strings.Replace(text, sa, k.Public().String(), 1),
		"signer with space":      strings.Replace(text, "signer: "+sa, "signer:  "+sa, 1),
		"truncated signing key":  strings.Replace(text, sa, sa[:len(sa)-4], 1),
		"identity as signer":     strings.Replace(text, sa, "AGE-SECRET-KEY-1QQQQ", 1),
		"signer without newline": strings.TrimSuffix(text, "\n"),
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
