package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// rosterExpiry exports, per team, how long its latest signed roster
// remains valid (reprisals_roster_expiry_seconds; negative once it has
// expired, when every client refuses it) and whether it is undated
// (reprisals_roster_undated, from before rosters had an expiry). The
// operator alerts on it so the custodians renew in time: no report
// content, only the team's name.
func rosterExpiry(db *store.DB) prometheus.Collector {
	return &rosterCollector{db: db,
		expiry: prometheus.NewDesc("reprisals_roster_expiry_seconds",
			"Seconds until the team's latest signed roster expires (negative: expired; clients refuse it). Custodians renew with casectl roster renew.", []string{"team"}, nil),
		undated: prometheus.NewDesc("reprisals_roster_undated",
			"1 when the team's latest signed roster carries no expiry (signed before rosters had one): new handlers cannot accept it until it is renewed.", []string{"team"}, nil)}
}

type rosterCollector struct {
	db              *store.DB
	expiry, undated *prometheus.Desc
}

func (c *rosterCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.expiry; ch <- c.undated }

func (c *rosterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for team, r := range latestRosters(ctx, c.db) {
		undated := 0.0
		if r.Dated() {
			ch <- prometheus.MustNewConstMetric(c.expiry, prometheus.GaugeValue, time.Until(r.Expires).Seconds(), team)
		} else {
			undated = 1
		}
		ch <- prometheus.MustNewConstMetric(c.undated, prometheus.GaugeValue, undated, team)
	}
}

// latestRosters parses the latest stored roster of every team (the
// signatures were verified when it was published); unreadable ones are
// left out.
func latestRosters(ctx context.Context, db *store.DB) map[string]roster.Roster {
	signed, err := db.LatestRosters(ctx)
	if err != nil {
		return nil
	}
	out := map[string]roster.Roster{}
	for team, s := range signed {
		if r, err := roster.Parse([]byte(s.Roster)); err == nil {
			out[team] = r
		}
	}
	return out
}

// warnRosterExpiry logs a warning for every team whose latest roster has
// expired, expires within roster.RenewWarning, or carries no expiry.
func warnRosterExpiry(ctx context.Context, db *store.DB, logger *slog.Logger) {
	now := time.Now()
	for team, r := range latestRosters(ctx, db) {
		switch {
		case !r.Dated():
			logger.Warn("the team's roster carries no expiry: new handlers cannot accept it; ask its custodians to run casectl roster renew", "team", team, "version", r.Version)
		case r.Expired(now):
			logger.Warn("the team's roster has expired: clients refuse it and encrypt nothing to the team; ask its custodians to run casectl roster renew", "team", team, "version", r.Version, "expired", r.Expires)
		case r.Expires.Sub(now) < roster.RenewWarning:
			logger.Warn("the team's roster expires soon; ask its custodians to run casectl roster renew", "team", team, "version", r.Version, "expires", r.Expires)
		}
	}
}
