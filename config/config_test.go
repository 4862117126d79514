package config_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
)

// keys holds test keys, generated at test time.
type keys struct {
	x1, x2, x3 string // X25519 recipients
	pq1, pq2   string // hybrid recipients
	idSecret   string // an X25519 identity (private key)
	pqSecret   string // a hybrid identity (private key)
	keyHex     string // a receipt key, hex
	key2Hex    string // another receipt key, hex
	dbPassword string
	dbURL      string
}

func newKeys(t *testing.T) keys {
	t.Helper()
	x := func() string {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		return id.Recipient().String()
	}
	pq := func() *age.HybridIdentity {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return keys{
		x1: x(), x2: x(), x3: x(),
		pq1: pq().Recipient().String(), pq2: pq().Recipient().String(),
		idSecret:   id.String(),
		pqSecret:   pq().String(),
		keyHex:     strings.TrimSpace(crypto.NewReceiptKey()),
		key2Hex:    strings.TrimSpace(crypto.NewReceiptKey()),
		dbPassword: "S3cretPw",
		dbURL:      "postgres://reports:S3cretPw@db.internal:5432/reports",
	}
}

// replacer expands $DIR, $X1... in test inputs.
func (k keys) replacer(dir string) *strings.Replacer {
	return strings.NewReplacer(
		"$DIR", dir,
		"$X1", k.x1, "$X2", k.x2, "$X3", k.x3,
		"$PQ1", k.pq1, "$PQ2", k.pq2,
		"$IDSECRET", k.idSecret,
		"$KEY2", k.key2Hex, "$KEY", k.keyHex,
		"$DBURL", k.dbURL,
	)
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixtureDir writes the files the tests refer to and returns the directory.
func fixtureDir(t *testing.T, k keys) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "db-url"), "  "+k.dbURL+" \n\n")
	writeFile(t, filepath.Join(dir, "db-url-2"), "postgres://other@db2/reports\n")
	writeFile(t, filepath.Join(dir, "receipt-key"), k.keyHex+"\n")
	writeFile(t, filepath.Join(dir, "receipt-key-2"), k.key2Hex+"\n")
	writeFile(t, filepath.Join(dir, "short-key"), k.keyHex[:62]+"\n")
	writeFile(t, filepath.Join(dir, "empty"), " \n")
	writeFile(t, filepath.Join(dir, "alpha.txt"), "# alpha team\n\n"+k.x2+"\n"+k.x3+"\n")
	writeFile(t, filepath.Join(dir, "x3.txt"), k.x3+"\n")
	writeFile(t, filepath.Join(dir, "with-identity.txt"), "# alpha\n"+k.x1+"\n"+k.idSecret+"\n")
	writeFile(t, filepath.Join(dir, "huge.txt"), strings.Repeat("# padding padding padding\n", 3000))
	return dir
}

func envFrom(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func noEnv(string) string { return "" }

// errKeys returns the key each line of a Validate error names: the text
// before the first ": ".
func errKeys(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		key, _, _ := strings.Cut(line, ": ")
		out = append(out, key)
	}
	return out
}

func keyStrings(recs []crypto.Recipient) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.String())
	}
	return out
}

func assertNotContains(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if secret != "" && strings.Contains(strings.ToLower(s), strings.ToLower(secret)) {
			t.Errorf("%s contains the secret %.16q...: %s", what, secret, s)
		}
	}
}

var ignoreUnexported = cmpopts.IgnoreUnexported(config.Team{}, config.Receipts{})

