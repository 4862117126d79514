package notify

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/store"
)

// batchSize bounds how many alerts one claim takes.
const batchSize = 50

// Metrics counts deliveries and failures. Labels are team names and
// failure kinds only: never references or addresses.
type Metrics struct {
	sent     *prometheus.CounterVec
	failures *prometheus.CounterVec
	held     *prometheus.CounterVec
}

// NewMetrics registers the alert counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reprisals_alerts_sent_total", Help: "Alert e-mails accepted by the relay.",
		}, []string{"team"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reprisals_alert_failures_total", Help: "Failed alert deliveries, by kind (temporary: retried; permanent: needs an operator).",
		}, []string{"team", "kind"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reprisals_alerts_held_total", Help: "Alerts held back to be coalesced because their team was over its flood budget.",
		}, []string{"team"}),
	}
	reg.MustRegister(m.sent, m.failures, m.held)
	return m
}

// Held returns the counter of alerts held back for team during a flood.
func (m *Metrics) Held(team string) prometheus.Counter { return m.held.WithLabelValues(team) }

// Sent returns the counter of alerts delivered for team.
func (m *Metrics) Sent(team string) prometheus.Counter { return m.sent.WithLabelValues(team) }

// Failures returns the counter of failures of kind ("temporary" or
// "permanent") for team.
func (m *Metrics) Failures(team, kind string) prometheus.Counter {
	return m.failures.WithLabelValues(team, kind)
}

// Worker delivers alerts. Run one per server process; several processes
// share the work safely.
type Worker struct {
	db      *store.DB
	sender  *Sender
	cfg     config.Config
	teams   map[string]config.Team
	attach  []string
	compose composer
	log     *slog.Logger
	metrics *Metrics
	wake    chan struct{}
	gate    *floodGate
	now     func() time.Time
	// relayDown is set when the relay could not be reached, until it can.
	relayDown bool
	listening chan struct{}
	listened  sync.Once
}

// NewWorker returns a worker for cfg (validated, with an SMTP host).
func NewWorker(db *store.DB, cfg config.Config, log *slog.Logger, metrics *Metrics) (*Worker, error) {
	sender, err := NewSender(cfg.SMTP)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		db: db, sender: sender, cfg: cfg, log: log, metrics: metrics,
		teams:     map[string]config.Team{},
		compose:   newComposer(cfg.SMTP.From, cfg.PublicURL, time.Now),
		wake:      make(chan struct{}, 1),
		gate:      newFloodGate(cfg.Alerts.FloodBudget, cfg.Alerts.FloodWindow.Duration),
		now:       time.Now,
		listening: make(chan struct{}),
	}
	for _, t := range cfg.Teams {
		w.teams[t.Name] = t
		if t.AttachCiphertext {
			w.attach = append(w.attach, t.Name)
		}
	}
	return w, nil
}

// SetClock replaces the clock the worker schedules by (due times, retries,
// flood windows), for tests and simulations. Call it before Run.
func (w *Worker) SetClock(now func() time.Time) { w.now = now }

// Wake makes the worker look for due alerts now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Listening is closed once the worker listens for new reports' commits.
func (w *Worker) Listening() <-chan struct{} { return w.listening }

// Run delivers alerts until ctx is done. A batch being sent when ctx ends
// is finished (within the submission timeout); alerts not yet tried are
// released for the next worker.
func (w *Worker) Run(ctx context.Context) {
	go w.listen(ctx)
	poll := time.NewTicker(w.cfg.Alerts.Poll.Duration)
	defer poll.Stop()
	for {
		for ctx.Err() == nil {
			n, err := w.RunOnce(ctx)
			if err != nil {
				w.log.Warn("alert worker: cannot claim alerts", "err", err)
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-poll.C:
		}
	}
}

// listen turns report commits into wake-ups, reconnecting after errors.
func (w *Worker) listen(ctx context.Context) {
	ready := func() { w.listened.Do(func() { close(w.listening) }) }
	for ctx.Err() == nil {
		err := w.db.ListenAlerts(ctx, ready, w.Wake)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("alert worker: listening for new reports failed; polling meanwhile", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(w.cfg.Alerts.Poll.Duration):
			}
		}
	}
}

