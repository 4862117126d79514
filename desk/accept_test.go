package desk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/roster"
)

// publishSigned stores a roster of team, version v, signed at signed and
// valid for valid, with the given handlers.
func (e *env) publishSigned(team string, v int64, signed time.Time, valid time.Duration, handlers ...*age.X25519Identity) {
	e.t.Helper()
	r := roster.Roster{Team: team, Version: v, Signed: signed.UTC().Truncate(time.Second)}
	r.Expires = r.Signed.Add(valid)
	for _, h := range handlers {
		r.Entries = append(r.Entries, roster.Entry{Recipient: h.Recipient().String(), Label: "h"})
	}
	s, err := roster.Sign(r, e.rosterKeys[team])
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.PublishRoster(context.Background(), team, v, s, e.cases.OperatorAudit("test", "roster.publish", team)); err != nil {
		e.t.Fatal(err)
	}
}

// TestShownRosters: a face that shows a roster change and asks on a page
// accepts it only with the digest of exactly what was shown; another
// change that came meanwhile is shown again, and nothing is encrypted.
func TestShownRosters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	nadia := e.handler("nadia", "reprisals-team")
	ctx := context.Background()
	api := e.desk(e.url, "omar", omar).API
	pins := e.pins()
	team := "reprisals-team"
	e.publishSigned(team, 1, time.Now(), time.Hour*24, omar)

	rs := desk.ShownRosters(api, pins, "")
	if _, err := rs.Team(ctx, team); err == nil || rs.Pending() == nil {
		t.Fatalf("first use: %v, pending %v; want the roster to show", err, rs.Pending())
	}
	shown := rs.Pending()
	for _, tc := range []struct {
		name     string
		accepted string
		publish  bool // a new version comes between showing and accepting
		ok       bool
	}{
		{name: "no acceptance", accepted: ""},
		{name: "another digest", accepted: (&desk.RosterChange{Description: "something else"}).Digest()},
		{name: "a change came since", accepted: shown.Digest(), publish: true},
		{name: "the change shown", ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.publish {
				e.publishSigned(team, 2, time.Now(), time.Hour*24, omar, nadia)
			}
			accepted := tc.accepted
			if tc.ok {
				// The change now pending is shown, then accepted.
				probe := desk.ShownRosters(api, pins, "")
				probe.Team(ctx, team)
				accepted = probe.Pending().Digest()
			}
			rs := desk.ShownRosters(api, pins, accepted)
			recs, err := rs.Team(ctx, team)
			if tc.ok {
				if err != nil || len(recs) != 2 || rs.Pending() != nil {
					t.Fatalf("accepted: %d recipients, %v, pending %v", len(recs), err, rs.Pending())
				}
				return
			}
			if err == nil || len(recs) > 0 || rs.Pending() == nil {
				t.Errorf("%d recipients, %v, pending %v; want refused and shown", len(recs), err, rs.Pending())
			}
		})
	}
}

// TestFetchForSigning: a custodian's fetch checks the roster against the
// pins and accepts nothing; an expired one is given back to renew, marked
// stale; an unpinned team is refused without asking the server.
func TestFetchForSigning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	ctx := context.Background()
	api := e.desk(e.url, "omar", omar).API
	pins := e.pins()
	e.publishSigned("reprisals-team", 1, time.Now().Add(-48*time.Hour), time.Hour, omar)
	e.publishSigned("upr-secretariat", 1, time.Now(), 24*time.Hour, omar)
	for _, tc := range []struct {
		name, team string
		pins       string
		stale      bool
		want       error
	}{
		{name: "current", team: "upr-secretariat"},
		{name: "expired", team: "reprisals-team", stale: true},
		{name: "no pin", team: "upr-secretariat", pins: t.TempDir() + "/none.json", want: roster.ErrNotPinned},
		{name: "no roster", team: "nobody", want: roster.ErrNotPinned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pins
			if tc.pins != "" {
				p = tc.pins
			}
			sr, checked, stale, err := desk.FetchForSigning(ctx, api, p, tc.team)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil || stale != tc.stale || checked.Roster.Team != tc.team || sr.Roster == "" {
				t.Fatalf("%+v stale %t: %v", checked.Roster, stale, err)
			}
			after, _ := roster.LoadPins(p)
			if after.Teams[tc.team].Accepted != "" {
				t.Error("fetching accepted the roster")
			}
		})
	}
}
