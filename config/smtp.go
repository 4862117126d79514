// The SMTP relay and the alert schedule.

package config

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// SMTP is the relay that alerts go through.
type SMTP struct {
	// Host and Port of the relay. Port 0 means 587 for STARTTLS, 465 for
	// implicit TLS and 25 for plain SMTP.
	Host string `toml:"host" env:"REPRISALS_SMTP_HOST"`
	Port int    `toml:"port" env:"REPRISALS_SMTP_PORT"`
	// TLS is "starttls" (the default: the relay must offer STARTTLS, or
	// nothing is sent), "implicit" (TLS from the first byte), or "none",
	// which is allowed only with AllowInsecure and a loopback relay.
	TLS           string `toml:"tls" env:"REPRISALS_SMTP_TLS"`
	AllowInsecure bool   `toml:"allow_insecure"`
	// CAFile is a PEM file of CA certificates to trust for the relay
	// instead of the system's.
	CAFile string `toml:"ca_file" env:"REPRISALS_SMTP_CA_FILE"`
	// Username for AUTH PLAIN; the password comes from PasswordFile or
	// REPRISALS_SMTP_PASSWORD(_FILE), never from this file.
	Username     string `toml:"username" env:"REPRISALS_SMTP_USERNAME"`
	PasswordFile string `toml:"password_file" env:"REPRISALS_SMTP_PASSWORD_FILE"`
	Password     Secret `toml:"-" env:"REPRISALS_SMTP_PASSWORD"`
	// From is the header sender, EnvelopeFrom the SMTP MAIL FROM (bounces).
	From         string `toml:"from" env:"REPRISALS_SMTP_FROM"`
	EnvelopeFrom string `toml:"envelope_from" env:"REPRISALS_SMTP_ENVELOPE_FROM"`
	// Timeouts for connecting, for each command, and for sending a message.
	ConnectTimeout    Duration `toml:"connect_timeout"`
	CommandTimeout    Duration `toml:"command_timeout"`
	SubmissionTimeout Duration `toml:"submission_timeout"`
}

// Addr returns host:port with the default port for the TLS mode.
func (s SMTP) Addr() string {
	port := s.Port
	if port == 0 {
		port = map[string]int{"starttls": 587, "implicit": 465, "none": 25}[s.TLS]
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

// Alerts tunes the delivery of alert e-mails.
type Alerts struct {
	// RetryBase is the first retry delay; each retry doubles it, up to
	// RetryMax (at most MaxRetryMax, so alerts go out within a minute of
	// the relay coming back, however long it was away), with jitter.
	RetryBase Duration `toml:"retry_base"`
	RetryMax  Duration `toml:"retry_max"`
	// FloodBudget is how many e-mails a team gets per FloodWindow before
	// its alerts are coalesced: the rest of the window's non-urgent alerts
	// go out together when it ends, urgent ones at most once a minute.
	FloodBudget int      `toml:"flood_budget"`
	FloodWindow Duration `toml:"flood_window"`
	// Lease is how long a server instance owns an alert it is sending; if
	// it dies, another instance sends the alert after the lease expires.
	Lease Duration `toml:"lease"`
	// Poll is how often the worker looks for due alerts when it has not
	// been woken by a new report.
	Poll Duration `toml:"poll"`
}

// AlertDue returns when a new alert for the team is due: nil (at once) for
// an urgent report or a team that gets one e-mail per report, else the
// next digest boundary (a multiple of the digest interval since the Unix
// epoch). The boundary is coarse by design: it is stored, and must not
// reveal the submission time more closely than the day stored anyway.
func (t Team) AlertDue(urgent bool, now time.Time) *time.Time {
	if urgent || t.Digest.Duration <= 0 {
		return nil
	}
	d := now.Truncate(t.Digest.Duration).Add(t.Digest.Duration)
	return &d
}

// MaxRetryMax bounds alerts.retry_max: the longest an alert waits between
// two attempts, so the longest it waits after the relay comes back.
const MaxRetryMax = time.Minute

// validateSMTP checks the relay settings. An empty host is allowed here
// (the serve command requires one): tests and tools run without a relay.
func (c *Config) validateSMTP() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("smtp.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	s := &c.SMTP
	if s.PasswordFile != "" {
		v, err := readSecretFile(s.PasswordFile)
		if err != nil {
			bad("password_file", "%v", err)
		}
		s.Password = Secret(v)
	}
	switch s.TLS {
	case "starttls", "implicit":
	case "none":
		if s.Host != "" && !s.AllowInsecure {
			bad("tls", `"none" sends alerts unencrypted: it needs allow_insecure = true, and a relay on this machine`)
		} else if s.Host != "" && !isLoopback(s.Host) {
			bad("tls", `"none" is allowed only for a relay on this machine (127.0.0.1, ::1 or localhost), not %q`, s.Host)
		}
	default:
		bad("tls", `must be "starttls", "implicit" or "none"`)
	}
	if s.Port < 0 || s.Port > 65535 {
		bad("port", "must be between 1 and 65535")
	}
	if s.Password != "" && s.Username == "" {
		bad("username", "a password is set but no username")
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Address == "" {
		bad("from", "%q is not an e-mail address", s.From)
	}
	if a, err := mail.ParseAddress(s.EnvelopeFrom); err != nil || a.Address != s.EnvelopeFrom {
		bad("envelope_from", "%q is not a plain e-mail address", s.EnvelopeFrom)
	}
	if s.CAFile != "" {
		if _, err := readBounded(s.CAFile); err != nil {
			bad("ca_file", "%v", err)
		}
	}
	for _, d := range []struct {
		key string
		d   Duration
	}{{"connect_timeout", s.ConnectTimeout}, {"command_timeout", s.CommandTimeout}, {"submission_timeout", s.SubmissionTimeout}} {
		if d.d.Duration <= 0 {
			bad(d.key, "must be a positive duration")
		}
	}
	return errs
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackHost reports whether host, from a host:port listen address,
// is "localhost" or a loopback IP literal. An empty host (every
// interface) or any other name is not.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
