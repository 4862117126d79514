package roster

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRosterDates: a dated roster round-trips; bad dates are refused; an
// undated roster's text is what it was before dates existed.
func TestRosterDates(t *testing.T) {
	a := recipient(t)
	signed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := Roster{Team: "t", Version: 2, Signed: signed, Expires: signed.Add(90 * 24 * time.Hour), Entries: []Entry{{Recipient: a, Label: "amal"}}}
	text := string(r.Marshal())
	if !strings.Contains(text, "\nsigned: 2026-01-02T03:04:05Z\nexpires: 2026-04-02T03:04:05Z\n") {
		t.Fatalf("dated roster text:\n%s", text)
	}
	got, err := Parse([]byte(text))
	if err != nil || !got.Signed.Equal(r.Signed) || !got.Expires.Equal(r.Expires) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	undated := Roster{Team: "t", Version: 2, Entries: []Entry{{Recipient: a, Label: "amal"}}}
	if want := Context + "\nteam: t\nversion: 2\nrecipient: " + a + " amal\n"; string(undated.Marshal()) != want {
		t.Errorf("undated roster text changed:\n%s", undated.Marshal())
	}
	for name, bad := range map[string]string{
		"only signed":       strings.Replace(text, "expires: 2026-04-02T03:04:05Z\n", "", 1),
		"only expires":      strings.Replace(text, "signed: 2026-01-02T03:04:05Z\n", "", 1),
		"expires first":     strings.Replace(strings.Replace(text, "signed: ", "x: ", 1), "expires: ", "signed: ", 1),
		"not UTC":           strings.Replace(text, "03:04:05Z", "03:04:05+01:00", 1),
		"expiry before":     strings.Replace(text, "expires: 2026-04-02", "expires: 2025-04-02", 1),
		"too long":          strings.Replace(text, "expires: 2026-04-02", "expires: 2028-04-02", 1),
		"fractional second": strings.Replace(text, "03:04:05Z\nexp", "03:04:05.5Z\nexp", 1),
		"nothing after":     Context + "\nteam: t\nversion: 2\nsigned: 2026-01-02T03:04:05Z\n",
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	s, err := Sign(undated, mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := Parse([]byte(s.Roster)); !r.Dated() || r.Expires.Sub(r.Signed) != DefaultValidity {
		t.Errorf("Sign does not date an undated roster: %s", s.Roster)
	}
}

// TestPinsRefuseExpiredAndUndatedRosters plays a server that serves an
// expired roster (first use and after acceptance), and one from before
// rosters had dates: the expired one is refused either way; the undated
// one only for first use or as a change, while the same undated roster
// accepted before keeps working (the migration).
func TestPinsRefuseExpiredAndUndatedRosters(t *testing.T) {
	key := mustKey(t)
	a := recipient(t)
	now := time.Now().UTC().Truncate(time.Second)
	sign := func(r Roster) Signed {
		s, err := Sign(r, key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// signUndated signs an undated text as custodians did before.
	signUndated := func(r Roster) Signed {
		text := string(r.Marshal())
		return Signed{Roster: text, Signatures: []Signature{{Key: key.Public().String(), Signature: ed25519.Sign(key.k, []byte(text))}}}
	}
	p, _ := LoadPins(filepath.Join(t.TempDir(), "pins.json"))
	p.Pin("reprisals-team", key.Public())

	expired := sign(Roster{Team: "reprisals-team", Version: 1, Signed: now.Add(-100 * 24 * time.Hour), Expires: now.Add(-time.Hour), Entries: []Entry{{Recipient: a, Label: "amal"}}})
	if _, err := p.Check("reprisals-team", expired); !errors.Is(err, ErrExpired) {
		t.Errorf("an expired roster on first use: %v", err)
	}
	undated := signUndated(Roster{Team: "reprisals-team", Version: 1, Entries: []Entry{{Recipient: a, Label: "amal"}}})
	if _, err := p.Check("reprisals-team", undated); !errors.Is(err, ErrUndated) {
		t.Errorf("an undated roster on first use: %v", err)
	}
	// A handler who accepted the undated roster before the upgrade.
	r, _ := Parse([]byte(undated.Roster))
	p.Accept(r)
	ch, err := p.Check("reprisals-team", undated)
	if err != nil || ch.Changed {
		t.Errorf("the undated roster accepted before: %+v %v", ch, err)
	}
	if d := ch.Describe(); !strings.Contains(d, "no signing time or expiry") {
		t.Errorf("Describe does not say the roster is undated: %s", d)
	}
	if _, err := p.Check("reprisals-team", signUndated(Roster{Team: "reprisals-team", Version: 2, Entries: []Entry{{Recipient: a, Label: "amal"}, {Recipient: recipient(t), Label: "x"}}})); !errors.Is(err, ErrUndated) {
		t.Errorf("an undated change: %v", err)
	}
	fresh := sign(Roster{Team: "reprisals-team", Version: 2, Entries: []Entry{{Recipient: a, Label: "amal"}}})
	ch, err = p.Check("reprisals-team", fresh)
	if err != nil || !ch.Changed {
		t.Fatalf("a renewed roster: %+v %v", ch, err)
	}
	if d := ch.Describe(); !strings.Contains(d, "signed "+now.Format(time.DateOnly)) || !strings.Contains(d, "day(s) left") {
		t.Errorf("Describe does not show the roster's age: %s", d)
	}
	p.Accept(ch.Roster)
	// The accepted roster expires: refused too.
	old := sign(Roster{Team: "reprisals-team", Version: 3, Signed: now.Add(-50 * 24 * time.Hour), Expires: now.Add(-time.Minute), Entries: []Entry{{Recipient: a, Label: "amal"}}})
	if _, err := p.Check("reprisals-team", old); !errors.Is(err, ErrExpired) {
		t.Errorf("an expired later version: %v", err)
	}
}
