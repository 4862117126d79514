package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
)

// TestExampleConfig loads the annotated example, with its files pointed at
// generated keys, and checks that it documents every setting there is.
func TestExampleConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{
		"DATABASE_URL_FILE":            write("db", "postgres://reprisals:pw@db/reprisals\n"),
		"REPRISALS_RECEIPT_KEY_FILE":   write("receipt.key", crypto.NewReceiptKey()),
		"REPRISALS_SMTP_PASSWORD_FILE": write("smtp-password", "relay password\n"),
	}
	for _, team := range []string{"UPR_SECRETARIAT", "REPRISALS_TEAM"} {
		id, _ := age.GenerateX25519Identity()
		env["REPRISALS_TEAM_"+team+"_RECIPIENTS_FILE"] = write(team, "# "+team+"\n"+id.Recipient().String()+"\n")
	}
	cfg, err := config.Load("reprisals.example.toml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
	if cfg.PublicURL != "https://report.example.org" || len(cfg.Teams) != 2 || cfg.Teams[0].Address != "uprreprisals@ohchr.org" {
		t.Errorf("unexpected example values: %+v", cfg)
	}

	// Every settable key of Config appears in the example.
	var raw map[string]any
	if _, err := toml.DecodeFile("reprisals.example.toml", &raw); err != nil {
		t.Fatal(err)
	}
	settable := tomlKeys(reflect.TypeOf(config.Config{}), "")
	var documented []string
	for _, k := range keysOf(raw, "") {
		// Entries of a map setting (handlers.status_names.X) document the map.
		for _, s := range settable {
			if strings.HasPrefix(k, s+".") {
				k = s
			}
		}
		if !slices.Contains(documented, k) {
			documented = append(documented, k)
		}
	}
	slices.Sort(documented)
	slices.Sort(settable)
	if diff := cmp.Diff(settable, documented); diff != "" {
		t.Errorf("settings missing from (-) or unknown to (+) the example:\n%s", diff)
	}
}

func keysOf(m map[string]any, prefix string) []string {
	var out []string
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			out = append(out, keysOf(v, prefix+k+".")...)
		case []map[string]any:
			seen := map[string]bool{}
			for _, item := range v {
				for _, kk := range keysOf(item, prefix+k+".") {
					if !seen[kk] {
						seen[kk] = true
						out = append(out, kk)
					}
				}
			}
		default:
			out = append(out, prefix+k)
		}
	}
	return out
}

func tomlKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("toml")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(config.Duration{}) {
			out = append(out, tomlKeys(ft, prefix+name+".")...)
			continue
		}
		if name == "url" && strings.HasPrefix(prefix, "database") {
			continue // discouraged: a secret in the file; documented in a comment
		}
		out = append(out, prefix+name)
	}
	return out
}
