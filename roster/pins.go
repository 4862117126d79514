package roster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxPinsFile bounds the pin store read from disk.
const maxPinsFile = 4 << 20

// Errors of Pins.Check. Each is written for a handler.
var (
	ErrNotPinned = errors.New("you have not pinned this team's roster key: get its fingerprint from your security focal point " +
		"and run 'casectl roster pin'")
	ErrRollback = errors.New("the server sent an older roster than one you already accepted: " +
		"someone may be trying to bring back a removed key. Nothing was encrypted. Tell your security focal point")
	ErrEquivocation = errors.New("the server sent a roster with the same version as one you accepted but different recipients. " +
		"Nothing was encrypted. Tell your security focal point")
	ErrWrongTeam = errors.New("the server sent another team's roster")
	ErrExpired   = errors.New("the server sent a roster whose expiry has passed: nothing was encrypted to it. " +
		"Ask your key custodian to renew it (casectl roster renew); if they did, the server is withholding the new one: tell your security focal point")
	ErrUndated = errors.New("the server sent a roster without an expiry (signed before rosters carried one), which is not accepted for first use: " +
		"ask your key custodian to renew it (casectl roster renew)")
)

// Pins is a handler's pin store: per team, the roster keys they confirmed
// out of band, how many must sign, and the roster they last accepted.
type Pins struct {
	Teams map[string]*TeamPin `json:"teams"`
}

// TeamPin is what is pinned for one team.
type TeamPin struct {
	Keys      []string `json:"keys"`
	Threshold int      `json:"threshold"`
	// Accepted is the canonical text of the roster last accepted.
	Accepted string `json:"accepted_roster,omitempty"`
}

// LoadPins reads the pin store at path; a missing file is an empty store.
func LoadPins(path string) (*Pins, error) {
	p := &Pins{Teams: map[string]*TeamPin{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, maxPinsFile))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("the pin store %s is damaged: restore it from your backup or pin again", path)
	}
	if p.Teams == nil {
		p.Teams = map[string]*TeamPin{}
	}
	return p, nil
}

