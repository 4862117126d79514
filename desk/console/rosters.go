package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
)

// The console encrypts notes and replies only to recipients of team
// rosters signed by a roster key the handler pinned (roster,
// through desk.Rosters and desk.ShownRosters), never to a list the server names. A roster
// the handler has not accepted yet is shown first, in plain words, on a
// page that asks; it is used only after the handler accepts exactly what
// was shown.

// rosterBook verifies rosters for the console, afresh for every note or
// reply (the console lives for hours; a roster may change meanwhile).
type rosterBook struct {
	mu       sync.Mutex // one verification at a time: they share the pin file
	api      *handlerapi.Client
	pinsPath string
}

func newRosterBook(api *handlerapi.Client, pinsPath string) *rosterBook {
	return &rosterBook{api: api, pinsPath: pinsPath}
}

// rosterChange is a roster the handler must see and accept first.
type rosterChange = desk.RosterChange

// digest names a roster change's description (desk.RosterChange.Digest).
func digest(description string) string {
	return (&desk.RosterChange{Description: description}).Digest()
}

// recipients returns the verified recipients of the rosters of teams. A
// roster change not yet accepted is returned as *rosterChange, unless
// accepted is the digest of its description.
func (b *rosterBook) recipients(ctx context.Context, teams []string, accepted string) ([]crypto.Recipient, error) {
	var recs []crypto.Recipient
	err := b.check(accepted, func(rs *desk.Rosters) (err error) {
		recs, err = rs.Case(ctx, teams)
		return err
	})
	return recs, err
}

// teamRoster returns a team's verified roster and the pinned roster keys
// that signed it, as recipients checks it.
func (b *rosterBook) teamRoster(ctx context.Context, team, accepted string) (roster.Roster, []roster.PublicKey, error) {
	var r roster.Roster
	var signers []roster.PublicKey
	err := b.check(accepted, func(rs *desk.Rosters) (err error) {
		r, signers, err = rs.TeamRoster(ctx, team)
		return err
	})
	return r, signers, err
}

// check runs fn with rosters verified against the pins; a change not yet
// accepted (accepted is not the digest of its description) is returned as
// *rosterChange.
func (b *rosterBook) check(accepted string, fn func(*desk.Rosters) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	rs := desk.ShownRosters(b.api, b.pinsPath, accepted)
	err := fn(rs)
	if ch := rs.Pending(); ch != nil {
		return ch
	}
	return err
}

// rosterPage asks the handler to accept a roster change before anything
// is encrypted to it; accepting sends the same form again.
type rosterPage struct {
	base
	Description string
	Digest      string
	Action      string
	Fields      []hidden
}

type hidden struct{ Name, Value string }

// confirmRoster shows a roster change with a form that repeats the
// request's form fields and adds the acceptance.
func (c *Console) confirmRoster(w http.ResponseWriter, r *http.Request, ch *rosterChange) error {
	p := rosterPage{base: c.base(r, "A team roster changed"), Description: ch.Description, Digest: digest(ch.Description), Action: r.URL.Path}
	for _, k := range []string{"text", "org_may_read", "trust_server_reply_key", "entry", "kind", "date", "symbol", "summary", "stance", "report", "annex", "paragraph", "other", "to"} {
		if v := r.PostFormValue(k); v != "" {
			p.Fields = append(p.Fields, hidden{k, v})
		}
	}
	return c.render(w, http.StatusConflict, "roster", p)
}

// asRosterChange reports whether err is a roster change to show.
func asRosterChange(err error) (*rosterChange, bool) {
	var ch *rosterChange
	return ch, errors.As(err, &ch)
}

// teamPage shows the handler's team roster as verified against the pins
// (version, each recipient with its label, the pinned roster keys that
// signed it, by fingerprint), or the change to accept first.
type teamPage struct {
	base
	Version    int64
	Entries    []rosterEntry
	Recipients []string
	Signers    []string // fingerprints of the pinned roster keys that signed it
	// Signed and Expires are the roster's signing time and expiry (UTC,
	// as dates); "" for a roster signed before rosters carried them.
	Signed, Expires string
	Change          *rosterPage
}

// rosterEntry is one recipient of the verified roster.
type rosterEntry struct {
	Label, Recipient string
	Signer           string // the signing key of their replies ("" : none)
	Mine             bool   // one of the signed-in handler's own keys
}

// showTeam verifies the team's roster now: a change is shown in plain
// words, to accept before anything is encrypted to it; after a change,
// older cases are re-encrypted with Rekey (desk.Rekeyer).
func (c *Console) showTeam(w http.ResponseWriter, r *http.Request) error {
	s := c.cfg.Source
	p := teamPage{base: c.base(r, "Team roster")}
	ros, signers, err := s.rosters.teamRoster(r.Context(), s.Team(), r.PostFormValue("accept_roster"))
	if ch, ok := asRosterChange(err); ok {
		p.Change = &rosterPage{Description: ch.Description, Digest: digest(ch.Description), Action: "/team"}
		return c.render(w, http.StatusOK, "team", p)
	}
	if err != nil {
		return err
	}
	mine := s.ownRecipients()
	p.Version = ros.Version
	if ros.Dated() {
		p.Signed, p.Expires = ros.Signed.UTC().Format("2006-01-02 15:04 UTC"), ros.Expires.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, e := range ros.Entries {
		p.Entries = append(p.Entries, rosterEntry{Label: e.Label, Recipient: e.Recipient, Signer: e.Signer, Mine: slices.Contains(mine, e.Recipient)})
		p.Recipients = append(p.Recipients, e.Recipient)
	}
	for _, k := range signers {
		p.Signers = append(p.Signers, k.Fingerprint())
	}
	return c.render(w, http.StatusOK, "team", p)
}

// acceptTeam accepts the team roster change that was shown.
func (c *Console) acceptTeam(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	return c.showTeam(w, r)
}
