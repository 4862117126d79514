package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/config"
)

// FuzzLoad: any configuration file loads or fails with an error, and a
// loaded one validates or fails with errors; a secret set in the file is
// never repeated in an error. Never a panic.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("reprisals.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add("listen = ':1'\n[retention.days]\nclosed = 5\narchived = 3\n")
	f.Add("[[teams]]\nname = 'a'\nrecipients = ['AGE-SECRET-KEY-1QQQ']\n")
	f.Add("shutdown_grace = '-1s'\n[attachments]\nmin_upload_rate = 0\n")
	f.Add("[smtp]\npassword = 'FUZZSECRET'\nport = 99999\n")
	f.Add("x = \"\x00\xff\"")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path, func(string) string { return "" })
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil && strings.Contains(content, "FUZZSECRET") && strings.Contains(err.Error(), "FUZZSECRET") {
			t.Fatalf("the error repeats a secret: %v", err)
		}
		cfg.Dump()
	})
}
