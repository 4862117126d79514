package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
)

// Rosters gives a client the recipients to encrypt a team's material to:
// only those of a roster signed by a roster key the handler pinned,
// never a list the server names. A roster the handler has not accepted
// yet (the first one, or a new version) is shown to them through Confirm,
// and used and remembered only if they agree; an older version, or a
// different roster under an accepted version, is refused. It is safe for
// concurrent use; one check (and question) runs at a time.
type Rosters struct {
	API      *handlerapi.Client
	PinsPath string
	// Confirm shows a roster change in plain words (see
	// roster.Checked.Describe) and returns whether the handler agrees.
	Confirm func(description string) bool
	// Preview uses a changed roster that Confirm agreed to for this
	// Rosters only, without remembering it as accepted (for a dry run).
	Preview bool

	mu       sync.Mutex
	verified map[string]verifiedRoster
	pending  *RosterChange // ShownRosters' refused change
}

// rosterMaxAge is how long a verified roster is reused before it is
// fetched and checked again, so that a long-running console notices a
// change (a removed handler) within a minute.
const rosterMaxAge = time.Minute

type verifiedRoster struct {
	recs    []crypto.Recipient
	roster  roster.Roster
	signers []roster.PublicKey // the pinned roster keys that signed it
	at      time.Time
}

// ErrNoRoster is a team without a signed roster on the server.
var ErrNoRoster = errors.New("this team has no signed roster on this server yet, so nothing was encrypted: " +
	"its key custodians publish one (casectl roster sign, casectl roster publish)")

// Team returns the verified recipients of team's roster.
func (rs *Rosters) Team(ctx context.Context, team string) ([]crypto.Recipient, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if v, ok := rs.verified[team]; ok && time.Since(v.at) < rosterMaxAge {
		return v.recs, nil
	}
	pins, sr, err := fetchPinned(ctx, rs.API, rs.PinsPath, team)
	if err != nil {
		return nil, err
	}
	checked, err := pins.Check(team, sr)
	if err != nil {
		return nil, err
	}
	if checked.Changed {
		if rs.Confirm == nil || !rs.Confirm(checked.Describe()) {
			return nil, fmt.Errorf("team %s's roster was not accepted: nothing was encrypted", handlerapi.Safe(team))
		}
		if !rs.Preview {
			pins.Accept(checked.Roster)
			if err := pins.Save(rs.PinsPath); err != nil {
				return nil, err
			}
		}
	}
	recs, err := checked.Roster.Recipients()
	if err != nil {
		return nil, err
	}
	var signers []roster.PublicKey
	for _, k := range pins.Teams[team].Keys {
		pk, err := roster.ParsePublicKey(k)
		if err != nil {
			continue
		}
		if _, err := roster.Verify(sr, []roster.PublicKey{pk}, 1); err == nil {
			signers = append(signers, pk)
		}
	}
	if rs.verified == nil {
		rs.verified = map[string]verifiedRoster{}
	}
	rs.verified[team] = verifiedRoster{recs: recs, roster: checked.Roster, signers: signers, at: time.Now()}
	return recs, nil
}

// TeamRoster returns team's roster itself, verified as Team verifies it
// (a change goes through Confirm first), with the pinned roster keys
// whose signatures on it are valid: what a handler reads to know whom
// the team's material is encrypted to.
func (rs *Rosters) TeamRoster(ctx context.Context, team string) (roster.Roster, []roster.PublicKey, error) {
	if _, err := rs.Team(ctx, team); err != nil {
		return roster.Roster{}, nil, err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	v := rs.verified[team]
	return v.roster, v.signers, nil
}

// Case returns the union of the verified rosters of every team a case is
// routed to: what its content, follow-ups and manifests are encrypted to.
func (rs *Rosters) Case(ctx context.Context, teams []string) ([]crypto.Recipient, error) {
	var out []crypto.Recipient
	for _, t := range teams {
		recs, err := rs.Team(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if !slices.ContainsFunc(out, func(o crypto.Recipient) bool { return o.String() == r.String() }) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// RosterChange is a roster the handler has not accepted yet, stopped
// before anything was encrypted to it: a face that cannot ask in the
// middle of an operation (the console's forms) shows Description and
// runs the operation again with ShownRosters and its Digest.
type RosterChange struct {
	Description string // roster.Checked.Describe, in plain words
}

func (e *RosterChange) Error() string { return "a roster changed: " + e.Description }

// Digest names the change's description, so that an acceptance is for
// exactly the change that was shown, never another that came since.
func (e *RosterChange) Digest() string {
	h := sha256.Sum256([]byte(e.Description))
	return hex.EncodeToString(h[:])
}

// ShownRosters are Rosters that accept a roster change only if accepted
// is the Digest of its description (a change shown to the handler
// before); any other change is refused, and Pending returns it to show.
func ShownRosters(api *handlerapi.Client, pinsPath, accepted string) *Rosters {
	rs := &Rosters{API: api, PinsPath: pinsPath}
	rs.Confirm = func(d string) bool {
		ch := &RosterChange{Description: d}
		if accepted != "" && ch.Digest() == accepted {
			return true
		}
		rs.pending = ch
		return false
	}
	return rs
}

// Pending is the roster change ShownRosters refused (nil: none).
func (rs *Rosters) Pending() *RosterChange { return rs.pending }

// fetchPinned fetches team's latest signed roster, unchecked, with the
// handler's pins: only for a team whose roster key is pinned
// (roster.ErrNotPinned, asking the server nothing, otherwise).
func fetchPinned(ctx context.Context, api *handlerapi.Client, pinsPath, team string) (*roster.Pins, handlerapi.SignedRoster, error) {
	pins, err := roster.LoadPins(pinsPath)
	if err != nil {
		return nil, handlerapi.SignedRoster{}, err
	}
	if pins.Teams[team] == nil {
		return nil, handlerapi.SignedRoster{}, fmt.Errorf("team %s: %w", handlerapi.Safe(team), roster.ErrNotPinned)
	}
	sr, err := api.Roster(ctx, team)
	var ae *handlerapi.APIError
	if errors.As(err, &ae) && ae.Status == 404 {
		return nil, sr, fmt.Errorf("team %s: %w", handlerapi.Safe(team), ErrNoRoster)
	}
	return pins, sr, err
}

// FetchForSigning fetches team's current signed roster for a custodian
// to sign the next version from, checked against the handler's pins
// first (its signatures, and no older than the version accepted), so a
// server cannot hand a custodian an old roster to re-sign with a removed
// key back on it. It accepts nothing. An expired or undated roster is
// returned with its signatures checked and stale set: a custodian renews
// it, and nothing is ever encrypted to it.
func FetchForSigning(ctx context.Context, api *handlerapi.Client, pinsPath, team string) (sr handlerapi.SignedRoster, checked roster.Checked, stale bool, err error) {
	pins, sr, err := fetchPinned(ctx, api, pinsPath, team)
	if err != nil {
		return sr, roster.Checked{}, false, err
	}
	checked, err = pins.Check(team, sr)
	if errors.Is(err, roster.ErrExpired) || errors.Is(err, roster.ErrUndated) {
		r, verr := pins.VerifySignatures(team, sr)
		if verr != nil {
			return sr, roster.Checked{}, false, verr
		}
		return sr, roster.Checked{Roster: r}, true, nil
	}
	return sr, checked, false, err
}
