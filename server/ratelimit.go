package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// attemptLimiter bounds attempts per client (sign-ins, login challenges)
// without keeping client addresses: each address is reduced to an HMAC under a key that lives
// only in this process's memory (a new one at every start), and entries
// are forgotten when their window ends. Nothing is logged or stored.
type attemptLimiter struct {
	mu     sync.Mutex
	key    []byte
	max    int
	window time.Duration
	seen   map[[16]byte]*attempts
	now    func() time.Time
}

type attempts struct {
	n     int
	since time.Time
}

func newAttemptLimiter(max int, window time.Duration) *attemptLimiter {
	key := make([]byte, 32)
	rand.Read(key)
	return &attemptLimiter{key: key, max: max, window: window, seen: map[[16]byte]*attempts{}, now: time.Now}
}

// allow records an attempt from remoteAddr and reports whether it is within
// the limit, and if not, how long until the next attempt is allowed.
func (l *attemptLimiter) allow(remoteAddr string) (bool, time.Duration) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(host))
	var id [16]byte
	copy(id[:], m.Sum(nil))

	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 100_000 {
		for k, a := range l.seen {
			if now.Sub(a.since) > l.window {
				delete(l.seen, k)
			}
		}
	}
	a := l.seen[id]
	if a == nil || now.Sub(a.since) > l.window {
		a = &attempts{since: now}
		l.seen[id] = a
	}
	a.n++
	if a.n > l.max {
		return false, a.since.Add(l.window).Sub(now)
	}
	return true, 0
}

// Per-client and global limits on sign-ins and login challenges. Behind
// Tor every client shares one address, so the per-client limits are
// generous: they stop one fast client, not a person; the per-account lock
// (intermediary.MaxFailures) and the global challenge limit do the rest.
const (
	limitWindow = 15 * time.Minute
	// signInsPerClient bounds POST /org/login per client per limitWindow.
	signInsPerClient = 30
	// challengesPerClient bounds login challenges per client per
	// limitWindow: a handler needs one per login.
	challengesPerClient = 30
	// challengesGlobal bounds login challenges from all clients together
	// per limitWindow (on each server instance). With a 2-minute challenge
	// lifetime and pruning, at most this many live challenges exist.
	challengesGlobal = 600
	// receiptLookups bounds receipt lookups running at once, so a flood
	// of wrong receipts cannot take every database connection.
	receiptLookups = 4
)

// globalKey is the one "client" of a global limiter.
const globalKey = "global"

// tooManyError is a request refused by a rate limit; Wait is how long
// until the next is allowed.
type tooManyError struct{ Wait time.Duration }

func (e *tooManyError) Error() string { return "rate limited" }

// minutes rounds a wait up to whole minutes, at least 1.
func minutes(d time.Duration) int { return max(1, int((d+time.Minute-1)/time.Minute)) }

// setRetryAfter tells the client when to try again, in whole seconds.
func setRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
}
