// Package roster is a team's signed list of recipients: the age keys that
// anyone encrypts the team's material to. A roster names its team, a
// version number that only goes up, and each recipient with a label (the
// handler's name); it is signed with Ed25519 by the team's roster keys,
// which the team's key custodians hold offline.
//
// The server stores and serves rosters but holds no roster key, so it
// cannot forge one. Clients pin a team's roster keys once (confirming the
// fingerprint out of band), verify every roster they encrypt to, refuse a
// version that goes backwards or two different rosters with one version,
// and show a handler what changed before using a new one (see Pins).
//
// Signatures cover the roster's canonical text exactly as stored, whose
// first line is the versioned context string, so a signature cannot be
// taken for anything else.
package roster

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// Context is the first line of every roster.
const Context = "reprisals-team-roster/v1"

// Limits on a roster.
const (
	MaxEntries    = 200
	MaxText       = 256 << 10
	MaxSignatures = 16
)

// ErrInvalid is a roster that does not parse.
var ErrInvalid = errors.New("not a valid team roster")

// Entry is one recipient of a roster and who it belongs to.
type Entry struct {
	Recipient string // canonical age1... string
	Label     string // the handler's name, or a short description
	// Signer is the handler's public signing key
	// (reprisals-signing-key-ed25519:..., canonical), with which their
	// replies to reporters are signed; empty for an entry without one
	// (a team key, or a roster from before signing keys): replies signed
	// by no listed key cannot be verified, and are never shown to a
	// reporter.
	Signer string
}

func (e Entry) String() string {
	if e.Label == "" {
		return e.Recipient
	}
	return e.Label + " (" + e.Recipient + ")"
}

// Roster is a team's recipients at one version.
type Roster struct {
	Team    string
	Version int64
	// Signed and Expires are when the custodian signed this version and
	// until when clients may use it (UTC, whole seconds). Rosters signed
	// before they existed have neither (see Pins.Check for how those are
	// treated).
	Signed, Expires time.Time
	Entries         []Entry
}

// Validity of a roster: what Sign gives by default, the most a roster may
// claim, and how long before its expiry the server warns its operator.
const (
	DefaultValidity = 180 * 24 * time.Hour
	MaxValidity     = 400 * 24 * time.Hour
	RenewWarning    = 30 * 24 * time.Hour
)

// Dated reports whether the roster carries a signing time and an expiry.
func (r Roster) Dated() bool { return !r.Expires.IsZero() }

// Expired reports whether a dated roster's expiry has passed at now.
func (r Roster) Expired(now time.Time) bool { return r.Dated() && !now.Before(r.Expires) }

// Age says in plain words when the roster was signed and until when it
// holds, as seen at now.
func (r Roster) Age(now time.Time) string {
	if !r.Dated() {
		return "it carries no signing time or expiry (it was signed before rosters had them): ask your key custodian to renew it (casectl roster renew)"
	}
	days := int(now.Sub(r.Signed).Hours() / 24)
	left := int(r.Expires.Sub(now).Hours() / 24)
	return fmt.Sprintf("signed %s (%d day(s) ago), valid until %s (%d day(s) left)", r.Signed.Format(time.DateOnly), days, r.Expires.Format(time.DateOnly), left)
}

