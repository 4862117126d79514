// Package config loads the service's one typed configuration: defaults, then
// an optional TOML file, then environment overrides, then secrets from
// *_FILE paths, validated once at start-up. The result is passed to
// constructors; there is no global configuration.
//
// Secrets (the database URL, which may hold a password, and the receipt key)
// are of type Secret, which prints as "[redacted]" in every dump and log.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/roster"
)

// Routing values for Team.Receives.
const (
	ReceivesAll = "all" // every report
	ReceivesUPR = "upr" // reports whose UN cooperation is the Universal Periodic Review
)

// maxConfigFileSize bounds the config file and every *_FILE secret.
const maxConfigFileSize = 1 << 20

// Secret is a string that never prints its value.
type Secret string

func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret in %#v.
func (Secret) GoString() string { return `"[redacted]"` }

// MarshalText redacts the secret in TOML and JSON dumps.
func (s Secret) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte(""), nil
	}
	return []byte("[redacted]"), nil
}

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

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

// Retention says when cases are deleted for good.
type Retention struct {
	// Days maps a workflow status to the number of days after which a case
	// that has stayed in it is purged, such as closed = 730. Statuses not
	// listed, and 0, keep cases forever.
	Days map[string]int `toml:"days"`
	// AbandonedUploadHours is how long an unfinished upload is kept.
	AbandonedUploadHours int `toml:"abandoned_upload_hours"`
	// Interval is how often the server applies the policy.
	Interval Duration `toml:"interval"`
}

// Attachments bounds reporters' files.
type Attachments struct {
	// MaxFiles is the most files one case may have.
	MaxFiles int `toml:"max_files"`
	// MaxFileBytes is the largest file accepted, in bytes.
	MaxFileBytes int64 `toml:"max_file_bytes"`
	// MaxConcurrentUploads is how many uploads may run at once.
	MaxConcurrentUploads int `toml:"max_concurrent_uploads"`
	// MinUploadRate is the slowest an upload may be, in bytes per second
	// averaged over each UploadRateWindow.
	MinUploadRate int64 `toml:"min_upload_rate"`
	// UploadRateWindow is the period over which MinUploadRate is measured,
	// and the longest an upload may send nothing.
	UploadRateWindow Duration `toml:"upload_rate_window"`
	// MaxUploadTime is the longest one upload request may take.
	MaxUploadTime Duration `toml:"max_upload_time"`
	// SpoolBytes bounds the bytes of uploads still arriving (files sent
	// with a report and follow-up files, encrypted, staged in the
	// database until their request ends), per server process. An upload
	// that would pass it is refused with 503 and Retry-After.
	SpoolBytes int64 `toml:"spool_bytes"`
}

// Handlers configures case handlers' sessions and the case workflow.
type Handlers struct {
	// SessionTTL is how long a login lasts.
	SessionTTL Duration `toml:"session_ttl"`
	// ChallengeTTL is how long a login challenge may be answered.
	ChallengeTTL Duration `toml:"challenge_ttl"`
	// StatusNames renames workflow statuses for display, by key (such as
	// raised_with_state = "Raised with the Government").
	StatusNames map[string]string `toml:"status_names"`
	// InboxPageBytes bounds the ciphertext on one page of the handler
	// API's inbox (GET /api/v1/handler/inbox); base64 in JSON makes the
	// page about 4/3 as large, well under the client's 64 MiB limit.
	InboxPageBytes int64 `toml:"inbox_page_bytes"`
}

// Bounds of handlers.inbox_page_bytes: at least a large report, and at
// most what, base64-encoded with a full page of cases, stays well under
// the client's 64 MiB response limit.
const (
	MinInboxPageBytes = 1 << 20
	MaxInboxPageBytes = 32 << 20
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

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen is a separate host:port serving /metrics; empty disables it.
	Listen string `toml:"listen" env:"REPRISALS_METRICS_LISTEN"`
}

