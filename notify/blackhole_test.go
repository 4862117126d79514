package notify_test

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/notify"
)

// blackHole accepts TCP connections on addr and never answers; it holds
// them until it is closed.
type blackHole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newBlackHole(t *testing.T, addr string) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.Close)
	return b
}

func (b *blackHole) Close() {
	b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
	b.conns = nil
}

// TestBlackHoleRelay: a relay that accepts TCP connections and never
// answers holds the worker no longer than the session's budget (connect
// and command timeouts, here 0.5 s each), whatever the alert lease, with
// STARTTLS or without; the alerts wait for a retry; and "the relay is
// back" is said only once a whole message has gone through, never on a
// TCP connection alone.
func TestBlackHoleRelay(t *testing.T) {
	for _, mode := range []string{"starttls", "none"} {
		t.Run(mode, func(t *testing.T) {
			r := newRelay(t, nil) // for its certificate
			// An address where nothing listens yet: the relay is away.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			_, port, _ := net.SplitHostPort(addr)
			s := newSetup(t, r, func(c *config.Config) {
				c.SMTP.Port, _ = strconv.Atoi(port)
				c.SMTP.TLS = mode
				if mode == "none" {
					c.SMTP.AllowInsecure, c.SMTP.Username, c.SMTP.Password = true, "", ""
				}
				c.SMTP.ConnectTimeout = config.Duration{Duration: 500 * time.Millisecond}
				c.SMTP.CommandTimeout = config.Duration{Duration: 500 * time.Millisecond}
				c.SMTP.SubmissionTimeout = config.Duration{Duration: 500 * time.Millisecond}
				c.Alerts.Lease = config.Duration{Duration: 5 * time.Minute}
			})
			w := s.worker(nil)
			s.submit(intaketest.Report("hrc_session"))
			// First the relay is down (refused), so the worker waits for
			// its return.
			if n := s.runOnce(w); n != 1 {
				t.Fatalf("claimed %d alerts, want 1", n)
			}
			clock := newClock(w)
			hole := newBlackHole(t, addr)
			for round := range 2 {
				clock.Advance(time.Minute)
				start := time.Now()
				done := make(chan int, 1)
				go func() { done <- s.runOnce(w) }()
				select {
				case n := <-done:
					if n != 1 {
						t.Fatalf("round %d: claimed %d alerts, want 1", round, n)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("round %d: the worker is still held by the black hole after 5 s (budget 1 s)", round)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("round %d: the worker was held %v by the black hole, budget 1 s", round, d.Round(time.Millisecond))
				}
				if strings.Contains(s.logText(), "relay is back") {
					t.Fatalf("round %d: \"relay is back\" said of a black hole:\n%s", round, s.logText())
				}
				if p := s.alerts("pending"); len(p) != 1 || p[0].LastError == "" {
					t.Errorf("round %d: pending alerts %+v, want the one waiting, with its error", round, p)
				}
			}
			hole.Close()

			// The relay really comes back: one message goes, then the
			// return is said.
			back := &notify.Sink{TLS: r.TLS, Username: relayUser, Password: relayPass}
			if mode == "none" {
				back = &notify.Sink{}
			}
			if _, err := back.Start(addr); err != nil {
				t.Fatal(err)
			}
			defer back.Close()
			clock.Advance(time.Minute)
			s.runOnce(w)
			if len(back.Messages()) != 1 || !strings.Contains(s.logText(), "the relay is back") {
				t.Errorf("after the return: %d messages; log:\n%s", len(back.Messages()), s.logText())
			}
		})
	}
}
