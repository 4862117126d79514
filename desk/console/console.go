// Package console is casectl's local web app for case handlers: an inbox
// of the team's cases decrypted on the handler's own computer, the case
// page, workflow actions, notes and replies, and the annual report.
//
// The rules it keeps:
//
//   - It listens on 127.0.0.1 only, on a port the system picks (or Config.Port).
//   - The first request must carry the one-time secret printed by casectl
//     (or, with -open, written to a file only the handler can read, which
//     the browser opens: never in a command line or environment);
//     it is exchanged for a random session cookie (HttpOnly,
//     SameSite=Strict, Path=/) and is then void. Every other request must
//     carry that cookie, a Host header naming this very port (no DNS
//     rebinding), and no sign of coming from another origin (Origin,
//     Sec-Fetch-Site); forms also carry a per-session token.
//   - Pages have a strict Content-Security-Policy (no script at all, no
//     external resource) and Cache-Control: no-store. "Quit and wipe"
//     answers with Clear-Site-Data (cache, cookies, storage) and ends the
//     session, so Back shows nothing decrypted once the console is gone.
//   - Plaintext exists only in this process's memory. Nothing decrypted is
//     written to a file, a temporary file or a log: attachments are
//     streamed from the server through age to the browser as downloads.
//   - An idle timeout or Close wipes what it owns (decrypted buffers are
//     zeroed, references dropped) and closes the port.
package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// DefaultIdleTimeout ends a console nobody has used for this long.
const DefaultIdleTimeout = 30 * time.Minute

// Config configures a console.
type Config struct {
	// Source gives the console the team's cases, decrypted.
	Source *Source
	// Port is the port on 127.0.0.1 to listen on; 0 lets the system pick
	// a free one.
	Port int
	// Templates are the reply templates.
	Templates *Templates
	// IdleTimeout ends the console after this long without a request
	// (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// Lang is the starting language, "en", "fr" or "es" (default "en").
	Lang string
}

// Console is a running console.
type Console struct {
	cfg    Config
	ln     net.Listener
	srv    *http.Server
	port   string
	pages  *pages
	secret string // the one-time secret; "" once used

	mu      sync.Mutex
	session string // the session cookie's value, once the secret is used
	openDir string // WriteOpenFile's directory, until the secret is used
	csrf    string // the forms' token
	lang    string
	idle    *time.Timer

	rekeying sync.Mutex // one rekey at a time
	bulks    bulkStore  // bulk changes, reviewed and made (bulk.go)

	done      chan struct{}
	closeOnce sync.Once
}

// Start listens on a free port of 127.0.0.1 and serves the console in the
// background. The caller prints or opens URL() and waits on Done().
func Start(cfg Config) (*Console, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if !knownLanguage(cfg.Lang) {
		cfg.Lang = "en"
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("console: port %d is not between 0 and 65535", cfg.Port)
	}
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, err
	}
	c := &Console{
		cfg: cfg, ln: ln, port: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), pages: p,
		secret: randomToken(), csrf: randomToken(), lang: cfg.Lang, done: make(chan struct{}),
	}
	c.srv = &http.Server{
		Handler:           c.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	// Armed only once c.idle is set: the timer's Close reads it.
	c.idle = time.AfterFunc(time.Hour, func() { c.Close() })
	c.idle.Reset(cfg.IdleTimeout)
	go func() {
		if err := c.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.Close()
		}
	}()
	return c, nil
}

// URL is the address to open, carrying the one-time secret.
func (c *Console) URL() string {
	return "http://127.0.0.1:" + c.port + "/open?secret=" + c.secret
}

// Addr is the listening address (127.0.0.1:PORT).
func (c *Console) Addr() string { return c.ln.Addr().String() }

// Done is closed when the console has stopped: after Close, the idle
// timeout or the handler's "Quit".
func (c *Console) Done() <-chan struct{} { return c.done }

// Close stops serving, closes the port and wipes the decrypted cases. It
// is safe to call more than once.
func (c *Console) Close() error {
	c.closeOnce.Do(func() {
		c.idle.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c.srv.Shutdown(ctx) != nil {
			c.srv.Close()
		}
		c.mu.Lock()
		c.session, c.secret, c.csrf = "", "", ""
		c.removeOpenFile()
		c.mu.Unlock()
		if c.cfg.Source != nil {
			c.cfg.Source.Wipe()
		}
		runtime.GC()
		close(c.done)
	})
	return nil
}

// touch restarts the idle timer.
func (c *Console) touch() { c.idle.Reset(c.cfg.IdleTimeout) }

// randomToken returns 256 random bits, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
