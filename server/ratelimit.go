package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"sync"
	"time"
)

// attemptLimiter bounds receipt guesses per client without keeping client
// addresses: each address is reduced to an HMAC under a key that lives
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
