package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestRosterExpiryIsWatched: a team whose roster expires within the
// warning time and one whose roster has expired give a log warning at
// start-up each, and the metric says how long each has left.
func TestRosterExpiryIsWatched(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	publish := func(team string, signed, expires time.Time) {
		k, _ := roster.GenerateKey()
		id, _ := age.GenerateX25519Identity()
		s, err := roster.Sign(roster.Roster{Team: team, Version: 1, Signed: signed, Expires: expires,
			Entries: []roster.Entry{{Recipient: id.Recipient().String(), Label: "h"}}}, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PublishRoster(ctx, team, 1, s, store.Audit{Key: audit.Key(make([]byte, 32)), Actor: "operator:test", Action: "roster.publish", Detail: team}); err != nil {
			t.Fatal(err)
		}
	}
	publish("soon", now.Add(-100*24*time.Hour), now.Add(10*24*time.Hour))
	publish("gone", now.Add(-100*24*time.Hour), now.Add(-time.Hour))
	publish("fine", now, now.Add(150*24*time.Hour))
	var logs bytes.Buffer
	warnRosterExpiry(ctx, db.DB, slog.New(slog.NewTextHandler(&logs, nil)))
	out := logs.String()
	if !strings.Contains(out, "expires soon") || !strings.Contains(out, "team=soon") || !strings.Contains(out, "has expired") || !strings.Contains(out, "team=gone") || strings.Contains(out, "team=fine") {
		t.Errorf("start-up warnings:\n%s", out)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(rosterExpiry(db.DB))
	if n := testutil.CollectAndCount(reg, "reprisals_roster_expiry_seconds"); n != 3 {
		t.Errorf("%d expiry series, want 3", n)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			team, v := m.GetLabel()[0].GetValue(), m.GetGauge().GetValue()
			if mf.GetName() == "reprisals_roster_expiry_seconds" && ((team == "gone") != (v < 0)) {
				t.Errorf("team %s: %v seconds left", team, v)
			}
		}
	}
}