// Duration is a time.Duration written as "30s" or "1h" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\" or \"5m\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText prints the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Database configures PostgreSQL.
type Database struct {
	// URL is a PostgreSQL connection string. Prefer DATABASE_URL or url_file.
	URL     Secret `toml:"url" env:"DATABASE_URL"`
	URLFile string `toml:"url_file" env:"DATABASE_URL_FILE"`
	// MaxConns bounds the connection pool.
	MaxConns int32 `toml:"max_conns" env:"REPRISALS_DATABASE_MAX_CONNS"`
	// LockTimeout is the longest any statement waits for a lock
	// (PostgreSQL's lock_timeout, set on every connection): no request can
	// make another wait longer than this on a row it holds.
	LockTimeout Duration `toml:"lock_timeout"`
	// StatementTimeout is the longest any statement may run
	// (statement_timeout).
	StatementTimeout Duration `toml:"statement_timeout"`
	// IdleInTransactionTimeout ends a session whose transaction has been
	// idle this long (idle_in_transaction_session_timeout), so that a
	// stuck request cannot keep its locks.
	IdleInTransactionTimeout Duration `toml:"idle_in_transaction_timeout"`
}

// Receipts configures reporters' receipt codes.
type Receipts struct {
	// KeyFile holds the receipt key: at least 32 random bytes in hex, used
	// to hash receipts. Losing it makes existing receipts unusable.
	KeyFile string `toml:"key_file" env:"REPRISALS_RECEIPT_KEY_FILE"`
	// Key is the key in hex, from KeyFile or REPRISALS_RECEIPT_KEY.
	Key Secret `toml:"-" env:"REPRISALS_RECEIPT_KEY"`

	key []byte
}

// String and GoString keep the key out of %v and %#v of a Config: fmt
// prints unexported fields without calling their methods.
func (r Receipts) String() string   { return fmt.Sprintf("{KeyFile:%s Key:[redacted]}", r.KeyFile) }
func (r Receipts) GoString() string { return r.String() }

// ReceiptKey returns the decoded receipt key. Valid after Validate.
func (c Config) ReceiptKey() []byte { return c.Receipts.key }

// Team is one team that receives reports.
type Team struct {
	// Name is a short identifier, stored in clear with each routed report.
	Name string `toml:"name"`
	// Address is where the team's alerts go.
	Address string `toml:"address" env:"ADDRESS"`
	// Receives is "all" (every report) or "upr" (UPR-related reports only).
	Receives string `toml:"receives"`
	// Recipients are age recipients (age1...); RecipientsFile is a file of
	// them, one per line. Both may be given; the union is used.
	Recipients     []string `toml:"recipients" env:"RECIPIENTS"`
	RecipientsFile string   `toml:"recipients_file" env:"RECIPIENTS_FILE"`
	// Digest, when set (such as "1h"), sends this team one digest e-mail per
	// interval instead of one e-mail per report. Reports flagged "immediate
	// danger" are always alerted at once.
	Digest Duration `toml:"digest"`
	// AttachCiphertext attaches the report's ciphertext to the alert as an
	// ASCII-armoured .age file, for teams that work from e-mail alone.
	AttachCiphertext bool `toml:"attach_ciphertext"`
	// DisplayNames are the team's name as reporters read it, by language
	// (ar, en, es, fr, ru, zh), such as "OHCHR reprisals team". Pages fall
	// back to English, then to Name.
	DisplayNames map[string]string `toml:"display_names"`
	// RosterKeys are the team's roster public keys
	// (reprisals-roster-key-ed25519:...), whose private halves the team's
	// key custodians hold offline. Once a roster signed by one of them is
	// published, it alone decides the recipients of the team's new reports.
	RosterKeys []string `toml:"roster_keys" env:"ROSTER_KEYS"`

	keys       []crypto.Recipient
	rosterKeys []roster.PublicKey
}

// DisplayName returns the team's name for reporters in lang.
func (t Team) DisplayName(lang string) string {
	for _, l := range []string{lang, "en"} {
		if n := t.DisplayNames[l]; n != "" {
			return n
		}
	}
	return t.Name
}

