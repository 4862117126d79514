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
	stop func() bool
}

// open connects, secures and authenticates a session. ctx bounds the whole
// session: when it ends, the connection is closed.
func (s *Sender) open(ctx context.Context) (*conn, error) {
	d := net.Dialer{Timeout: s.cfg.ConnectTimeout.Duration}
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
	var c *smtp.Client
	switch s.cfg.TLS {
	case "starttls":
		// Fails, before any mail command, when the relay does not offer
		// STARTTLS: nothing is ever sent in the clear by accident.
		c, err = smtp.NewClientStartTLS(nc, s.tls)
	default:
		c = smtp.NewClient(nc)
	}
	if err != nil {
		stop()
		nc.Close()
		return nil, err
	}
	c.CommandTimeout = s.cfg.CommandTimeout.Duration
	c.SubmissionTimeout = s.cfg.SubmissionTimeout.Duration
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password.Reveal())); err != nil {
			stop()
			c.Close()
			return nil, err
		}
	}
	return &conn{c: c, stop: stop}, nil
}

// send transmits one message. After a refused message the session is
// reset so the next one can follow on the same connection.
func (c *conn) send(from string, m Message) error {
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
	c.c.Quit()
	c.c.Close()
	c.stop()
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
