package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ohchr-reprisals/intake/config"
)

// Sender opens connections to the configured relay.
type Sender struct {
	cfg config.SMTP
	tls *tls.Config
}

// NewSender checks the relay settings that need files (the CA bundle).
func NewSender(cfg config.SMTP) (*Sender, error) {
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp.ca_file: %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return &Sender{cfg: cfg, tls: tc}, nil
}

// conn is an open, authenticated session with the relay.
type conn struct {
	c    *smtp.Client
	dc   *deadlineConn
	cfg  config.SMTP
	stop func() bool
}

// openBudget bounds opening a session: the TCP (and implicit TLS)
// connection, the greeting, EHLO, STARTTLS and AUTH, all together.
func openBudget(cfg config.SMTP) time.Duration {
	return cfg.ConnectTimeout.Duration + cfg.CommandTimeout.Duration
}

// sendBudget bounds one message: MAIL, RCPT and DATA, the message itself,
// the answer to its final dot and a RSET after a refusal, all together.
func sendBudget(cfg config.SMTP) time.Duration {
	return 4*cfg.CommandTimeout.Duration + cfg.SubmissionTimeout.Duration
}

// open connects, secures and authenticates a session, within openBudget
// (a relay that accepts the connection and never answers is given up on
// then). ctx bounds the whole session: when it ends, the connection is
// closed.
func (s *Sender) open(ctx context.Context) (*conn, error) {
	deadline := time.Now().Add(openBudget(s.cfg))
	d := net.Dialer{Timeout: s.cfg.ConnectTimeout.Duration, Deadline: deadline}
	var nc net.Conn
	var err error
	if s.cfg.TLS == "implicit" {
		nc, err = (&tls.Dialer{NetDialer: &d, Config: s.tls}).DialContext(ctx, "tcp", s.cfg.Addr())
	} else {
		nc, err = d.DialContext(ctx, "tcp", s.cfg.Addr())
	}
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	dc := &deadlineConn{Conn: nc}
	dc.limit(deadline)
	var c *smtp.Client
	if s.cfg.TLS == "starttls" {
		// Fails, before any mail command, when the relay does not offer
		// STARTTLS: nothing is ever sent in the clear by accident. The
		// greeting and EHLO it waits for are bounded by the session's
		// deadline (the client's own timeouts are set only after).
		if c, err = smtp.NewClientStartTLS(dc, s.tls); err != nil {
			stop()
			nc.Close()
			return nil, err
		}
	} else {
		c = smtp.NewClient(dc)
	}
	c.CommandTimeout = s.cfg.CommandTimeout.Duration
	c.SubmissionTimeout = s.cfg.SubmissionTimeout.Duration
	fail := func(err error) (*conn, error) {
		stop()
		c.Close()
		return nil, err
	}
	if s.cfg.TLS != "starttls" {
		// The greeting and EHLO, so that a session counts as open only
		// once the relay has answered, not on the TCP connection alone.
		if err := c.Hello("localhost"); err != nil {
			return fail(err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password.Reveal())); err != nil {
			return fail(err)
		}
	}
	return &conn{c: c, dc: dc, cfg: s.cfg, stop: stop}, nil
}

// send transmits one message, within sendBudget. After a refused message
// the session is reset so the next one can follow on the same connection.
func (c *conn) send(from string, m Message) error {
	c.dc.limit(time.Now().Add(sendBudget(c.cfg)))
	err := c.c.SendMail(from, []string{m.To}, strings.NewReader(string(m.Bytes)))
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			if rerr := c.c.Reset(); rerr != nil {
				return errors.Join(err, errConnBroken)
			}
			return err
		}
		return errors.Join(err, errConnBroken)
	}
	return nil
}

func (c *conn) close() {
	c.dc.limit(time.Now().Add(c.cfg.CommandTimeout.Duration))
	c.c.Quit()
	c.c.Close()
	c.stop()
}

// deadlineConn is a connection to the relay with a deadline for the whole
// of an exchange (opening a session, one message): the SMTP client sets
// and clears deadlines of its own around each command, and none of them
// may pass this one, so writing a message (which the client does without
// a deadline) or a relay that trickles its answers is bounded too.
type deadlineConn struct {
	net.Conn
	mu   sync.Mutex
	hard time.Time
}

// limit sets the exchange's deadline.
func (d *deadlineConn) limit(t time.Time) {
	d.mu.Lock()
	d.hard = t
	d.mu.Unlock()
	d.Conn.SetDeadline(t)
}

func (d *deadlineConn) clamp(t time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.hard.IsZero() && (t.IsZero() || t.After(d.hard)) {
		return d.hard
	}
	return t
}

func (d *deadlineConn) SetDeadline(t time.Time) error { return d.Conn.SetDeadline(d.clamp(t)) }

func (d *deadlineConn) SetReadDeadline(t time.Time) error {
	return d.Conn.SetReadDeadline(d.clamp(t))
}

func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	return d.Conn.SetWriteDeadline(d.clamp(t))
}

// errConnBroken marks an error after which the connection is unusable.
var errConnBroken = errors.New("connection to the relay lost")

// permanent reports whether err is a 5xx reply: retrying will not help.
func permanent(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code >= 500
}

var addressRE = regexp.MustCompile(`[^\s<>"':;,()\[\]]+@[^\s<>"':;,()\[\]]+`)

// reason describes a delivery failure for logs and for the alerts table:
// the SMTP code and text, or the network or TLS error, with any e-mail
// address replaced, so it never names a recipient.
func reason(err error) string {
	var se *smtp.SMTPError
	var s string
	if errors.As(err, &se) {
		s = fmt.Sprintf("SMTP %d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
	} else {
		s = strings.TrimSuffix(strings.ReplaceAll(err.Error(), "\n", "; "), "; "+errConnBroken.Error())
	}
	s = addressRE.ReplaceAllString(s, "<address>")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
