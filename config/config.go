// Package config loads the service's one typed configuration: defaults, then
// an optional TOML file, then environment overrides, then secrets from
// *_FILE paths, validated once at start-up. The result is passed to
// constructors; there is no global configuration.
//
// Secrets (the database URL, which may hold a password, and the receipt key)
// are of type Secret, which prints as "[redacted]" in every dump and log.
package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/crypto"
)

// Config is the whole service configuration.
type Config struct {
	// Listen is the HTTP listen address, host:port.
	Listen string `toml:"listen" env:"REPRISALS_LISTEN"`
	// OnionListen, if set, is a second plain-HTTP listen address, host:port,
	// for Tor's onion service configured with
	// "HiddenServiceExportCircuitID haproxy": every connection on it must
	// start with a PROXY protocol v1 header (others are closed), whose Tor
	// circuit id lets one noisy circuit be slowed without slowing anyone
	// else. Never expose it to anything but the local tor.
	OnionListen string `toml:"onion_listen" env:"REPRISALS_ONION_LISTEN"`
	// PublicURL is the address reporters use, shown in start-up lines and,
	// later, in alerts. No trailing slash.
	PublicURL string `toml:"public_url" env:"REPRISALS_PUBLIC_URL"`
	// OnionURL, if set, is the service's Tor onion address
	// (http://xxx.onion); pages then send an Onion-Location header.
	OnionURL string `toml:"onion_url" env:"REPRISALS_ONION_URL"`
	// QuickExitURL is where the "leave this site quickly" link goes: a
	// neutral, harmless page.
	QuickExitURL string `toml:"quick_exit_url" env:"REPRISALS_QUICK_EXIT_URL"`
	// TLSCertFile and TLSKeyFile, when both set, make the server speak
	// HTTPS itself instead of behind a TLS-terminating proxy.
	TLSCertFile string `toml:"tls_cert_file" env:"REPRISALS_TLS_CERT_FILE"`
	TLSKeyFile  string `toml:"tls_key_file" env:"REPRISALS_TLS_KEY_FILE"`
	// TrustedProxies are the networks (CIDR) of reverse proxies whose
	// X-Forwarded-For is believed. The client address is used only to
	// limit receipt guesses, never stored or logged.
	TrustedProxies []string `toml:"trusted_proxies" env:"REPRISALS_TRUSTED_PROXIES"`
	// ShutdownGrace is how long a graceful stop (SIGTERM) waits for
	// requests under way, such as long uploads, before it ends them (an
	// unfinished file is deleted and its sender told to retry).
	ShutdownGrace Duration `toml:"shutdown_grace"`

	Database    Database    `toml:"database"`
	Receipts    Receipts    `toml:"receipts"`
	SMTP        SMTP        `toml:"smtp"`
	Alerts      Alerts      `toml:"alerts"`
	Metrics     Metrics     `toml:"metrics"`
	Handlers    Handlers    `toml:"handlers"`
	Attachments Attachments `toml:"attachments"`
	Retention   Retention   `toml:"retention"`
	Reporters   Reporters   `toml:"reporters"`
	Teams       []Team      `toml:"teams"`
}

// ReceiptKey returns the decoded receipt key. Valid after Validate.
func (c Config) ReceiptKey() []byte { return c.Receipts.key }

// Default returns the built-in configuration: the two OHCHR teams with
// their real addresses and no recipients (an operator or the dev command
// must supply them).
func Default() Config {
	return Config{
		Listen:       "127.0.0.1:8080",
		PublicURL:    "http://127.0.0.1:8080",
		QuickExitURL: "https://www.wikipedia.org/",
		Database: Database{MaxConns: 10, LockTimeout: Duration{2 * time.Second},
			StatementTimeout: Duration{5 * time.Second}, IdleInTransactionTimeout: Duration{10 * time.Second}},
		SMTP: SMTP{
			TLS:               "starttls",
			From:              "Reprisals reporting service <noreply@localhost>",
			EnvelopeFrom:      "noreply@localhost",
			ConnectTimeout:    Duration{10 * time.Second},
			CommandTimeout:    Duration{30 * time.Second},
			SubmissionTimeout: Duration{2 * time.Minute},
		},
		ShutdownGrace: Duration{30 * time.Second},
		Attachments: Attachments{MaxFiles: 20, MaxFileBytes: 2 << 30, MaxConcurrentUploads: 32, MinUploadRate: 1 << 10,
			UploadRateWindow: Duration{2 * time.Minute}, MaxUploadTime: Duration{6 * time.Hour}, SpoolBytes: 16 << 30},
		Retention: Retention{AbandonedUploadHours: 12, Interval: Duration{24 * time.Hour}},
		Handlers: Handlers{
			SessionTTL:     Duration{8 * time.Hour},
			ChallengeTTL:   Duration{2 * time.Minute},
			InboxPageBytes: 8 << 20,
		},
		Alerts: Alerts{
			RetryBase:   Duration{30 * time.Second},
			RetryMax:    Duration{50 * time.Second},
			Lease:       Duration{5 * time.Minute},
			Poll:        Duration{5 * time.Second},
			FloodBudget: 10,
			FloodWindow: Duration{15 * time.Minute},
		},
		Reporters: Reporters{AcknowledgeDays: 5, AnswerDeadline: Duration{20 * time.Second}},
		Teams: []Team{
			{Name: "upr-secretariat", Address: "uprreprisals@ohchr.org", Receives: ReceivesUPR, DisplayNames: map[string]string{
				"ar": "أمانة الاستعراض الدوري الشامل", "en": "UPR Secretariat", "es": "Secretaría del Examen Periódico Universal",
				"fr": "Secrétariat de l’Examen périodique universel", "ru": "Секретариат универсального периодического обзора", "zh": "普遍定期审议秘书处",
			}},
			{Name: "reprisals-team", Address: "reprisals@ohchr.org", Receives: ReceivesAll, DisplayNames: map[string]string{
				"ar": "فريق مفوضية حقوق الإنسان المعني بالأعمال الانتقامية", "en": "OHCHR reprisals team", "es": "Equipo del ACNUDH sobre represalias",
				"fr": "Équipe du HCDH chargée des représailles", "ru": "Группа УВКПЧ по вопросам репрессий", "zh": "人权高专办报复问题小组",
			}},
		},
	}
}