// group is the alerts that travel in one e-mail.
type group struct {
	team   string
	urgent bool
	alerts []store.ClaimedAlert
	// flood marks alerts coalesced because the team is flooded: their
	// e-mail names the cases but attaches no ciphertext, so that it stays
	// small whatever the flood.
	flood bool
}

// RunOnce claims one batch of due alerts and tries to deliver it. It
// returns how many alerts it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	now := w.now()
	claim, err := w.db.ClaimAlerts(ctx, now, batchSize, w.cfg.Alerts.Lease.Duration, w.attach)
	if err != nil || len(claim.Alerts) == 0 {
		return 0, err
	}
	groups := w.groups(claim.Alerts, now)

	// The batch may outlive ctx a little, to finish what it started, but
	// never its lease.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.Alerts.Lease.Duration*9/10)
	defer cancel()
	var c *conn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for i, g := range groups {
		if ctx.Err() != nil {
			w.release(sendCtx, claim.Token, groups[i:], nil)
			break
		}
		team, known := w.teams[g.team]
		if !known {
			w.unconfigured(sendCtx, claim.Token, g)
			continue
		}
		if later := w.gate.take(g.team, g.urgent, now); !later.IsZero() {
			// Over the team's budget: held back, to go out together. Counted,
			// not logged: a log line's time would date the reports.
			w.metrics.held.WithLabelValues(g.team).Add(float64(len(g.alerts)))
			w.release(sendCtx, claim.Token, []group{g}, &later)
			continue
		}
		if c == nil {
			if c, err = w.sender.open(sendCtx); err != nil {
				c = nil
				w.relayDown = true
				// The relay is unreachable or refused us: every group waits.
				w.gate.refund(g.team, g.urgent, now)
				for _, g := range groups[i:] {
					w.failed(sendCtx, claim.Token, g, err)
				}
				break
			}
		}
		if g.flood && len(g.alerts) > 1 {
			for i := range g.alerts {
				g.alerts[i].Ciphertext = nil
			}
		}
		var m Message
		if len(g.alerts) == 1 && (g.urgent || team.Digest.Duration <= 0) {
			m = w.compose.single(g.alerts[0], team.Address)
		} else {
			m = w.compose.digest(g.alerts, team.Address)
		}
		err := c.send(w.cfg.SMTP.EnvelopeFrom, m)
		if err == nil {
			w.delivered(sendCtx, claim.Token, g)
			if w.relayDown {
				// A whole message went through (a TCP connection, or a
				// greeting, is not enough): the relay is back.
				w.relayIsBack(sendCtx, claim.Token, groups[i+1:])
				break
			}
			continue
		}
		w.gate.refund(g.team, g.urgent, now)
		w.failed(sendCtx, claim.Token, g, err)
		if errors.Is(err, errConnBroken) {
			// Lost mid-message (or the relay stopped answering): it is
			// back only once a whole message goes through again.
			c.close()
			c = nil
			w.relayDown = true
		}
	}
	return len(claim.Alerts), nil
}

// relayIsBack is called when the relay has taken a whole message again
// after an outage: the rest of this claim is handed back, and every alert
// that was waiting for a retry becomes due at once, so the next claims
// take them all, urgent first, instead of each waiting for its own retry
// time.
func (w *Worker) relayIsBack(ctx context.Context, token string, rest []group) {
	w.relayDown = false
	if len(rest) > 0 {
		w.release(ctx, token, rest, nil)
	}
	n, err := w.db.AlertsRelayBack(ctx)
	if err != nil {
		w.log.Warn("the relay is back, but waiting alerts could not be made due; they go at their retry time", "err", err)
		return
	}
	w.log.Info("the relay is back; alerts waiting for it are due now", "alerts", n)
}

