package notify

import (
	"sync"
	"time"
)

// floodGate paces the e-mails to each team, so that a flood of reports or
// follow-ups (real, or an attack through the public form: nothing limits
// reports per client, since over Tor every reporter shares one address)
// cannot bury a team's mailbox.
//
// Each team gets budget e-mails per window (windows are aligned to
// multiples of the window since the Unix epoch). Past the budget, the
// team's non-urgent alerts wait for the window's end, and urgent ones go
// out at most once a minute. A team that went over its budget in the
// current or the previous window is flooded: its alerts in one claim then
// travel together, as one "N new reports" e-mail (and one for the urgent
// ones). Counts are kept in memory only and forgotten at a restart; each
// server instance has its own gate.
type floodGate struct {
	budget int
	window time.Duration

	mu    sync.Mutex
	teams map[string]*teamPace
}

// teamPace is one team's e-mails in the current window.
type teamPace struct {
	window     time.Time // start of the current window
	sent       int       // e-mails sent in it
	overflowed time.Time // start of the last window that went over budget
	nextUrgent time.Time // when an urgent e-mail may next go past the budget
}

func newFloodGate(budget int, window time.Duration) *floodGate {
	return &floodGate{budget: budget, window: window, teams: map[string]*teamPace{}}
}

// pace returns team's pace, moved on to the window of now.
func (g *floodGate) pace(team string, now time.Time) *teamPace {
	p := g.teams[team]
	if p == nil {
		p = &teamPace{}
		g.teams[team] = p
	}
	if start := now.Truncate(g.window); !start.Equal(p.window) {
		p.window, p.sent = start, 0
	}
	return p
}

// flooded reports whether team went over its budget in the window of now
// or in the one before.
func (g *floodGate) flooded(team string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pace(team, now)
	return !p.overflowed.IsZero() && !p.overflowed.Before(p.window.Add(-g.window))
}

// take asks to send one e-mail to team at now. It returns the zero time
// if the e-mail may go, or else when to try again.
func (g *floodGate) take(team string, urgent bool, now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pace(team, now)
	if p.sent < g.budget {
		p.sent++
		return time.Time{}
	}
	p.overflowed = p.window
	if !urgent {
		return p.window.Add(g.window)
	}
	if !now.Before(p.nextUrgent) {
		p.nextUrgent = now.Truncate(time.Minute).Add(time.Minute)
		return time.Time{}
	}
	return p.nextUrgent
}

// refund gives back an e-mail that take allowed but that was not sent.
func (g *floodGate) refund(team string, urgent bool, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pace(team, now)
	switch {
	case urgent && p.sent >= g.budget && !p.nextUrgent.IsZero():
		p.nextUrgent = time.Time{}
	case p.sent > 0:
		p.sent--
	}
}