var (
	teamRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	labelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$`)
)

// Marshal returns the roster's canonical text: the context line, team,
// version, for a dated roster "signed: TIME" and "expires: TIME"
// (RFC 3339, UTC), then one "recipient: KEY LABEL" line per entry, in
// order, each followed by "signer: SIGNING-KEY" when the entry has a
// signing key. An undated roster's text, and one without signing keys,
// is exactly what it was before rosters had them, so its signatures still
// verify.
func (r Roster) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nteam: %s\nversion: %d\n", Context, r.Team, r.Version)
	if r.Dated() {
		fmt.Fprintf(&b, "signed: %s\nexpires: %s\n", r.Signed.UTC().Format(time.RFC3339), r.Expires.UTC().Format(time.RFC3339))
	}
	for _, e := range r.Entries {
		fmt.Fprintf(&b, "recipient: %s", e.Recipient)
		if e.Label != "" {
			fmt.Fprintf(&b, " %s", e.Label)
		}
		b.WriteByte('\n')
		if e.Signer != "" {
			fmt.Fprintf(&b, "signer: %s\n", e.Signer)
		}
	}
	return b.Bytes()
}

// Check validates a roster: a team name, a positive version, one to
// MaxEntries distinct, canonical, mutually compatible recipients, and
// well-formed labels, and signing keys that are canonical and distinct.
func (r Roster) Check() error {
	if !teamRE.MatchString(r.Team) {
		return fmt.Errorf("%w: the team name is not valid", ErrInvalid)
	}
	if r.Version < 1 || r.Version > 1<<53 {
		return fmt.Errorf("%w: the version must be a positive number", ErrInvalid)
	}
	if r.Signed.IsZero() != r.Expires.IsZero() {
		return fmt.Errorf("%w: a roster has both a signing time and an expiry, or neither", ErrInvalid)
	}
	if r.Dated() {
		if r.Signed.Year() < 2020 || r.Signed.Year() > 9000 || !r.Expires.After(r.Signed) || r.Expires.Sub(r.Signed) > MaxValidity {
			return fmt.Errorf("%w: a roster's expiry must come after its signing time, at most %d days later", ErrInvalid, int(MaxValidity.Hours()/24))
		}
		if !r.Signed.Equal(r.Signed.Truncate(time.Second)) || !r.Expires.Equal(r.Expires.Truncate(time.Second)) {
			return fmt.Errorf("%w: a roster's times are whole seconds", ErrInvalid)
		}
	}
	if len(r.Entries) == 0 || len(r.Entries) > MaxEntries {
		return fmt.Errorf("%w: a roster has 1 to %d recipients", ErrInvalid, MaxEntries)
	}
	seen, signers := map[string]bool{}, map[string]bool{}
	var recs []crypto.Recipient
	for i, e := range r.Entries {
		rec, err := crypto.ParseRecipient(e.Recipient)
		if err != nil || rec.String() != e.Recipient {
			return fmt.Errorf("%w: recipient %d is not a canonical age recipient", ErrInvalid, i+1)
		}
		if seen[e.Recipient] {
			return fmt.Errorf("%w: recipient %d appears twice", ErrInvalid, i+1)
		}
		seen[e.Recipient] = true
		if e.Label != "" && !labelRE.MatchString(e.Label) {
			return fmt.Errorf("%w: the label of recipient %d is not valid (letters, digits, . _ @ -)", ErrInvalid, i+1)
		}
		if e.Signer != "" {
			if _, err := crypto.ParseSigningPublicKey(e.Signer); err != nil {
				return fmt.Errorf("%w: the signing key of recipient %d is not a canonical signing key", ErrInvalid, i+1)
			}
			if signers[e.Signer] {
				return fmt.Errorf("%w: the signing key of recipient %d appears twice", ErrInvalid, i+1)
			}
			signers[e.Signer] = true
		}
		recs = append(recs, rec)
	}
	if err := crypto.CheckCompatible(recs); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// Parse reads a roster's canonical text strictly: it must be exactly what
// Marshal writes for a roster that passes Check.
func Parse(b []byte) (Roster, error) {
	var r Roster
	if len(b) > MaxText || !bytes.HasSuffix(b, []byte("\n")) {
		return r, ErrInvalid
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 4 || lines[0] != Context {
		return r, ErrInvalid
	}
	team, ok1 := strings.CutPrefix(lines[1], "team: ")
	version, ok2 := strings.CutPrefix(lines[2], "version: ")
	if !ok1 || !ok2 {
		return r, ErrInvalid
	}
	v, err := strconv.ParseInt(version, 10, 64)
	if err != nil {
		return r, ErrInvalid
	}
	r = Roster{Team: team, Version: v}
	rest := lines[3:]
	if signed, ok := strings.CutPrefix(rest[0], "signed: "); ok {
		if len(rest) < 3 {
			return Roster{}, ErrInvalid
		}
		expires, ok := strings.CutPrefix(rest[1], "expires: ")
		if !ok {
			return Roster{}, ErrInvalid
		}
		st, err1 := time.Parse(time.RFC3339, signed)
		et, err2 := time.Parse(time.RFC3339, expires)
		if err1 != nil || err2 != nil {
			return Roster{}, ErrInvalid
		}
		r.Signed, r.Expires = st.UTC(), et.UTC()
		rest = rest[2:]
	}
	for _, line := range rest {
		if signer, ok := strings.CutPrefix(line, "signer: "); ok {
			// The signing key of the entry just before, once.
			if len(r.Entries) == 0 || r.Entries[len(r.Entries)-1].Signer != "" || signer == "" {
				return Roster{}, ErrInvalid
			}
			r.Entries[len(r.Entries)-1].Signer = signer
			continue
		}
		rest, ok := strings.CutPrefix(line, "recipient: ")
		if !ok {
			return Roster{}, ErrInvalid
		}
		rec, label, _ := strings.Cut(rest, " ")
		r.Entries = append(r.Entries, Entry{Recipient: rec, Label: label})
	}
	if err := r.Check(); err != nil {
		return Roster{}, err
	}
	if !bytes.Equal(r.Marshal(), b) {
		return Roster{}, ErrInvalid
	}
	return r, nil
}

// Recipients returns the roster's recipients, parsed.
func (r Roster) Recipients() ([]crypto.Recipient, error) {
	out := make([]crypto.Recipient, 0, len(r.Entries))
	for _, e := range r.Entries {
		rec, err := crypto.ParseRecipient(e.Recipient)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Signer returns the entry whose signing key is key, if the roster lists
// it.
func (r Roster) Signer(key crypto.SigningPublicKey) (Entry, bool) {
	s := key.String()
	for _, e := range r.Entries {
		if e.Signer != "" && e.Signer == s {
			return e, true
		}
	}
	return Entry{}, false
}

// Diff returns the entries of next that are not in prev (added) and those
// of prev that are not in next (removed), by recipient.
func Diff(prev, next Roster) (added, removed []Entry) {
	has := func(list []Entry, rec string) bool {
		return slices.ContainsFunc(list, func(e Entry) bool { return e.Recipient == rec })
	}
	for _, e := range next.Entries {
		if !has(prev.Entries, e.Recipient) {
			added = append(added, e)
		}
	}
	for _, e := range prev.Entries {
		if !has(next.Entries, e.Recipient) {
			removed = append(removed, e)
		}
	}
	return added, removed
}