// groups splits a claim into e-mails: one per alert, except that
// non-urgent alerts for a digest team share one e-mail per team, and that
// for a flooded team (see floodGate) all its alerts share one e-mail, and
// all its urgent alerts another.
func (w *Worker) groups(alerts []store.ClaimedAlert, now time.Time) []group {
	var out []group
	type key struct {
		team   string
		urgent bool
	}
	shared := map[key]int{} // index in out of a shared e-mail
	for _, a := range alerts {
		team, known := w.teams[a.Team]
		flooded := known && w.gate.flooded(a.Team, now)
		together := flooded || (known && !a.Urgent && team.Digest.Duration > 0)
		k := key{a.Team, a.Urgent}
		if i, ok := shared[k]; ok && together {
			out[i].alerts = append(out[i].alerts, a)
			continue
		}
		if together {
			shared[k] = len(out)
		}
		out = append(out, group{team: a.Team, urgent: a.Urgent, alerts: []store.ClaimedAlert{a}, flood: flooded})
	}
	return out
}

func ids(g group) []int64 {
	out := make([]int64, len(g.alerts))
	for i, a := range g.alerts {
		out[i] = a.ID
	}
	return out
}

func (w *Worker) delivered(ctx context.Context, token string, g group) {
	w.metrics.sent.WithLabelValues(g.team).Add(float64(len(g.alerts)))
	if err := w.db.AlertsDelivered(ctx, token, ids(g)); err != nil {
		// The relay has the e-mail; the row stays and is sent again after
		// its lease, with the same Message-ID.
		w.log.Error("alert delivered but not recorded; it will be sent again", "team", g.team, "err", err)
	}
}

// unconfigured marks failed the alerts of a team that is no longer in the
// configuration: there is no address to send them to. They stay listed
// for the operator ('reprisals alerts list').
func (w *Worker) unconfigured(ctx context.Context, token string, g group) {
	const why = "the team is no longer configured"
	w.metrics.failures.WithLabelValues(g.team, "permanent").Inc()
	w.log.Error("alert for a team that is not configured; marked failed (see 'reprisals alerts list')", "team", g.team, "alerts", len(g.alerts))
	if err := w.db.AlertsFailed(ctx, token, ids(g), why); err != nil {
		w.log.Error("cannot record a failed alert; it will be tried again", "team", g.team, "err", err)
	}
}

func (w *Worker) failed(ctx context.Context, token string, g group, sendErr error) {
	why := reason(sendErr)
	if permanent(sendErr) {
		w.metrics.failures.WithLabelValues(g.team, "permanent").Inc()
		w.log.Error("alert refused by the relay; marked failed (see 'reprisals alerts list')", "team", g.team, "alerts", len(g.alerts), "reason", why)
		if err := w.db.AlertsFailed(ctx, token, ids(g), why); err != nil {
			w.log.Error("cannot record a failed alert; it will be tried again", "team", g.team, "err", err)
		}
		return
	}
	w.metrics.failures.WithLabelValues(g.team, "temporary").Inc()
	due := w.now().Add(w.backoff(g.alerts[0].Attempts))
	w.log.Warn("alert not delivered; will retry", "team", g.team, "alerts", len(g.alerts), "attempt", g.alerts[0].Attempts, "reason", why)
	if err := w.db.AlertsRetry(ctx, token, ids(g), due, why); err != nil {
		w.log.Error("cannot reschedule an alert; it will be tried again after its lease", "team", g.team, "err", err)
	}
}

// release hands untried alerts back, due at due (nil: at once), without
// counting an attempt.
func (w *Worker) release(ctx context.Context, token string, groups []group, due *time.Time) {
	for _, g := range groups {
		if err := w.db.AlertsRelease(ctx, token, ids(g), due); err != nil {
			w.log.Warn("cannot release alerts; they will be sent after their lease", "team", g.team, "err", err)
		}
	}
}

// backoff is the delay before attempt n+1: RetryBase doubled per attempt,
// capped at RetryMax (at most a minute), times a random factor in
// [0.8, 1], so that it never exceeds RetryMax: however long the relay is
// away, every alert is tried again within RetryMax of its return.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.cfg.Alerts.RetryBase.Duration
	for i := 1; i < attempt && d < w.cfg.Alerts.RetryMax.Duration; i++ {
		d *= 2
	}
	d = min(d, w.cfg.Alerts.RetryMax.Duration)
	return time.Duration(float64(d) * (0.8 + 0.2*rand.Float64()))
}
