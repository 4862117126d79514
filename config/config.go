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
	"net"
	"net/mail"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/ohchr-reprisals/intake/crypto"
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
	Listen string `toml:"listen"`
	// PublicURL is the address reporters use, shown in start-up lines and,
	// later, in alerts. No trailing slash.
	PublicURL string `toml:"public_url"`

	Database Database `toml:"database"`
	Receipts Receipts `toml:"receipts"`
	Teams    []Team   `toml:"teams"`
}

// Database configures PostgreSQL.
type Database struct {
	// URL is a PostgreSQL connection string. Prefer DATABASE_URL or url_file.
	URL     Secret `toml:"url"`
	URLFile string `toml:"url_file"`
	// MaxConns bounds the connection pool.
	MaxConns int32 `toml:"max_conns"`
}

// Receipts configures reporters' receipt codes.
type Receipts struct {
	// KeyFile holds the receipt key: at least 32 random bytes in hex, used
	// to hash receipts. Losing it makes existing receipts unusable.
	KeyFile string `toml:"key_file"`
	// Key is the key in hex, from KeyFile or REPRISALS_RECEIPT_KEY.
	Key Secret `toml:"-"`

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
	Address string `toml:"address"`
	// Receives is "all" (every report) or "upr" (UPR-related reports only).
	Receives string `toml:"receives"`
	// Recipients are age recipients (age1...); RecipientsFile is a file of
	// them, one per line. Both may be given; the union is used.
	Recipients     []string `toml:"recipients"`
	RecipientsFile string   `toml:"recipients_file"`

	keys []crypto.Recipient
}

// Keys returns the team's parsed recipients. Valid after Validate.
func (t Team) Keys() []crypto.Recipient { return t.keys }

// Default returns the built-in configuration: the two OHCHR teams with
// their real addresses and no recipients (an operator or the dev command
// must supply them).
func Default() Config {
	return Config{
		Listen:    "127.0.0.1:8080",
		PublicURL: "http://127.0.0.1:8080",
		Database:  Database{MaxConns: 10},
		Teams: []Team{
			{Name: "upr-secretariat", Address: "uprreprisals@ohchr.org", Receives: ReceivesUPR},
			{Name: "reprisals-team", Address: "reprisals@ohchr.org", Receives: ReceivesAll},
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

func merge(cfg *Config, file Config, md toml.MetaData) {
	if md.IsDefined("listen") {
		cfg.Listen = file.Listen
	}
	if md.IsDefined("public_url") {
		cfg.PublicURL = file.PublicURL
	}
	if md.IsDefined("database", "url") {
		cfg.Database.URL = file.Database.URL
	}
	if md.IsDefined("database", "url_file") {
		cfg.Database.URLFile = file.Database.URLFile
	}
	if md.IsDefined("database", "max_conns") {
		cfg.Database.MaxConns = file.Database.MaxConns
	}
	if md.IsDefined("receipts", "key_file") {
		cfg.Receipts.KeyFile = file.Receipts.KeyFile
	}
	if md.IsDefined("teams") {
		cfg.Teams = file.Teams
	}
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&cfg.Listen, "REPRISALS_LISTEN")
	set(&cfg.PublicURL, "REPRISALS_PUBLIC_URL")
	if v := getenv("DATABASE_URL"); v != "" {
		cfg.Database.URL = Secret(v)
	}
	set(&cfg.Database.URLFile, "DATABASE_URL_FILE")
	if v := getenv("REPRISALS_DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return errors.New("REPRISALS_DATABASE_MAX_CONNS: not a whole number")
		}
		cfg.Database.MaxConns = int32(n)
	}
	if v := getenv("REPRISALS_RECEIPT_KEY"); v != "" {
		cfg.Receipts.Key = Secret(v)
	}
	set(&cfg.Receipts.KeyFile, "REPRISALS_RECEIPT_KEY_FILE")
	for i := range cfg.Teams {
		t := &cfg.Teams[i]
		prefix := "REPRISALS_TEAM_" + strings.ToUpper(strings.ReplaceAll(t.Name, "-", "_")) + "_"
		set(&t.Address, prefix+"ADDRESS")
		set(&t.RecipientsFile, prefix+"RECIPIENTS_FILE")
		if v := getenv(prefix + "RECIPIENTS"); v != "" {
			t.Recipients = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
		}
	}
	return nil
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
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		bad("public_url", "must start with http:// or https://")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")

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

	errs = append(errs, c.validateTeams()...)
	return errors.Join(errs...)
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
