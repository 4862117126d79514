package server

import (
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/internal/proxyproto"
)

// circuitInFlight bounds the requests of one Tor circuit being served at
// once. A request from a circuit that has this many under way waits for
// one of them to end; it is never refused.
const circuitInFlight = 8

// circuits paces requests per Tor circuit, for connections that came
// through the onion listener (Tor's HiddenServiceExportCircuitID, see
// internal/proxyproto). A circuit id is a counter of the tor process that
// names no one; it is kept in memory only while that circuit has a request
// under way, and never logged or stored. One noisy circuit can hold at
// most circuitInFlight handlers at once, so it slows itself, not others;
// every other circuit, and every client of the ordinary listener, is
// unaffected. Tor Browser keeps one circuit per site, so a reporter's own
// page, styles and upload share the circuit's slots, which are far more
// than a person uses.
type circuits struct {
	mu   sync.Mutex
	live map[uint32]*circuit
}

type circuit struct {
	slots chan struct{}
	users int // requests holding or waiting for a slot
}

func (cs *circuits) enter(id uint32) *circuit {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.live == nil {
		cs.live = map[uint32]*circuit{}
	}
	c := cs.live[id]
	if c == nil {
		c = &circuit{slots: make(chan struct{}, circuitInFlight)}
		cs.live[id] = c
	}
	c.users++
	return c
}

func (cs *circuits) leave(id uint32, c *circuit) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c.users--; c.users == 0 {
		delete(cs.live, id)
	}
}

// paceCircuits is the middleware that applies circuits to every route but
// the static files and health checks.
func (s *Server) paceCircuits(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id, ok := proxyproto.Circuit(ctx)
		p := c.Request().URL.Path
		if !ok || strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/readyz" {
			return next(c)
		}
		cc := s.circuits.enter(id)
		defer s.circuits.leave(id, cc)
		select {
		case cc.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-cc.slots }()
		return next(c)
	}
}