// Statuses are the case workflow's statuses, by key, in the order a case
// usually moves through them (the casework package defines what they
// mean). They are here so that every setting naming a status is checked
// in one place, by Validate.
var Statuses = []string{
	"received", "acknowledged", "awaiting_consent", "under_assessment", "urgent_escalation",
	"raised_with_state", "state_response_received", "sg_report_candidate", "published",
	"follow_up", "on_hold", "closed", "duplicate",
}

// Validate resolves file-backed values and checks every setting. The error
// lists every problem found, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not a host:port address", c.Listen)
	}
	if c.OnionListen != "" {
		if host, _, err := net.SplitHostPort(c.OnionListen); err != nil {
			bad("onion_listen", "%q is not a host:port address", c.OnionListen)
		} else if !isLoopbackHost(host) {
			bad("onion_listen", "%q is not a loopback address: whoever can reach it can send their own PROXY headers; use 127.0.0.1 or [::1]", c.OnionListen)
		} else if c.OnionListen == c.Listen {
			bad("onion_listen", "must differ from listen: only tor may connect to it")
		}
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		bad("public_url", "must start with http:// or https://")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.OnionURL != "" {
		if u, err := url.Parse(c.OnionURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.HasSuffix(u.Hostname(), ".onion") || u.Path != "" && u.Path != "/" {
			bad("onion_url", "must be the onion address alone, such as http://xxxx.onion")
		}
		c.OnionURL = strings.TrimRight(c.OnionURL, "/")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	for _, f := range []struct{ key, path string }{{"tls_cert_file", c.TLSCertFile}, {"tls_key_file", c.TLSKeyFile}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				bad(f.key, "cannot read %s", f.path)
			}
		}
	}
	for i, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			bad(fmt.Sprintf("trusted_proxies[%d]", i), "%q is not a network such as 10.0.0.0/8 or 192.0.2.1/32", p)
		}
	}
	if u, err := url.Parse(c.QuickExitURL); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("quick_exit_url", "must be an https:// address of a neutral page")
	}

	if c.Database.URLFile != "" {
		v, err := readSecretFile(c.Database.URLFile)
		if err != nil {
			bad("database.url_file", "%v", err)
		}
		c.Database.URL = Secret(v)
	}
	if c.Database.MaxConns < 1 || c.Database.MaxConns > 1000 {
		bad("database.max_conns", "must be between 1 and 1000")
	}
	for _, d := range []struct {
		key      string
		d        time.Duration
		min, max time.Duration
	}{{"database.lock_timeout", c.Database.LockTimeout.Duration, 100 * time.Millisecond, time.Minute},
		{"database.statement_timeout", c.Database.StatementTimeout.Duration, time.Second, 10 * time.Minute},
		{"database.idle_in_transaction_timeout", c.Database.IdleInTransactionTimeout.Duration, time.Second, 10 * time.Minute},
		{"reporters.answer_deadline", c.Reporters.AnswerDeadline.Duration, time.Second, time.Minute}} {
		if d.d < d.min || d.d > d.max {
			bad(d.key, "must be between %v and %v", d.min, d.max)
		}
	}
	if c.Database.LockTimeout.Duration > c.Database.StatementTimeout.Duration {
		bad("database.lock_timeout", "must not be longer than database.statement_timeout")
	}

	keySource := "REPRISALS_RECEIPT_KEY"
	if c.Receipts.KeyFile != "" {
		keySource = "receipts.key_file"
		v, err := readSecretFile(c.Receipts.KeyFile)
		if err != nil {
			bad("receipts.key_file", "%v", err)
		}
		c.Receipts.Key = Secret(v)
	}
	if c.Receipts.Key != "" {
		key, err := crypto.ParseReceiptKey(c.Receipts.Key.Reveal())
		if err != nil {
			bad(keySource, "%v", err)
		} else {
			c.Receipts.key = key
		}
	}

	errs = append(errs, c.validateSMTP()...)
	for _, d := range []struct {
		key string
		d   Duration
	}{{"alerts.retry_base", c.Alerts.RetryBase}, {"alerts.retry_max", c.Alerts.RetryMax},
		{"alerts.lease", c.Alerts.Lease}, {"alerts.poll", c.Alerts.Poll}} {
		if d.d.Duration <= 0 {
			bad(d.key, "must be a positive duration")
		}
	}
	if c.Alerts.RetryMax.Duration < c.Alerts.RetryBase.Duration {
		bad("alerts.retry_max", "must not be shorter than alerts.retry_base")
	}
	if c.Alerts.RetryMax.Duration > MaxRetryMax {
		bad("alerts.retry_max", "must be at most %v, so that alerts go out within a minute of the relay coming back", MaxRetryMax)
	}
	if c.Alerts.FloodBudget < 1 {
		bad("alerts.flood_budget", "must be at least 1 e-mail per team per flood_window")
	}
	if c.Alerts.FloodWindow.Duration < time.Minute || c.Alerts.FloodWindow.Duration > 24*time.Hour {
		bad("alerts.flood_window", "must be between 1m and 24h")
	}
	if c.Handlers.SessionTTL.Duration < time.Minute || c.Handlers.SessionTTL.Duration > 7*24*time.Hour {
		bad("handlers.session_ttl", "must be between 1m and 168h")
	}
	if c.Handlers.ChallengeTTL.Duration < 10*time.Second || c.Handlers.ChallengeTTL.Duration > time.Hour {
		bad("handlers.challenge_ttl", "must be between 10s and 1h")
	}
	if c.Handlers.InboxPageBytes < MinInboxPageBytes || c.Handlers.InboxPageBytes > MaxInboxPageBytes {
		bad("handlers.inbox_page_bytes", "must be between 1048576 (1 MiB) and 33554432 (32 MiB)")
	}
	if c.Attachments.MaxFiles < 0 || c.Attachments.MaxFiles > 1000 {
		bad("attachments.max_files", "must be between 0 and 1000")
	}
	if c.Attachments.MaxFileBytes < 1<<20 || c.Attachments.MaxFileBytes > 64<<30 {
		bad("attachments.max_file_bytes", "must be between 1 MiB and 64 GiB")
	}
	if c.Attachments.MaxConcurrentUploads < 1 || c.Attachments.MaxConcurrentUploads > 10000 {
		bad("attachments.max_concurrent_uploads", "must be between 1 and 10000")
	}
	if c.Attachments.MinUploadRate < 1 || c.Attachments.MinUploadRate > 1<<20 {
		bad("attachments.min_upload_rate", "must be between 1 and 1048576 bytes per second")
	}
	if w := c.Attachments.UploadRateWindow.Duration; w < time.Second || w > time.Hour {
		bad("attachments.upload_rate_window", "must be between 1s and 1h")
	}
	if m := c.Attachments.MaxUploadTime.Duration; m < time.Minute || m > 48*time.Hour {
		bad("attachments.max_upload_time", "must be between 1m and 48h")
	}
	if c.Attachments.SpoolBytes < 1<<20 || c.Attachments.SpoolBytes > 1<<40 {
		bad("attachments.spool_bytes", "must be between 1 MiB and 1 TiB")
	}
	if g := c.ShutdownGrace.Duration; g < 0 || g > time.Hour {
		bad("shutdown_grace", "must be between 0s and 1h")
	}
	for _, status := range slices.Sorted(maps.Keys(c.Retention.Days)) {
		if !slices.Contains(Statuses, status) {
			bad("retention.days."+status, "%q is not a status (statuses: %s)", status, strings.Join(Statuses, ", "))
		} else if d := c.Retention.Days[status]; d < 0 || d > 100*365 {
			bad("retention.days."+status, "must be between 0 (keep forever) and 36500")
		}
	}
	for _, status := range slices.Sorted(maps.Keys(c.Handlers.StatusNames)) {
		if !slices.Contains(Statuses, status) {
			bad("handlers.status_names."+status, "%q is not a status (statuses: %s)", status, strings.Join(Statuses, ", "))
		} else if n := c.Handlers.StatusNames[status]; n == "" || len(n) > 100 || !utf8.ValidString(n) {
			bad("handlers.status_names."+status, "must be a name of 1 to 100 bytes")
		}
	}
	if c.Retention.AbandonedUploadHours < 1 || c.Retention.AbandonedUploadHours > 24*30 {
		bad("retention.abandoned_upload_hours", "must be between 1 and 720")
	}
	if c.Retention.Interval.Duration < time.Minute {
		bad("retention.interval", "must be at least 1m")
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			bad("metrics.listen", "%q is not a host:port address", c.Metrics.Listen)
		}
	}
	if c.Reporters.AcknowledgeDays < 1 || c.Reporters.AcknowledgeDays > 90 {
		bad("reporters.acknowledge_days", "must be between 1 and 90")
	}
	errs = append(errs, c.validateTeams()...)
	return errors.Join(errs...)
}