// Reporters configure what the reporter pages say.
type Reporters struct {
	// AcknowledgeDays is how many working days the teams usually take to
	// acknowledge a report, as the form and the confirmation say.
	AcknowledgeDays int `toml:"acknowledge_days"`
	// AnswerDeadline bounds the work of storing a report, from the moment
	// its last byte has arrived: a report that could not be committed by
	// then is rolled back and the reporter told to send again, so that no
	// report is stored whose answer (the receipt) could no longer reach
	// its reporter. It must be well under the connection's write timeout
	// (2 minutes).
	AnswerDeadline Duration `toml:"answer_deadline"`
}

// RosterPublicKeys returns the team's parsed roster keys.
func (t Team) RosterPublicKeys() []roster.PublicKey { return t.rosterKeys }

// Keys returns the team's parsed recipients. Valid after Validate.
func (t Team) Keys() []crypto.Recipient { return t.keys }

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

// Load builds the configuration from defaults, the TOML file at path (if
// path is not empty) and the environment (getenv, usually os.Getenv). It
// does not validate: call Validate once everything is filled in.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := readBounded(path)
		if err != nil {
			return cfg, fmt.Errorf("config file: %w", err)
		}
		var file Config
		md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&file)
		if err != nil {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return cfg, fmt.Errorf("config file %s: unknown key %q", path, und[0].String())
		}
		merge(&cfg, file, md)
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// merge copies into cfg every setting the file defined, section by
// section, leaving the others at their defaults. A list (such as teams) or
// a table of values (such as handlers.status_names) is replaced whole.
func merge(cfg *Config, file Config, md toml.MetaData) {
	mergeFields(reflect.ValueOf(cfg).Elem(), reflect.ValueOf(file), md, nil)
}

var durationType = reflect.TypeOf(Duration{})

func mergeFields(dst, src reflect.Value, md toml.MetaData, path []string) {
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		key := f.Tag.Get("toml")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		keyPath := append(append([]string(nil), path...), key)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			mergeFields(dst.Field(i), src.Field(i), md, keyPath)
		} else if md.IsDefined(keyPath...) {
			dst.Field(i).Set(src.Field(i))
		}
	}
}

// applyEnv sets every field with an env tag whose variable is set. A
// team's fields are named after the team: REPRISALS_TEAM_<NAME>_ plus the
// tag (see teamEnvPrefix). Lists are comma-, space- or line-separated.
func applyEnv(cfg *Config, getenv func(string) string) error {
	var errs []error
	set := func(name string, f reflect.Value) {
		v := getenv(name)
		if v == "" {
			return
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(v)
		case reflect.Slice:
			f.Set(reflect.ValueOf(strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })))
		case reflect.Int, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(v, 10, f.Type().Bits())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: not a whole number", name))
				return
			}
			f.SetInt(n)
		}
	}
	walkEnv(reflect.ValueOf(cfg).Elem(), "", set)
	for i := range cfg.Teams {
		walkEnv(reflect.ValueOf(&cfg.Teams[i]).Elem(), teamEnvPrefix(cfg.Teams[i].Name), set)
	}
	return errors.Join(errs...)
}

// walkEnv calls fn for every field of v (and of its nested sections) that
// has an env tag, with the variable's name.
func walkEnv(v reflect.Value, prefix string, fn func(name string, f reflect.Value)) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if name := f.Tag.Get("env"); name != "" {
			fn(prefix+name, v.Field(i))
		} else if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			walkEnv(v.Field(i), prefix, fn)
		}
	}
}

// teamEnvPrefix is the start of a team's environment variables: the team
// name in upper case with '-' as '_'.
func teamEnvPrefix(team string) string {
	return "REPRISALS_TEAM_" + strings.ToUpper(strings.ReplaceAll(team, "-", "_")) + "_"
}