func TestDefault(t *testing.T) {
	got := config.Default()
	want := config.Config{
		Listen:       "127.0.0.1:8080",
		PublicURL:    "http://127.0.0.1:8080",
		QuickExitURL: "https://www.wikipedia.org/",
		Database: config.Database{MaxConns: 10, LockTimeout: config.Duration{Duration: 2 * time.Second},
			StatementTimeout: config.Duration{Duration: 5 * time.Second}, IdleInTransactionTimeout: config.Duration{Duration: 10 * time.Second}},
		SMTP: config.SMTP{
			TLS: "starttls", From: "Reprisals reporting service <noreply@localhost>", EnvelopeFrom: "noreply@localhost",
			ConnectTimeout: config.Duration{Duration: 10 * time.Second}, CommandTimeout: config.Duration{Duration: 30 * time.Second},
			SubmissionTimeout: config.Duration{Duration: 2 * time.Minute},
		},
		Handlers: config.Handlers{
			SessionTTL: config.Duration{Duration: 8 * time.Hour}, ChallengeTTL: config.Duration{Duration: 2 * time.Minute},
			InboxPageBytes: 8 << 20,
		},
		ShutdownGrace: config.Duration{Duration: 30 * time.Second},
		Attachments: config.Attachments{MaxFiles: 20, MaxFileBytes: 2 << 30, MaxConcurrentUploads: 32, MinUploadRate: 1024,
			UploadRateWindow: config.Duration{Duration: 2 * time.Minute}, MaxUploadTime: config.Duration{Duration: 6 * time.Hour},
			SpoolBytes: 16 << 30},
		Retention: config.Retention{AbandonedUploadHours: 12, Interval: config.Duration{Duration: 24 * time.Hour}},
		Reporters: config.Reporters{AcknowledgeDays: 5, AnswerDeadline: config.Duration{Duration: 20 * time.Second}},
		Alerts: config.Alerts{
			RetryBase: config.Duration{Duration: 30 * time.Second}, RetryMax: config.Duration{Duration: 50 * time.Second},
			FloodBudget: 10, FloodWindow: config.Duration{Duration: 15 * time.Minute},
			Lease: config.Duration{Duration: 5 * time.Minute}, Poll: config.Duration{Duration: 5 * time.Second},
		},
		Teams: []config.Team{
			{Name: "upr-secretariat", Address: "uprreprisals@ohchr.org", Receives: config.ReceivesUPR},
			{Name: "reprisals-team", Address: "reprisals@ohchr.org", Receives: config.ReceivesAll},
		},
	}
	if diff := cmp.Diff(want, got, ignoreUnexported, cmpopts.IgnoreFields(config.Team{}, "DisplayNames")); diff != "" {
		t.Errorf("Default() (-want +got):\n%s", diff)
	}
	// The teams are named for reporters in the six languages.
	for _, team := range got.Teams {
		for _, lang := range []string{"ar", "en", "es", "fr", "ru", "zh"} {
			if n := team.DisplayName(lang); n == "" || n == team.Name || (lang != "en" && n == team.DisplayName("en")) {
				t.Errorf("team %s has no display name in %s (%q)", team.Name, lang, n)
			}
		}
	}
	if config.ReceivesUPR != "upr" || config.ReceivesAll != "all" {
		t.Errorf("Receives constants = %q, %q", config.ReceivesUPR, config.ReceivesAll)
	}

	// Default() returns a fresh value each time.
	got.Teams[0].Name = "changed"
	if config.Default().Teams[0].Name != "upr-secretariat" {
		t.Error("Default() shares its Teams slice between calls")
	}

	def := config.Default()
	err := def.Validate()
	if err == nil {
		t.Fatal("Validate on defaults succeeded; the teams have no recipients")
	}
	for _, want := range []string{"teams.upr-secretariat.recipients", "teams.reprisals-team.recipients"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if diff := cmp.Diff([]string{"teams.upr-secretariat.recipients", "teams.reprisals-team.recipients"}, errKeys(err)); diff != "" {
		t.Errorf("error keys (-want +got):\n%s\nerror: %v", diff, err)
	}
}

func TestLoadNoFileNoEnv(t *testing.T) {
	got, err := config.Load("", noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(config.Default(), got, ignoreUnexported); diff != "" {
		t.Errorf("Load(\"\", no env) differs from Default() (-want +got):\n%s", diff)
	}
}

func TestLoadFile(t *testing.T) {
	k := newKeys(t)
	dir := fixtureDir(t, k)
	path := writeFile(t, filepath.Join(dir, "reprisals.toml"), k.replacer(dir).Replace(`
# Production configuration.
listen = "0.0.0.0:9000"
public_url = "https://report.example.org/"

[database]
url_file = '$DIR/db-url'
max_conns = 25

[receipts]
key_file = '$DIR/receipt-key'

[[teams]]
name = "secretariat"
address = "sec@example.org"
receives = "upr"
recipients = ["$X1"]

[[teams]]
name = "field-office"
address = "field@example.org"
receives = "all"
recipients = ["$X1", "  $X2  "]
recipients_file = '$DIR/alpha.txt' # $X2 and $X3
`))

	cfg, err := config.Load(path, noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defaults := config.Default()
	want := config.Config{
		SMTP:          defaults.SMTP,
		Alerts:        defaults.Alerts,
		Handlers:      defaults.Handlers,
		Attachments:   defaults.Attachments,
		ShutdownGrace: defaults.ShutdownGrace,
		Retention:     defaults.Retention,
		QuickExitURL:  defaults.QuickExitURL,
		Listen:        "0.0.0.0:9000",
		PublicURL:     "https://report.example.org/",
		Database: config.Database{URLFile: filepath.Join(dir, "db-url"), MaxConns: 25, LockTimeout: defaults.Database.LockTimeout,
			StatementTimeout: defaults.Database.StatementTimeout, IdleInTransactionTimeout: defaults.Database.IdleInTransactionTimeout},
		Receipts:  config.Receipts{KeyFile: filepath.Join(dir, "receipt-key")},
		Reporters: defaults.Reporters,
		Teams: []config.Team{
			{Name: "secretariat", Address: "sec@example.org", Receives: "upr", Recipients: []string{k.x1}},
			{Name: "field-office", Address: "field@example.org", Receives: "all", Recipients: []string{k.x1, "  " + k.x2 + "  "}, RecipientsFile: filepath.Join(dir, "alpha.txt")},
		},
	}
	if diff := cmp.Diff(want, cfg, ignoreUnexported); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if cfg.ReceiptKey() != nil || cfg.Database.URL != "" {
		t.Error("Load resolved file-backed secrets before Validate")
	}

	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got, want := cfg.PublicURL, "https://report.example.org"; got != want {
		t.Errorf("PublicURL = %q, want %q (trailing slash removed)", got, want)
	}
	if got := cfg.Database.URL.Reveal(); got != k.dbURL {
		t.Errorf("database URL = %q, want %q (read from url_file, trimmed)", got, k.dbURL)
	}
	wantKey, _ := hex.DecodeString(k.keyHex)
	if diff := cmp.Diff(wantKey, cfg.ReceiptKey()); diff != "" {
		t.Errorf("ReceiptKey() (-want +got):\n%s", diff)
	}
	if len(cfg.ReceiptKey()) != 32 {
		t.Errorf("ReceiptKey() is %d bytes, want 32", len(cfg.ReceiptKey()))
	}
	if diff := cmp.Diff([]string{k.x1}, keyStrings(cfg.Teams[0].Keys())); diff != "" {
		t.Errorf("secretariat Keys() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{k.x1, k.x2, k.x3}, keyStrings(cfg.Teams[1].Keys())); diff != "" {
		t.Errorf("field-office Keys() (inline + file, deduplicated) (-want +got):\n%s", diff)
	}
	for _, team := range cfg.Teams {
		for _, r := range team.Keys() {
			if r.PostQuantum() {
				t.Errorf("team %s: %s reported as post-quantum", team.Name, r)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	k := newKeys(t)
	const mib = 1 << 20
	tests := []struct {
		name    string
		content string // "" means: no file at the path
		want    []string
		secrets []string // must not appear in the error
	}{
		{name: "unknown top-level key", content: "listen = ':1'\ncolour = 'blue'\n", want: []string{`unknown key "colour"`}},
		{name: "unknown database key", content: "[database]\npassword = '" + k.dbPassword + "'\n", want: []string{`unknown key "database.password"`}, secrets: []string{k.dbPassword}},
		{name: "unknown team key", content: "[[teams]]\nname = 'a'\nemail = 'a@example.org'\n", want: []string{`unknown key "teams.email"`}},
		{name: "receipt key is not settable in the file", content: "[receipts]\nkey = '$KEY'\n", want: []string{`unknown key "receipts.key"`}, secrets: []string{k.keyHex}},
		{name: "malformed", content: "listen = \n", want: []string{"line 1"}},
		{name: "unterminated string with password", content: "[database]\nurl = \"$DBURL\n", want: []string{"line 2"}, secrets: []string{k.dbPassword}},
		{name: "wrong type", content: "listen = 8080\n", want: []string{"listen"}},
		{name: "max_conns out of int32", content: "[database]\nmax_conns = 99999999999\n", want: []string{"max_conns"}},
		{name: "duplicate key", content: "listen = ':1'\nlisten = ':2'\n", want: []string{"listen"}},
		{name: "teams as a table", content: "[teams]\nname = 'a'\n", want: []string{"teams"}},
		{name: "missing file", content: "", want: []string{"config file", "no such file"}},
		{name: "over 1 MiB", content: strings.Repeat("#", mib) + "\n", want: []string{"larger than"}},
		{name: "far over 1 MiB", content: "listen = ':1'\n" + strings.Repeat("# comment\n", mib), want: []string{"larger than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "reprisals.toml")
			if tt.content != "" {
				writeFile(t, path, k.replacer(dir).Replace(tt.content))
			}
			_, err := config.Load(path, noEnv)
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			assertNotContains(t, "Load error", err.Error(), tt.secrets...)
		})
	}

	t.Run("exactly 1 MiB", func(t *testing.T) {
		head := "listen = ':1234'\n"
		content := head + "#" + strings.Repeat("x", mib-len(head)-2) + "\n"
		if len(content) != mib {
			t.Fatalf("content is %d bytes", len(content))
		}
		path := writeFile(t, filepath.Join(t.TempDir(), "c.toml"), content)
		cfg, err := config.Load(path, noEnv)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if cfg.Listen != ":1234" {
			t.Errorf("Listen = %q, want %q", cfg.Listen, ":1234")
		}
	})
}

func TestLoadEnv(t *testing.T) {
	k := newKeys(t)
	key1, _ := hex.DecodeString(k.keyHex)
	key2, _ := hex.DecodeString(k.key2Hex)

	// A file that sets everything env can override.
	const fullFile = `
listen = "10.0.0.1:1000"
public_url = "https://file.example.org"
[database]
url = "postgres://file@db/file"
url_file = '$DIR/db-url-2'
max_conns = 7
[receipts]
key_file = '$DIR/receipt-key-2'
[[teams]]
name = "upr-secretariat"
address = "file-upr@example.org"
receives = "upr"
recipients = ["$X1"]
[[teams]]
name = "reprisals-team"
address = "file-all@example.org"
receives = "all"
recipients = ["$X1"]
recipients_file = '$DIR/alpha.txt'
`
	tests := []struct {
		name     string
		file     string // TOML; "" for none
		env      map[string]string
		wantErr  string // Load error
		validate bool   // call Validate (must succeed) before check
		check    func(t *testing.T, c config.Config)
	}{
		{
			name: "REPRISALS_LISTEN",
			env:  map[string]string{"REPRISALS_LISTEN": "[::1]:9999"},
			check: func(t *testing.T, c config.Config) {
				if c.Listen != "[::1]:9999" {
					t.Errorf("Listen = %q", c.Listen)
				}
			},
		},
		{
			name: "REPRISALS_PUBLIC_URL",
			env:  map[string]string{"REPRISALS_PUBLIC_URL": "https://env.example.org"},
			check: func(t *testing.T, c config.Config) {
				if c.PublicURL != "https://env.example.org" {
					t.Errorf("PublicURL = %q", c.PublicURL)
				}
			},
		},
		{
			name: "DATABASE_URL",
			env:  map[string]string{"DATABASE_URL": "$DBURL"},
			check: func(t *testing.T, c config.Config) {
				if c.Database.URL.Reveal() != k.dbURL {
					t.Errorf("Database.URL = %q", c.Database.URL.Reveal())
				}
			},
		},
		{
			name:     "DATABASE_URL_FILE",
			env:      map[string]string{"DATABASE_URL_FILE": "$DIR/db-url", "REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "$X1", "REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS": "$X2"},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if c.Database.URL.Reveal() != k.dbURL {
					t.Errorf("Database.URL = %q, want the trimmed content of DATABASE_URL_FILE", c.Database.URL.Reveal())
				}
			},
		},
		{
			name:     "REPRISALS_RECEIPT_KEY",
			env:      map[string]string{"REPRISALS_RECEIPT_KEY": "$KEY", "REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "$X1", "REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS": "$X2"},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if diff := cmp.Diff(key1, c.ReceiptKey()); diff != "" {
					t.Errorf("ReceiptKey (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:     "REPRISALS_RECEIPT_KEY_FILE",
			env:      map[string]string{"REPRISALS_RECEIPT_KEY_FILE": "$DIR/receipt-key", "REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "$X1", "REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS": "$X2"},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if diff := cmp.Diff(key1, c.ReceiptKey()); diff != "" {
					t.Errorf("ReceiptKey (-want +got):\n%s", diff)
				}
			},
		},
		{
			// Documented order: environment, then secrets from *_FILE paths.
			name:     "receipt key file wins over REPRISALS_RECEIPT_KEY",
			env:      map[string]string{"REPRISALS_RECEIPT_KEY": "$KEY", "REPRISALS_RECEIPT_KEY_FILE": "$DIR/receipt-key-2", "REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "$X1", "REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS": "$X2"},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if diff := cmp.Diff(key2, c.ReceiptKey()); diff != "" {
					t.Errorf("ReceiptKey (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "REPRISALS_DATABASE_MAX_CONNS",
			env:  map[string]string{"REPRISALS_DATABASE_MAX_CONNS": "50"},
			check: func(t *testing.T, c config.Config) {
				if c.Database.MaxConns != 50 {
					t.Errorf("MaxConns = %d", c.Database.MaxConns)
				}
			},
		},
		{name: "REPRISALS_DATABASE_MAX_CONNS not a number", env: map[string]string{"REPRISALS_DATABASE_MAX_CONNS": "ten"}, wantErr: "REPRISALS_DATABASE_MAX_CONNS"},
		{name: "REPRISALS_DATABASE_MAX_CONNS fractional", env: map[string]string{"REPRISALS_DATABASE_MAX_CONNS": "2.5"}, wantErr: "REPRISALS_DATABASE_MAX_CONNS"},
		{name: "REPRISALS_DATABASE_MAX_CONNS overflows int32", env: map[string]string{"REPRISALS_DATABASE_MAX_CONNS": "4294967297"}, wantErr: "REPRISALS_DATABASE_MAX_CONNS"},
		{
			name:     "REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS comma separated",
			env:      map[string]string{"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "$X1, $X2,$X3,", "REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS": "$X2"},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if diff := cmp.Diff([]string{k.x1, k.x2, k.x3}, c.Teams[1].Recipients); diff != "" {
					t.Errorf("reprisals-team Recipients (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]string{k.x1, k.x2, k.x3}, keyStrings(c.Teams[1].Keys())); diff != "" {
					t.Errorf("reprisals-team Keys (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]string{k.x2}, keyStrings(c.Teams[0].Keys())); diff != "" {
					t.Errorf("upr-secretariat Keys (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "REPRISALS_TEAM_UPR_SECRETARIAT_ADDRESS",
			env:  map[string]string{"REPRISALS_TEAM_UPR_SECRETARIAT_ADDRESS": "upr-test@example.org"},
			check: func(t *testing.T, c config.Config) {
				if c.Teams[0].Address != "upr-test@example.org" {
					t.Errorf("upr-secretariat Address = %q", c.Teams[0].Address)
				}
				if c.Teams[1].Address != "reprisals@ohchr.org" {
					t.Errorf("reprisals-team Address changed to %q", c.Teams[1].Address)
				}
			},
		},
		{
			name:     "REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS_FILE",
			env:      map[string]string{"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS_FILE": "$DIR/alpha.txt", "REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "$X1"},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if !strings.HasSuffix(c.Teams[0].RecipientsFile, "alpha.txt") {
					t.Errorf("RecipientsFile = %q", c.Teams[0].RecipientsFile)
				}
				if diff := cmp.Diff([]string{k.x2, k.x3}, keyStrings(c.Teams[0].Keys())); diff != "" {
					t.Errorf("upr-secretariat Keys (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "env wins over file",
			file: fullFile,
			env: map[string]string{
				"REPRISALS_LISTEN":                               ":7000",
				"REPRISALS_PUBLIC_URL":                           "https://env.example.org/",
				"DATABASE_URL":                                   "postgres://env@db/env",
				"DATABASE_URL_FILE":                              "$DIR/db-url",
				"REPRISALS_DATABASE_MAX_CONNS":                   "70",
				"REPRISALS_RECEIPT_KEY_FILE":                     "$DIR/receipt-key",
				"REPRISALS_TEAM_UPR_SECRETARIAT_ADDRESS":         "env-upr@example.org",
				"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS":      "$X2",
				"REPRISALS_TEAM_REPRISALS_TEAM_ADDRESS":          "env-all@example.org",
				"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS":       "$X3",
				"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS_FILE":  "$DIR/x3.txt",
				"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS_FILE": "$DIR/x3.txt",
			},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				got := struct {
					Listen, PublicURL, URL, UPRAddr, AllAddr string
					MaxConns                                 int32
					UPRKeys, AllKeys                         []string
					Key                                      []byte
				}{c.Listen, c.PublicURL, c.Database.URL.Reveal(), c.Teams[0].Address, c.Teams[1].Address,
					c.Database.MaxConns, keyStrings(c.Teams[0].Keys()), keyStrings(c.Teams[1].Keys()), c.ReceiptKey()}
				want := got
				want.Listen, want.PublicURL, want.URL = ":7000", "https://env.example.org", k.dbURL
				want.UPRAddr, want.AllAddr, want.MaxConns = "env-upr@example.org", "env-all@example.org", 70
				want.UPRKeys, want.AllKeys, want.Key = []string{k.x2, k.x3}, []string{k.x3}, key1
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("effective config (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "empty env values do not override",
			file: fullFile,
			env: map[string]string{
				"REPRISALS_LISTEN": "", "REPRISALS_PUBLIC_URL": "", "DATABASE_URL": "",
				"REPRISALS_DATABASE_MAX_CONNS": "", "REPRISALS_TEAM_UPR_SECRETARIAT_ADDRESS": "",
				"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS": "",
			},
			check: func(t *testing.T, c config.Config) {
				if c.Listen != "10.0.0.1:1000" || c.PublicURL != "https://file.example.org" ||
					c.Database.URL.Reveal() != "postgres://file@db/file" || c.Database.MaxConns != 7 ||
					c.Teams[0].Address != "file-upr@example.org" || len(c.Teams[1].Recipients) != 1 {
					t.Errorf("empty env values changed the file's settings: %+v", c)
				}
			},
		},
		{
			name: "team env names follow the file's team names",
			file: "[[teams]]\nname = 'field-office-2'\naddress = 'f@example.org'\nreceives = 'all'\n",
			env: map[string]string{
				"REPRISALS_TEAM_FIELD_OFFICE_2_ADDRESS":      "f2@example.org",
				"REPRISALS_TEAM_FIELD_OFFICE_2_RECIPIENTS":   "$X1 $X2",
				"REPRISALS_TEAM_UPR_SECRETARIAT_ADDRESS":     "ignored@example.org",
				"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS":  "$X3",
				"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS":   "$X3",
				"REPRISALS_TEAM_FIELD_OFFICE_2_UNKNOWN_SUFF": "x",
			},
			validate: true,
			check: func(t *testing.T, c config.Config) {
				if len(c.Teams) != 1 {
					t.Fatalf("got %d teams, want only the file's team", len(c.Teams))
				}
				if c.Teams[0].Address != "f2@example.org" {
					t.Errorf("Address = %q", c.Teams[0].Address)
				}
				if diff := cmp.Diff([]string{k.x1, k.x2}, keyStrings(c.Teams[0].Keys())); diff != "" {
					t.Errorf("Keys (-want +got):\n%s", diff)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixtureDir(t, k)
			rep := k.replacer(dir)
			path := ""
			if tt.file != "" {
				path = writeFile(t, filepath.Join(dir, "reprisals.toml"), rep.Replace(tt.file))
			}
			env := make(map[string]string, len(tt.env))
			for name, v := range tt.env {
				env[name] = rep.Replace(v)
			}
			cfg, err := config.Load(path, envFrom(env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tt.validate {
				if err := cfg.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
			}
			tt.check(t, cfg)
		})
	}
}

// validConfig returns a configuration that passes Validate: team alpha
// receives all reports, team beta UPR reports.
func validConfig(k keys) config.Config {
	cfg := config.Default()
	cfg.Receipts.Key = config.Secret(k.keyHex)
	cfg.Teams = []config.Team{
		{Name: "alpha", Address: "alpha@example.org", Receives: "all", Recipients: []string{k.x1}},
		{Name: "beta", Address: "beta@example.org", Receives: "upr", Recipients: []string{k.x2}},
	}
	return cfg
}

func TestValidate(t *testing.T) {
	k := newKeys(t)
	tests := []struct {
		name     string
		mutate   func(c *config.Config, dir string)
		wantKeys []string // keys named by the error lines, in order; nil: valid
		want     []string // substrings of the error
		secrets  []string // must not appear in the error
	}{
		{name: "valid", mutate: func(*config.Config, string) {}},
		{name: "listen with empty host", mutate: func(c *config.Config, _ string) { c.Listen = ":8080" }},
		{name: "listen IPv6", mutate: func(c *config.Config, _ string) { c.Listen = "[::1]:8080" }},
		{name: "max_conns 1", mutate: func(c *config.Config, _ string) { c.Database.MaxConns = 1 }},
		{name: "max_conns 1000", mutate: func(c *config.Config, _ string) { c.Database.MaxConns = 1000 }},
		{name: "all post-quantum", mutate: func(c *config.Config, _ string) {
			c.Teams[0].Recipients, c.Teams[1].Recipients = []string{k.pq1}, []string{k.pq2, k.pq1}
		}},
		{name: "recipients file only", mutate: func(c *config.Config, dir string) {
			c.Teams[0].Recipients, c.Teams[0].RecipientsFile = nil, filepath.Join(dir, "alpha.txt")
		}},
		{name: "40-character team name", mutate: func(c *config.Config, _ string) { c.Teams[1].Name = "b" + strings.Repeat("-9", 19) + "z" }},
		{name: "receipt key from file", mutate: func(c *config.Config, dir string) {
			c.Receipts.Key, c.Receipts.KeyFile = "", filepath.Join(dir, "receipt-key")
		}},
		{name: "database url file", mutate: func(c *config.Config, dir string) { c.Database.URLFile = filepath.Join(dir, "db-url") }},

		{
			name:     "identity in recipients",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Recipients = []string{k.idSecret} },
			wantKeys: []string{"teams.alpha.recipients[0]"},
			want:     []string{"private key"},
			secrets:  []string{k.idSecret, k.idSecret[len("AGE-SECRET-KEY-1"):][:20]},
		},
		{
			name:     "lower-case identity second in recipients",
			mutate:   func(c *config.Config, _ string) { c.Teams[1].Recipients = []string{k.x2, strings.ToLower(k.idSecret)} },
			wantKeys: []string{"teams.beta.recipients[1]"},
			want:     []string{"private key"},
			secrets:  []string{k.idSecret},
		},
		{
			name:     "hybrid identity in recipients",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Recipients = []string{k.pqSecret} },
			wantKeys: []string{"teams.alpha.recipients[0]"},
			want:     []string{"private key"},
			secrets:  []string{k.pqSecret, k.pqSecret[len("AGE-SECRET-KEY-PQ-1"):][:20]},
		},
		{
			name: "identity in recipients_file",
			mutate: func(c *config.Config, dir string) {
				c.Teams[0].RecipientsFile = filepath.Join(dir, "with-identity.txt")
			},
			wantKeys: []string{"teams.alpha.recipients_file"},
			want:     []string{"with-identity.txt", "line 3", "private key"},
			secrets:  []string{k.idSecret, k.idSecret[len("AGE-SECRET-KEY-1"):][:20]},
		},
		{
			name:     "garbage recipient",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Recipients = []string{"hunter2hunter2"} },
			wantKeys: []string{"teams.alpha.recipients[0]"},
			secrets:  []string{"hunter2hunter2"},
		},
		{
			name:     "missing recipients file",
			mutate:   func(c *config.Config, dir string) { c.Teams[1].RecipientsFile = filepath.Join(dir, "nope.txt") },
			wantKeys: []string{"teams.beta.recipients_file"},
			want:     []string{"cannot open", "nope.txt", "no such file"},
		},
		{
			name:     "recipients file over 64 KiB",
			mutate:   func(c *config.Config, dir string) { c.Teams[1].RecipientsFile = filepath.Join(dir, "huge.txt") },
			wantKeys: []string{"teams.beta.recipients_file"},
			want:     []string{"larger than"},
		},
		{
			name:     "no recipients",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Recipients = nil },
			wantKeys: []string{"teams.alpha.recipients"},
			want:     []string{"no age recipient"},
		},
		{name: "upper-case team name", mutate: func(c *config.Config, _ string) { c.Teams[0].Name = "Alpha" }, wantKeys: []string{"teams.Alpha.name"}},
		{name: "empty team name", mutate: func(c *config.Config, _ string) { c.Teams[1].Name = "" }, wantKeys: []string{"teams[1].name"}},
		{name: "team name with underscore", mutate: func(c *config.Config, _ string) { c.Teams[0].Name = "al_pha" }, wantKeys: []string{"teams.al_pha.name"}},
		{name: "team name starting with hyphen", mutate: func(c *config.Config, _ string) { c.Teams[0].Name = "-alpha" }, wantKeys: []string{"teams.-alpha.name"}},
		{name: "team name with space", mutate: func(c *config.Config, _ string) { c.Teams[0].Name = "al pha" }, wantKeys: []string{"teams.al pha.name"}},
		{name: "41-character team name", mutate: func(c *config.Config, _ string) { c.Teams[0].Name = strings.Repeat("a", 41) }, wantKeys: []string{"teams." + strings.Repeat("a", 41) + ".name"}},
		{
			name:     "duplicate team name",
			mutate:   func(c *config.Config, _ string) { c.Teams[1].Name = "alpha" },
			wantKeys: []string{"teams.alpha.name"},
			want:     []string{"appears twice"},
		},
		{name: "address not an email", mutate: func(c *config.Config, _ string) { c.Teams[0].Address = "not an email" }, wantKeys: []string{"teams.alpha.address"}},
		{name: "address with display name", mutate: func(c *config.Config, _ string) { c.Teams[0].Address = "Name <a@b.org>" }, wantKeys: []string{"teams.alpha.address"}},
		{name: "address list", mutate: func(c *config.Config, _ string) { c.Teams[0].Address = "a@b.org, c@d.org" }, wantKeys: []string{"teams.alpha.address"}},
		{name: "address empty", mutate: func(c *config.Config, _ string) { c.Teams[1].Address = "" }, wantKeys: []string{"teams.beta.address"}},
		{
			name:     "receives unknown",
			mutate:   func(c *config.Config, _ string) { c.Teams[1].Receives = "everything" },
			wantKeys: []string{"teams.beta.receives"},
			want:     []string{`"all"`, `"upr"`},
		},
		{name: "receives empty", mutate: func(c *config.Config, _ string) { c.Teams[1].Receives = "" }, wantKeys: []string{"teams.beta.receives"}},
		{
			name:     "receives upper case on the only all team",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Receives = "ALL" },
			wantKeys: []string{"teams.alpha.receives", "teams"},
		},
		{
			name:     "no team receives all",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Receives = "upr" },
			wantKeys: []string{"teams"},
			want:     []string{`receives = "all"`},
		},
		{
			name:     "no teams",
			mutate:   func(c *config.Config, _ string) { c.Teams = nil },
			wantKeys: []string{"teams"},
			want:     []string{"at least one team"},
		},
		{
			name:     "post-quantum and classic across teams",
			mutate:   func(c *config.Config, _ string) { c.Teams[1].Recipients = []string{k.pq1} },
			wantKeys: []string{"teams"},
			want:     []string{"cannot be mixed"},
		},
		{
			name:     "post-quantum and classic within a team",
			mutate:   func(c *config.Config, _ string) { c.Teams[0].Recipients = []string{k.pq1, k.x1} },
			wantKeys: []string{"teams"},
			want:     []string{"cannot be mixed"},
		},
		{name: "listen without port", mutate: func(c *config.Config, _ string) { c.Listen = "localhost" }, wantKeys: []string{"listen"}},
		{name: "listen bare port", mutate: func(c *config.Config, _ string) { c.Listen = "8080" }, wantKeys: []string{"listen"}},
		{name: "listen empty", mutate: func(c *config.Config, _ string) { c.Listen = "" }, wantKeys: []string{"listen"}},
		{name: "public_url without scheme", mutate: func(c *config.Config, _ string) { c.PublicURL = "report.example.org" }, wantKeys: []string{"public_url"}},
		{name: "public_url ftp", mutate: func(c *config.Config, _ string) { c.PublicURL = "ftp://report.example.org" }, wantKeys: []string{"public_url"}},
		{name: "public_url empty", mutate: func(c *config.Config, _ string) { c.PublicURL = "" }, wantKeys: []string{"public_url"}},
		{name: "unknown statuses in retention.days and status_names, in a stable order", mutate: func(c *config.Config, _ string) {
			c.Retention.Days = map[string]int{"zzz": 1, "closed": 5, "archived": 30, "duplicate": -1}
			c.Handlers.StatusNames = map[string]string{"done": "Done", "received": "New", "acknowledged": ""}
		}, wantKeys: []string{"retention.days.archived", "retention.days.duplicate", "retention.days.zzz",
			"handlers.status_names.acknowledged", "handlers.status_names.done"}, want: []string{`"archived" is not a status`}},
		{name: "upload limits", mutate: func(c *config.Config, _ string) {
			c.Attachments.MaxConcurrentUploads, c.Attachments.MinUploadRate = 0, 0
			c.Attachments.UploadRateWindow.Duration, c.Attachments.MaxUploadTime.Duration = 0, time.Second
			c.ShutdownGrace.Duration = -time.Second
		}, wantKeys: []string{"attachments.max_concurrent_uploads", "attachments.min_upload_rate", "attachments.upload_rate_window",
			"attachments.max_upload_time", "shutdown_grace"}},
		{name: "positive durations, in a stable order", mutate: func(c *config.Config, _ string) {
			c.Alerts.Poll.Duration, c.Alerts.Lease.Duration = 0, 0
			c.SMTP.SubmissionTimeout.Duration, c.SMTP.ConnectTimeout.Duration = 0, 0
		}, wantKeys: []string{"smtp.connect_timeout", "smtp.submission_timeout", "alerts.lease", "alerts.poll"}},
		{name: "max_conns 0", mutate: func(c *config.Config, _ string) { c.Database.MaxConns = 0 }, wantKeys: []string{"database.max_conns"}},
		{name: "max_conns negative", mutate: func(c *config.Config, _ string) { c.Database.MaxConns = -5 }, wantKeys: []string{"database.max_conns"}},
		{name: "max_conns 1001", mutate: func(c *config.Config, _ string) { c.Database.MaxConns = 1001 }, wantKeys: []string{"database.max_conns"}},
		{
			name:     "receipt key too short",
			mutate:   func(c *config.Config, _ string) { c.Receipts.Key = config.Secret(k.keyHex[:62]) },
			wantKeys: []string{"REPRISALS_RECEIPT_KEY"},
			want:     []string{"at least 32 bytes"},
			secrets:  []string{k.keyHex[:62]},
		},
		{
			name:     "receipt key not hex",
			mutate:   func(c *config.Config, _ string) { c.Receipts.Key = config.Secret("zz" + k.keyHex[2:]) },
			wantKeys: []string{"REPRISALS_RECEIPT_KEY"},
			want:     []string{"hex"},
			secrets:  []string{k.keyHex[2:]},
		},
		{
			name:     "receipt key file too short",
			mutate:   func(c *config.Config, dir string) { c.Receipts.KeyFile = filepath.Join(dir, "short-key") },
			wantKeys: []string{"receipts.key_file"},
			want:     []string{"at least 32 bytes"},
			secrets:  []string{k.keyHex[:62]},
		},
		{
			name:     "receipt key file missing",
			mutate:   func(c *config.Config, dir string) { c.Receipts.KeyFile = filepath.Join(dir, "no-key") },
			wantKeys: []string{"receipts.key_file"},
			want:     []string{"cannot read", "no-key"},
		},
		{
			name: "receipt key file empty",
			mutate: func(c *config.Config, dir string) {
				c.Receipts.Key, c.Receipts.KeyFile = "", filepath.Join(dir, "empty")
			},
			wantKeys: []string{"receipts.key_file"},
			want:     []string{"is empty"},
		},
		{
			name:     "database url_file missing",
			mutate:   func(c *config.Config, dir string) { c.Database.URLFile = filepath.Join(dir, "no-db-url") },
			wantKeys: []string{"database.url_file"},
			want:     []string{"cannot read", "no-db-url", "no such file"},
		},
		{
			name:     "database url_file empty",
			mutate:   func(c *config.Config, dir string) { c.Database.URLFile = filepath.Join(dir, "empty") },
			wantKeys: []string{"database.url_file"},
			want:     []string{"is empty"},
		},
		{name: "onion_listen IPv4 loopback", mutate: func(c *config.Config, _ string) { c.OnionListen = "127.0.0.1:8081" }},
		{name: "onion_listen IPv6 loopback", mutate: func(c *config.Config, _ string) { c.OnionListen = "[::1]:8081" }},
		{name: "onion_listen localhost", mutate: func(c *config.Config, _ string) { c.OnionListen = "localhost:8081" }},
		{
			name:     "onion_listen on every interface",
			mutate:   func(c *config.Config, _ string) { c.OnionListen = ":8081" },
			wantKeys: []string{"onion_listen"},
			want:     []string{"loopback"},
		},
		{
			name:     "onion_listen on a public address",
			mutate:   func(c *config.Config, _ string) { c.OnionListen = "192.0.2.10:8081" },
			wantKeys: []string{"onion_listen"},
			want:     []string{"loopback"},
		},
		{
			name:     "onion_listen on 0.0.0.0",
			mutate:   func(c *config.Config, _ string) { c.OnionListen = "0.0.0.0:8081" },
			wantKeys: []string{"onion_listen"},
		},
		{
			name:     "onion_listen on a host name",
			mutate:   func(c *config.Config, _ string) { c.OnionListen = "tor.example.org:8081" },
			wantKeys: []string{"onion_listen"},
		},
		{
			name: "every problem is listed",
			mutate: func(c *config.Config, _ string) {
				c.Listen, c.PublicURL, c.Database.MaxConns = "x", "y", 0
				c.Teams[0].Address, c.Teams[1].Receives = "nobody", "some"
			},
			wantKeys: []string{"listen", "public_url", "database.max_conns", "teams.alpha.address", "teams.beta.receives"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixtureDir(t, k)
			cfg := validConfig(k)
			tt.mutate(&cfg, dir)
			err := cfg.Validate()
			if diff := cmp.Diff(tt.wantKeys, errKeys(err)); diff != "" {
				t.Fatalf("keys named by the error (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err == nil {
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			assertNotContains(t, "Validate error", err.Error(), tt.secrets...)
		})
	}
}

func TestValidateResolvesValues(t *testing.T) {
	k := newKeys(t)
	cfg := validConfig(k)
	cfg.PublicURL = "https://report.example.org///"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://report.example.org" {
		t.Errorf("PublicURL = %q, want trailing slashes removed", cfg.PublicURL)
	}
	want, _ := hex.DecodeString(k.keyHex)
	if diff := cmp.Diff(want, cfg.ReceiptKey()); diff != "" {
		t.Errorf("ReceiptKey (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{k.x1}, keyStrings(cfg.Teams[0].Keys())); diff != "" {
		t.Errorf("alpha Keys (-want +got):\n%s", diff)
	}

	// Keys are recomputed, not accumulated, when recipients change.
	cfg.Teams[0].Recipients = []string{k.x3}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{k.x3}, keyStrings(cfg.Teams[0].Keys())); diff != "" {
		t.Errorf("alpha Keys after change (-want +got):\n%s", diff)
	}
}

func TestValidateIdempotent(t *testing.T) {
	k := newKeys(t)
	dir := fixtureDir(t, k)
	cfg := validConfig(k)
	cfg.Receipts.Key = ""
	cfg.Receipts.KeyFile = filepath.Join(dir, "receipt-key")
	cfg.Database.URLFile = filepath.Join(dir, "db-url")
	cfg.PublicURL = "https://report.example.org/"
	cfg.Teams[0].RecipientsFile = filepath.Join(dir, "alpha.txt")

	type snapshot struct {
		Key       []byte
		URL       string
		PublicURL string
		Keys      [][]string
		Dump      string
	}
	snap := func() snapshot {
		s := snapshot{Key: cfg.ReceiptKey(), URL: cfg.Database.URL.Reveal(), PublicURL: cfg.PublicURL, Dump: cfg.Dump()}
		for _, team := range cfg.Teams {
			s.Keys = append(s.Keys, keyStrings(team.Keys()))
		}
		return s
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("first Validate: %v", err)
	}
	first := snap()
	if len(first.Key) != 32 || first.URL != k.dbURL || len(first.Keys[0]) != 3 {
		t.Fatalf("first Validate did not resolve values: %+v", first)
	}
	for i := range 2 {
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Validate call %d: %v", i+2, err)
		}
		if diff := cmp.Diff(first, snap()); diff != "" {
			t.Errorf("Validate call %d changed the config (-first +now):\n%s", i+2, diff)
		}
	}
}

func TestDump(t *testing.T) {
	k := newKeys(t)
	dir := fixtureDir(t, k)
	tests := []struct {
		name string
		file string
		env  map[string]string
	}{
		{
			name: "url in file, key in env",
			file: "[database]\nurl = '$DBURL'\n",
			env:  map[string]string{"REPRISALS_RECEIPT_KEY": "$KEY"},
		},
		{
			name: "url in env, key file",
			env:  map[string]string{"DATABASE_URL": "$DBURL", "REPRISALS_RECEIPT_KEY_FILE": "$DIR/receipt-key"},
		},
		{
			name: "url file",
			file: "[database]\nurl_file = '$DIR/db-url'\n[receipts]\nkey_file = '$DIR/receipt-key'\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := k.replacer(dir)
			env := map[string]string{
				"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS": k.x1,
				"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS":  k.x2,
			}
			for name, v := range tt.env {
				env[name] = rep.Replace(v)
			}
			path := ""
			if tt.file != "" {
				path = writeFile(t, filepath.Join(t.TempDir(), "c.toml"), rep.Replace(tt.file))
			}
			cfg, err := config.Load(path, envFrom(env))
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if cfg.Database.URL.Reveal() != k.dbURL || len(cfg.ReceiptKey()) != 32 {
				t.Fatalf("secrets not loaded: url %q, key %d bytes", cfg.Database.URL.Reveal(), len(cfg.ReceiptKey()))
			}
			dump := cfg.Dump()
			if !strings.Contains(dump, `url = "[redacted]"`) {
				t.Errorf("dump does not show the database URL as [redacted]:\n%s", dump)
			}
			for _, want := range []string{`listen = "127.0.0.1:8080"`, `name = "upr-secretariat"`, k.x1, k.x2} {
				if !strings.Contains(dump, want) {
					t.Errorf("dump does not contain %q:\n%s", want, dump)
				}
			}
			assertNotContains(t, "Dump", dump, k.dbPassword, k.dbURL, "postgres://", k.keyHex, strings.ToUpper(k.keyHex))

			// The dump is valid TOML.
			var parsed map[string]any
			if _, err := toml.Decode(dump, &parsed); err != nil {
				t.Fatalf("dump is not valid TOML: %v\n%s", err, dump)
			}
			db, _ := parsed["database"].(map[string]any)
			if db["url"] != "[redacted]" {
				t.Errorf("parsed database.url = %v, want [redacted]", db["url"])
			}
		})
	}

	t.Run("empty url is not marked redacted", func(t *testing.T) {
		cfg := validConfig(k)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		dump := cfg.Dump()
		if !strings.Contains(dump, `url = ""`) || strings.Contains(dump, "[redacted]") {
			t.Errorf("dump of a config without a database URL:\n%s", dump)
		}
		assertNotContains(t, "Dump", dump, k.keyHex)
	})
}

func TestSecretFormatting(t *testing.T) {
	const value = "postgres://u:S3cretPw@h/db"
	s := config.Secret(value)
	db := config.Database{URL: s, MaxConns: 3}
	tests := []struct {
		name string
		got  func() string
		want string // "" means only: must not contain the value
	}{
		{name: "String", got: s.String, want: "[redacted]"},
		{name: "%v", got: func() string { return fmt.Sprintf("%v", s) }, want: "[redacted]"},
		{name: "%s", got: func() string { return fmt.Sprintf("%s", s) }, want: "[redacted]"},
		{name: "%+v", got: func() string { return fmt.Sprintf("%+v", s) }, want: "[redacted]"},
		{name: "%q", got: func() string { return fmt.Sprintf("%q", s) }, want: `"[redacted]"`},
		{name: "Sprint", got: func() string { return fmt.Sprint(s) }, want: "[redacted]"},
		{name: "Sprintln", got: func() string { return fmt.Sprintln("url", s) }, want: "url [redacted]\n"},
		{name: "pointer %v", got: func() string { return fmt.Sprintf("%v", &s) }, want: "[redacted]"},
		{name: "in struct %v", got: func() string { return fmt.Sprintf("%v", db) }},
		{name: "in struct %+v", got: func() string { return fmt.Sprintf("%+v", db) }},
		{name: "in map %v", got: func() string { return fmt.Sprintf("%v", map[string]config.Secret{"k": s}) }, want: "map[k:[redacted]]"},
		{name: "JSON", got: func() string { b, _ := json.Marshal(s); return string(b) }, want: `"[redacted]"`},
		{name: "JSON struct", got: func() string { b, _ := json.Marshal(db); return string(b) }},
		{name: "MarshalText", got: func() string { b, _ := s.MarshalText(); return string(b) }, want: "[redacted]"},
		{name: "MarshalText empty", got: func() string { b, _ := config.Secret("").MarshalText(); return string(b) }, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.got()
			if tt.want != "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "S3cretPw") {
				t.Errorf("output %q reveals the secret", got)
			}
		})
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), value)
	}
}

func TestBugKeysDeduplicatedAcrossSources(t *testing.T) {
	k := newKeys(t)
	dir := fixtureDir(t, k)
	cfg := validConfig(k)
	cfg.Teams[0].Recipients = []string{k.x3, k.x1}
	cfg.Teams[0].RecipientsFile = filepath.Join(dir, "x3.txt") // x3 again, not adjacent
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{k.x3, k.x1}, keyStrings(cfg.Teams[0].Keys())); diff != "" {
		t.Errorf("Keys not deduplicated (-want +got):\n%s", diff)
	}
}

func TestBugEmptyRecipientsFileAccepted(t *testing.T) {
	k := newKeys(t)
	dir := fixtureDir(t, k)
	cfg := validConfig(k)
	cfg.Teams[0].Recipients = nil
	cfg.Teams[0].RecipientsFile = writeFile(t, filepath.Join(dir, "comments-only.txt"), "# keys go here\n")
	err := cfg.Validate()
	if diff := cmp.Diff([]string{"teams.alpha.recipients"}, errKeys(err)); diff != "" {
		t.Errorf("a team with no usable recipient passed validation (-want +got keys):\n%s\nerror: %v", diff, err)
	}
}

func TestBugLoadDirectory(t *testing.T) {
	if _, err := config.Load(t.TempDir(), noEnv); err == nil {
		t.Error("Load(directory) succeeded, want an error")
	}
}

func TestBugSecretGoSyntax(t *testing.T) {
	s := config.Secret("postgres://u:S3cretPw@h/db")
	for _, got := range []string{fmt.Sprintf("%#v", s), fmt.Sprintf("%#v", config.Database{URL: s})} {
		if strings.Contains(got, "S3cretPw") {
			t.Errorf("%%#v reveals the secret: %s", got)
		}
	}
}

func TestBugConfigPrintLeaksReceiptKey(t *testing.T) {
	k := newKeys(t)
	cfg := validConfig(k)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	key := cfg.ReceiptKey()
	for _, got := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg.Receipts)} {
		if strings.Contains(got, fmt.Sprint(key)) {
			t.Errorf("printing the config reveals the receipt key: %s", got)
		}
	}
}
