package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/config"
)

// validBase returns a configuration that validates, with a relay.
func validBase(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	for i := range cfg.Teams {
		id, _ := age.GenerateX25519Identity()
		cfg.Teams[i].Recipients = []string{id.Recipient().String()}
	}
	cfg.SMTP.Host = "smtp.example.org"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSMTPValidation(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*config.Config)
		errKey string // "" means valid
		words  string
	}{
		{"starttls default", func(c *config.Config) {}, "", ""},
		{"implicit", func(c *config.Config) { c.SMTP.TLS = "implicit" }, "", ""},
		{"unknown tls mode", func(c *config.Config) { c.SMTP.TLS = "ssl" }, "smtp.tls", "starttls"},
		{"plain needs allow_insecure", func(c *config.Config) { c.SMTP.TLS = "none"; c.SMTP.Host = "127.0.0.1" }, "smtp.tls", "allow_insecure"},
		{"plain to loopback allowed", func(c *config.Config) {
			c.SMTP.TLS, c.SMTP.Host, c.SMTP.AllowInsecure = "none", "127.0.0.1", true
		}, "", ""},
		{"plain to localhost allowed", func(c *config.Config) {
			c.SMTP.TLS, c.SMTP.Host, c.SMTP.AllowInsecure = "none", "localhost", true
		}, "", ""},
		{"plain to ::1 allowed", func(c *config.Config) { c.SMTP.TLS, c.SMTP.Host, c.SMTP.AllowInsecure = "none", "::1", true }, "", ""},
		{"plain to a remote relay refused", func(c *config.Config) {
			c.SMTP.TLS, c.SMTP.Host, c.SMTP.AllowInsecure = "none", "smtp.example.org", true
		}, "smtp.tls", "this machine"},
		{"plain to a private address refused", func(c *config.Config) {
			c.SMTP.TLS, c.SMTP.Host, c.SMTP.AllowInsecure = "none", "10.0.0.5", true
		}, "smtp.tls", "this machine"},
		{"port out of range", func(c *config.Config) { c.SMTP.Port = 70000 }, "smtp.port", "65535"},
		{"password without username", func(c *config.Config) { c.SMTP.Password = "pw" }, "smtp.username", "no username"},
		{"bad from", func(c *config.Config) { c.SMTP.From = "nobody" }, "smtp.from", "not an e-mail"},
		{"bad envelope from", func(c *config.Config) { c.SMTP.EnvelopeFrom = "Name <a@b.org>" }, "smtp.envelope_from", "plain"},
		{"zero timeout", func(c *config.Config) { c.SMTP.CommandTimeout = config.Duration{} }, "smtp.command_timeout", "positive"},
		{"missing CA file", func(c *config.Config) { c.SMTP.CAFile = "/nonexistent/ca.pem" }, "smtp.ca_file", "no such file"},
		{"missing password file", func(c *config.Config) { c.SMTP.Username = "u"; c.SMTP.PasswordFile = "/nonexistent/pw" }, "smtp.password_file", "cannot read"},
		{"retry max below base", func(c *config.Config) { c.Alerts.RetryMax = config.Duration{Duration: time.Second} }, "alerts.retry_max", "retry_base"},
		{"retry max over a minute", func(c *config.Config) { c.Alerts.RetryMax = config.Duration{Duration: time.Hour} }, "alerts.retry_max", "within a minute"},
		{"no flood budget", func(c *config.Config) { c.Alerts.FloodBudget = 0 }, "alerts.flood_budget", "at least 1"},
		{"flood window too short", func(c *config.Config) { c.Alerts.FloodWindow = config.Duration{Duration: time.Second} }, "alerts.flood_window", "between 1m and 24h"},
		{"zero lease", func(c *config.Config) { c.Alerts.Lease = config.Duration{} }, "alerts.lease", "positive"},
		{"digest too short", func(c *config.Config) { c.Teams[1].Digest = config.Duration{Duration: time.Millisecond} }, "teams.reprisals-team.digest", "one second"},
		{"digest hourly", func(c *config.Config) { c.Teams[1].Digest = config.Duration{Duration: time.Hour} }, "", ""},
		{"bad metrics listen", func(c *config.Config) { c.Metrics.Listen = "9090" }, "metrics.listen", "host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validBase(t)
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.errKey == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errKey+": ") || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("error %v, want %s ... %q", err, tt.errKey, tt.words)
			}
		})
	}
}

func TestSMTPFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.toml")
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret-relay-pw\n"), 0o600)
	os.WriteFile(path, []byte(`
[smtp]
host = "relay.example.org"
tls = "implicit"
username = "intake"
password_file = "`+pw+`"
submission_timeout = "90s"
[alerts]
retry_base = "10s"
[[teams]]
name = "reprisals-team"
address = "reprisals@ohchr.org"
receives = "all"
digest = "30m"
attach_ciphertext = true
`), 0o600)
	id, _ := age.GenerateX25519Identity()
	env := map[string]string{
		"REPRISALS_SMTP_PORT":                      "2465",
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": id.Recipient().String(),
	}
	cfg, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Addr() != "relay.example.org:2465" || cfg.SMTP.TLS != "implicit" || cfg.SMTP.Password.Reveal() != "s3cret-relay-pw" ||
		cfg.SMTP.SubmissionTimeout.Duration != 90*time.Second || cfg.SMTP.CommandTimeout.Duration != 30*time.Second ||
		cfg.Alerts.RetryBase.Duration != 10*time.Second || cfg.Alerts.Lease.Duration != 5*time.Minute {
		t.Errorf("smtp %+v alerts %+v", cfg.SMTP, cfg.Alerts)
	}
	if cfg.Teams[0].Digest.Duration != 30*time.Minute || !cfg.Teams[0].AttachCiphertext {
		t.Errorf("team %+v", cfg.Teams[0])
	}
	if strings.Contains(cfg.Dump(), "s3cret-relay-pw") {
		t.Error("the dump shows the relay password")
	}
	for mode, port := range map[string]string{"starttls": "587", "implicit": "465", "none": "25"} {
		s := config.SMTP{Host: "h", TLS: mode}
		if s.Addr() != "h:"+port {
			t.Errorf("%s: Addr() = %s", mode, s.Addr())
		}
	}
	os.WriteFile(path, []byte("[alerts]\nlease = \"soon\"\n"), 0o600)
	if _, err := config.Load(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "duration") {
		t.Errorf("bad duration: %v", err)
	}
}