// EnvVars returns every environment variable the configuration reads, a
// team's with <NAME> for the team's name, in field order.
func EnvVars() []string {
	var out []string
	collect := func(name string, _ reflect.Value) { out = append(out, name) }
	walkEnv(reflect.ValueOf(Config{}), "", collect)
	walkEnv(reflect.ValueOf(Team{}), "REPRISALS_TEAM_<NAME>_", collect)
	return out
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

var teamName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

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

func (c *Config) validateTeams() []error {
	var errs []error
	if len(c.Teams) == 0 {
		return []error{errors.New("teams: at least one team is required")}
	}
	seen := map[string]bool{}
	receivesAll := false
	var all []crypto.Recipient
	for i := range c.Teams {
		t := &c.Teams[i]
		key := fmt.Sprintf("teams[%d]", i)
		if t.Name != "" {
			key = fmt.Sprintf("teams.%s", t.Name)
		}
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
		}
		if !teamName.MatchString(t.Name) {
			bad("name", "must be 1-40 lower-case letters, digits or hyphens")
		} else if seen[t.Name] {
			bad("name", "appears twice")
		}
		seen[t.Name] = true
		if a, err := mail.ParseAddress(t.Address); err != nil || a.Address != t.Address {
			bad("address", "%q is not a plain e-mail address", t.Address)
		}
		if t.Digest.Duration < 0 || (t.Digest.Duration > 0 && t.Digest.Duration < time.Second) {
			bad("digest", "must be at least one second, or unset for one e-mail per report")
		}
		for lang, n := range t.DisplayNames {
			if !slices.Contains([]string{"ar", "en", "es", "fr", "ru", "zh"}, lang) {
				bad("display_names", "%q is not one of the languages ar, en, es, fr, ru, zh", lang)
			} else if n == "" || len(n) > 200 || strings.ContainsAny(n, "\x00\r\n") {
				bad("display_names."+lang, "must be 1-200 bytes on one line")
			}
		}
		switch t.Receives {
		case ReceivesAll:
			receivesAll = true
		case ReceivesUPR:
		default:
			bad("receives", "must be %q or %q", ReceivesAll, ReceivesUPR)
		}
		t.keys = nil
		hadErr := false
		seenKey := map[string]bool{}
		add := func(r crypto.Recipient) {
			if !seenKey[r.String()] {
				seenKey[r.String()] = true
				t.keys = append(t.keys, r)
			}
		}
		for j, s := range t.Recipients {
			r, err := crypto.ParseRecipient(s)
			if err != nil {
				bad(fmt.Sprintf("recipients[%d]", j), "%v", err)
				hadErr = true
				continue
			}
			add(r)
		}
		if t.RecipientsFile != "" {
			f, err := os.Open(t.RecipientsFile)
			if err != nil {
				bad("recipients_file", "cannot open %s: %v", t.RecipientsFile, errors.Unwrap(err))
				hadErr = true
			} else {
				recs, err := crypto.ParseRecipientsFile(f)
				f.Close()
				if err != nil {
					bad("recipients_file", "%s: %v", t.RecipientsFile, err)
					hadErr = true
				}
				for _, r := range recs {
					add(r)
				}
			}
		}
		t.rosterKeys = nil
		for j, k := range t.RosterKeys {
			pk, err := roster.ParsePublicKey(k)
			if err != nil {
				bad(fmt.Sprintf("roster_keys[%d]", j), "%v", err)
				continue
			}
			t.rosterKeys = append(t.rosterKeys, pk)
		}
		if len(t.keys) == 0 && !hadErr {
			bad("recipients", "the team has no age recipient: set recipients or recipients_file (for a trial, use 'reprisals dev')")
		}
		all = append(all, t.keys...)
	}
	if !receivesAll {
		errs = append(errs, errors.New(`teams: at least one team must have receives = "all", or non-UPR reports would reach nobody`))
	}
	if len(all) > 0 {
		if err := crypto.CheckCompatible(all); err != nil {
			errs = append(errs, fmt.Errorf("teams: %w", err))
		}
	}
	return errs
}

// Dump returns the effective configuration as TOML with secrets redacted.
func (c Config) Dump() string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return "# cannot encode configuration: " + err.Error()
	}
	return b.String()
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, maxConfigFileSize+1)
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	if n > maxConfigFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigFileSize)
	}
	return data[:n], nil
}

// readSecretFile reads a secret file. The error never includes the content.
func readSecretFile(path string) (string, error) {
	data, err := readBounded(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", fmt.Errorf("cannot read %s: %v", path, pe.Err)
		}
		return "", err
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
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
