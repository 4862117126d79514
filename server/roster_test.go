package server_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestRosters checks that the server stores only rosters signed by the
// team's configured roster key, of the publisher's own team, with rising
// versions (raced), and that the latest one alone decides the recipients
// of new reports; a roster changed in the database stops intake instead
// of adding a key nobody signed.
func TestRosters(t *testing.T) {
	t.Parallel()
	key, _ := roster.GenerateKey()
	stranger, _ := roster.GenerateKey()
	e := newEnvConfig(t, storetest.NewDB(t), server.Options{}, func(c *config.Config) {
		c.Teams[1].RosterKeys = []string{key.Public().String()} // reprisals-team
	})
	ctx := context.Background()
	amalID := e.addHandler("amal", "reprisals-team")
	bobID := e.addHandler("bob", "reprisals-team") // registered, never in a roster
	inesID := e.addHandler("ines", "upr-secretariat")
	amal, ines := e.login("amal", amalID), e.login("ines", inesID)

	entries := []roster.Entry{{Recipient: e.teams.Reprisals.Recipient().String(), Label: "team-key"}, {Recipient: amalID.Recipient().String(), Label: "amal"}}
	sign := func(k roster.PrivateKey, team string, v int64, entries []roster.Entry) roster.Signed {
		s, err := roster.Sign(roster.Roster{Team: team, Version: v, Entries: entries}, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	v1 := sign(key, "reprisals-team", 1, entries)
	for name, tc := range map[string]struct {
		token string
		body  roster.Signed
	}{
		"signed by a stranger":     {amal, sign(stranger, "reprisals-team", 1, entries)},
		"another team's":           {ines, v1},
		"team without roster keys": {ines, sign(key, "upr-secretariat", 1, entries)},
	} {
		if code := e.api(tc.token, "POST", "/rosters", tc.body, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, code)
		}
	}
	if code := e.api(amal, "GET", "/rosters/reprisals-team", nil, nil); code != http.StatusNotFound {
		t.Errorf("no roster yet: %d, want 404", code)
	}
	// Before a roster: registered handlers get new reports (today's way).
	svc := intake.NewService(e.db.DB, e.teams.Config, nil)
	before, err := svc.Submit(ctx, intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	if code := e.api(amal, "POST", "/rosters", v1, nil); code != http.StatusNoContent {
		t.Fatalf("publish v1: %d", code)
	}
	if code := e.api(amal, "POST", "/rosters", v1, nil); code != http.StatusUnprocessableEntity {
		t.Errorf("v1 again: %d, want 422", code)
	}
	var got roster.Signed
	if code := e.api(ines, "GET", "/rosters/reprisals-team", nil, &got); code != 200 || got.Roster != v1.Roster {
		t.Errorf("GET roster: %d %q", code, got.Roster)
	}
	after, err := svc.Submit(ctx, intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	open := func(ref string, id age.Identity) error {
		c, err := e.db.ReportByReference(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		_, err = crypto.Open(c.Ciphertext, id)
		return err
	}
	if open(before.Reference, bobID) != nil || open(after.Reference, amalID) != nil || open(after.Reference, e.teams.Reprisals) != nil {
		t.Error("the roster's recipients (or, before it, registered handlers) cannot read new reports")
	}
	if open(after.Reference, bobID) == nil {
		t.Error("a handler outside the roster can read a report made after it was published")
	}

	// Six clients publish version 2 at once: exactly one wins.
	v2 := sign(key, "reprisals-team", 2, entries[:1])
	var wg sync.WaitGroup
	codes := make(chan int, 6)
	for range 6 {
		wg.Go(func() { codes <- e.api(amal, "POST", "/rosters", v2, nil) })
	}
	wg.Wait()
	close(codes)
	won := 0
	for c := range codes {
		if c == http.StatusNoContent {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent publications of version 2 succeeded, want 1", won)
	}

	// The operator adds a key to the stored roster: intake stops rather
	// than encrypt to it.
	rogue, _ := age.GenerateX25519Identity()
	e.db.Pool().Exec(ctx, `UPDATE rosters SET body = body || $1 WHERE team = 'reprisals-team'`, "recipient: "+rogue.Recipient().String()+" operator\n")
	if _, err := svc.Submit(ctx, intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic}); err == nil {
		t.Error("a report was accepted while the stored roster does not verify")
	}
}
