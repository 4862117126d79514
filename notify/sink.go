package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Sink is a small SMTP server that keeps every message it accepts: the dev
// command's local mail sink (with Dir set, each message becomes an .eml
// file) and the relay in tests, where Fault injects failures.
type Sink struct {
	// Dir, if set, receives one .eml file per accepted message.
	Dir string
	// TLS, if set, is offered through STARTTLS, or from the first byte
	// when Implicit is set.
	TLS      *tls.Config
	Implicit bool
	// Username and Password, if set, are required through AUTH PLAIN.
	Username, Password string
	// Fault, if set, is called at each stage ("mail", "rcpt", "data"); an
	// error it returns is the reply to the client.
	Fault func(stage string) error

	mu      sync.Mutex
	msgs    []Received
	changed chan struct{} // closed when a message arrives
	srv     *smtp.Server
	addr    string
}

// Received is one accepted message.
type Received struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	At   time.Time
}

// maxSinkMessage bounds what the sink accepts.
const maxSinkMessage = 64 << 20

// Start listens on addr (such as "127.0.0.1:0") and serves in the
// background. It returns the address it listens on.
func (s *Sink) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	if s.Dir != "" {
		if err := os.MkdirAll(s.Dir, 0o700); err != nil {
			ln.Close()
			return "", err
		}
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &sinkSession{sink: s, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = maxSinkMessage
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = discardLogger{}
	if s.TLS != nil && !s.Implicit {
		srv.TLSConfig = s.TLS
	} else if s.TLS == nil {
		srv.AllowInsecureAuth = true
	}
	if s.Implicit && s.TLS != nil {
		ln = tls.NewListener(ln, s.TLS)
	}
	s.mu.Lock()
	s.srv, s.addr = srv, ln.Addr().String()
	s.mu.Unlock()
	go srv.Serve(ln)
	return ln.Addr().String(), nil
}

// Close stops the server and closes every connection.
func (s *Sink) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Messages returns the messages accepted so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait returns the messages accepted so far once there are at least n,
// or with ctx's error if it ends first.
func (s *Sink) Wait(ctx context.Context, n int) ([]Received, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Received(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return s.Messages(), ctx.Err()
		}
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (s *Sink) accept(m Received) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	if s.Dir == "" {
		return nil
	}
	id := "message"
	if i := bytes.Index(m.Data, []byte("Message-ID: <")); i >= 0 {
		rest := m.Data[i+len("Message-ID: <"):]
		if j := bytes.IndexByte(rest, '>'); j > 0 {
			id = unsafeName.ReplaceAllString(string(rest[:j]), "_")
		}
	}
	name := fmt.Sprintf("%s-%04d-%s.eml", m.At.UTC().Format("20060102T150405"), len(s.msgs), id)
	return os.WriteFile(filepath.Join(s.Dir, name), m.Data, 0o600)
}

type sinkSession struct {
	sink *Sink
	tls  bool
	conn *smtp.Conn
	auth bool
	from string
	to   []string
}

var _ smtp.AuthSession = (*sinkSession)(nil)

func (ss *sinkSession) fault(stage string) error {
	if ss.sink.Fault != nil {
		return ss.sink.Fault(stage)
	}
	return nil
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.sink.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.sink.Username || password != ss.sink.Password {
			return smtp.ErrAuthFailed
		}
		ss.auth = true
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.Username != "" && !ss.auth {
		return smtp.ErrAuthRequired
	}
	if err := ss.fault("mail"); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.fault("rcpt"); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, maxSinkMessage+1))
	if err != nil {
		return err
	}
	if len(data) > maxSinkMessage {
		return errors.New("message too large")
	}
	if err := ss.fault("data"); err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	return ss.sink.accept(Received{From: ss.from, To: ss.to, Data: data, TLS: isTLS || ss.tls, At: time.Now()})
}

func (ss *sinkSession) Reset() { ss.from, ss.to = "", nil }

func (ss *sinkSession) Logout() error { return nil }

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}