// Save writes the pin store to path (mode 0600), replacing it atomically.
func (p *Pins) Save(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pins-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Pin adds a roster key for team. The caller has shown the handler the
// key's fingerprint and had them confirm it.
func (p *Pins) Pin(team string, key PublicKey) {
	tp := p.Teams[team]
	if tp == nil {
		tp = &TeamPin{Threshold: 1}
		p.Teams[team] = tp
	}
	for _, k := range tp.Keys {
		if k == key.String() {
			return
		}
	}
	tp.Keys = append(tp.Keys, key.String())
}

// Checked is a verified roster and how it relates to the one accepted
// before.
type Checked struct {
	Roster   Roster
	Previous *Roster // nil on first use
	Added    []Entry
	Removed  []Entry
	// Changed is true when this roster is not the one accepted before
	// (first use included): the handler must see it and agree before it
	// is used.
	Changed bool
}

// Check verifies a team's roster against the pinned keys and the roster
// accepted before: a missing pin, a bad signature, another team's roster,
// a version that goes backwards, or a different roster under the accepted
// version are errors.
func (p *Pins) Check(team string, s Signed) (Checked, error) {
	r, err := p.VerifySignatures(team, s)
	if err != nil {
		return Checked{}, err
	}
	tp := p.Teams[team]
	if r.Expired(time.Now()) {
		return Checked{}, fmt.Errorf("team %s: %w (version %d, %s)", team, ErrExpired, r.Version, r.Age(time.Now()))
	}
	// An undated roster (from before rosters carried dates) is still used
	// when it is exactly the one accepted before, so nobody is locked out
	// until the custodian renews it; never for first use, nor as a change.
	if !r.Dated() && s.Roster != tp.Accepted {
		return Checked{}, fmt.Errorf("team %s: %w", team, ErrUndated)
	}
	c := Checked{Roster: r, Changed: true, Added: r.Entries}
	if tp.Accepted != "" {
		prev, err := Parse([]byte(tp.Accepted))
		if err != nil {
			return Checked{}, fmt.Errorf("the pin store's accepted roster for team %s is damaged: pin again", team)
		}
		switch {
		case r.Version < prev.Version:
			return Checked{}, fmt.Errorf("team %s: %w (version %d, you accepted %d)", team, ErrRollback, r.Version, prev.Version)
		case r.Version == prev.Version && s.Roster != tp.Accepted:
			return Checked{}, fmt.Errorf("team %s: %w", team, ErrEquivocation)
		}
		c.Previous = &prev
		c.Changed = s.Roster != tp.Accepted
		c.Added, c.Removed = Diff(prev, r)
	}
	return c, nil
}

// VerifySignatures checks only that s is team's roster signed by its
// pinned keys, whatever its dates and history: what a custodian needs to
// renew an expired roster. Never encrypt to a roster checked only so.
func (p *Pins) VerifySignatures(team string, s Signed) (Roster, error) {
	tp := p.Teams[team]
	if tp == nil || len(tp.Keys) == 0 {
		return Roster{}, fmt.Errorf("team %s: %w", team, ErrNotPinned)
	}
	var keys []PublicKey
	for _, k := range tp.Keys {
		pk, err := ParsePublicKey(k)
		if err != nil {
			return Roster{}, fmt.Errorf("the pin store holds a damaged key for team %s: pin again", team)
		}
		keys = append(keys, pk)
	}
	r, err := Verify(s, keys, tp.Threshold)
	if err != nil {
		return Roster{}, fmt.Errorf("team %s: the server's roster is refused: %w. Nothing was encrypted. Tell your security focal point", team, err)
	}
	if r.Team != team {
		return Roster{}, fmt.Errorf("team %s: %w", team, ErrWrongTeam)
	}
	return r, nil
}

// Accept records r as the team's accepted roster. Call it only after
// Check, and after the handler agreed to a change.
func (p *Pins) Accept(r Roster) {
	if tp := p.Teams[r.Team]; tp != nil {
		tp.Accepted = string(r.Marshal())
	}
}

// Describe says in plain words what a checked roster is or changes. Labels
// and recipients passed Check's strict syntax, so they are safe to print.
func (c Checked) Describe() string {
	var b strings.Builder
	if c.Previous == nil {
		fmt.Fprintf(&b, "Team %s's roster, version %d, signed by a pinned roster key, %s, lists %d recipient(s):\n", c.Roster.Team, c.Roster.Version, c.Roster.Age(time.Now()), len(c.Roster.Entries))
		for _, e := range c.Roster.Entries {
			fmt.Fprintf(&b, "  %s%s\n", e, map[bool]string{true: ", signs replies"}[e.Signer != ""])
		}
		return b.String()
	}
	if !c.Changed {
		fmt.Fprintf(&b, "Team %s's roster is unchanged (version %d, %d recipient(s); %s).\n", c.Roster.Team, c.Roster.Version, len(c.Roster.Entries), c.Roster.Age(time.Now()))
		return b.String()
	}
	fmt.Fprintf(&b, "Team %s's roster changed from version %d to %d (signed by a pinned roster key, %s).\n", c.Roster.Team, c.Previous.Version, c.Roster.Version, c.Roster.Age(time.Now()))
	for _, e := range c.Added {
		fmt.Fprintf(&b, "  ADDED:   %s can now read what is encrypted to the team\n", e)
	}
	for _, e := range c.Removed {
		fmt.Fprintf(&b, "  REMOVED: %s will no longer be able to read new material\n", e)
	}
	signers := 0
	for _, e := range c.Roster.Entries {
		for _, p := range c.Previous.Entries {
			if p.Recipient == e.Recipient && p.Signer != e.Signer {
				signers++
				if e.Signer == "" {
					fmt.Fprintf(&b, "  SIGNING: %s no longer has a signing key: their replies will not be shown to reporters\n", e)
				} else {
					fmt.Fprintf(&b, "  SIGNING: %s signs replies with a new key (%s)\n", e, e.Signer)
				}
			}
		}
	}
	if len(c.Added) == 0 && len(c.Removed) == 0 && signers == 0 {
		fmt.Fprintf(&b, "  (same recipients; labels or order changed)\n")
	}
	return b.String()
}
