package desk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
)

// Colleague is someone a case on paper may be sealed to: a labelled entry
// of the verified roster of one of the case's teams.
type Colleague struct {
	Label     string // the roster's name for them
	Team      string
	Recipient string // canonical age1...
}

// Why a case on paper is not sealed. Nothing is recorded or written.
var (
	ErrNoColleague = errors.New("nobody of that name is on a verified roster of this case's teams: " +
		"the paper is sealed only to a colleague the roster lists (casectl roster show)")
	ErrColleagueTwice = errors.New("that name is given to more than one key on this case's rosters: " +
		"ask a key custodian to give each handler their own name")
)

// MaxPaper bounds a case on paper, in bytes.
const MaxPaper = 64 << 20

// Colleagues lists whom a case on paper may be sealed to: every labelled
// entry of the rosters of teams, each verified against the handler's
// pinned roster keys (Rosters: a change is shown and agreed to first, an
// expired roster refused), never a list or a key the server names. teams
// are the case's teams as sealed in its report (envelope.Case.Teams), so
// the paper goes only to someone the case is already encrypted to. A team
// whose roster key the handler has not pinned is left out.
func (d Desk) Colleagues(ctx context.Context, teams []string) ([]Colleague, error) {
	if d.Rosters == nil {
		return nil, errors.New("desk: no rosters")
	}
	var out []Colleague
	for _, team := range teams {
		r, _, err := d.Rosters.TeamRoster(ctx, team)
		if errors.Is(err, roster.ErrNotPinned) {
			continue // a team whose roster key the handler has not pinned: nobody of it is offered
		}
		if err != nil {
			return nil, err
		}
		for _, e := range r.Entries {
			if e.Label == "" || slices.ContainsFunc(out, func(c Colleague) bool { return c.Label == e.Label && c.Recipient == e.Recipient }) {
				continue
			}
			out = append(out, Colleague{Label: e.Label, Team: team, Recipient: e.Recipient})
		}
	}
	slices.SortFunc(out, func(a, b Colleague) int { return strings.Compare(a.Label, b.Label) })
	return out, nil
}

// Colleague is the one colleague of the verified rosters of teams named
// label (see Colleagues).
func (d Desk) Colleague(ctx context.Context, teams []string, label string) (Colleague, error) {
	list, err := d.Colleagues(ctx, teams)
	if err != nil {
		return Colleague{}, err
	}
	var found []Colleague
	for _, c := range list {
		if c.Label == label {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return Colleague{}, ErrNoColleague
	case 1:
		return found[0], nil
	}
	return Colleague{}, ErrColleagueTwice
}

// SealPaper seals case ref on paper (plain: what the face made of it, a
// whole HTML page) for the colleague named label on the verified rosters
// of teams (the case's sealed teams; see Colleagues) and writes the age
// file to out: one file that only that colleague's identity opens. The
// recipient comes only from a verified roster, so a hostile server cannot
// choose it. Nothing is recorded or written when the colleague is
// unknown; the export is recorded in the audit log (RecordExport) before
// anything is written, and nothing is written if that fails. The
// plaintext is padded to its size bucket (HTML ignores the trailing
// spaces) and never written anywhere in the clear; the caller wipes plain.
func (d Desk) SealPaper(ctx context.Context, ref string, teams []string, label string, plain []byte, out io.Writer) (Colleague, error) {
	if len(plain) == 0 || len(plain) > MaxPaper {
		return Colleague{}, fmt.Errorf("desk: a case on paper of %d bytes", len(plain))
	}
	col, err := d.Colleague(ctx, teams, label)
	if err != nil {
		return Colleague{}, err
	}
	to, err := crypto.ParseRecipient(col.Recipient)
	if err != nil {
		return Colleague{}, fmt.Errorf("%s's key on the roster: %w", handlerapi.Safe(col.Label), err)
	}
	sealed, err := crypto.Seal(plain, []crypto.Recipient{to})
	if err != nil {
		return Colleague{}, err
	}
	if err := d.RecordExport(ctx, ref); err != nil {
		return Colleague{}, err
	}
	if _, err := out.Write(sealed.Ciphertext); err != nil {
		return Colleague{}, err
	}
	return col, nil
}
