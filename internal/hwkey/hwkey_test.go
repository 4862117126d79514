package hwkey_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"filippo.io/age/tag"

	"github.com/ohchr-reprisals/intake/internal/hwkey"
)

func identityOf(t *testing.T, file string) age.Identity {
	t.Helper()
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(line, "AGE-PLUGIN-") {
			id, err := plugin.NewIdentity(strings.TrimSpace(line), plugin.NewTerminalUI(t.Logf, t.Logf))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
	}
	t.Fatalf("no plugin identity in:\n%s", file)
	return nil
}

// TestPluginDecryptsItsOwnTaggedRecipient: what age encrypts natively to
// the plugin's age1tag1 recipient opens with its AGE-PLUGIN-HWTEST-1
// identity (run through the plugin protocol), and only with it: another
// slot's identity does not match, and an unplugged key is an error.
func TestPluginDecryptsItsOwnTaggedRecipient(t *testing.T) {
	dev, err := hwkey.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dev.Path())
	file, rec, err := dev.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(file, "AGE-SECRET-KEY") {
		t.Fatal("the identity file holds a private key")
	}
	r, err := tag.ParseRecipient(rec)
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, r)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "a case for the hardware key")
	w.Close()
	open := func(id age.Identity) (string, error) {
		rd, err := age.Decrypt(bytes.NewReader(ct.Bytes()), id)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(rd)
		return string(b), err
	}
	if got, err := open(identityOf(t, file)); err != nil || got != "a case for the hardware key" {
		t.Fatalf("the plugin opened %q, %v", got, err)
	}
	if dev.Uses() != 1 {
		t.Errorf("the device counted %d uses, want 1", dev.Uses())
	}
	other, _, err := dev.Generate()
	if err != nil {
		t.Fatal(err)
	}
	var nm *age.NoIdentityMatchError
	if _, err := open(identityOf(t, other)); !errors.As(err, &nm) {
		t.Errorf("another slot's identity: %v, want no identity match", err)
	}
	dev.Unplug()
	if _, err := open(identityOf(t, file)); err == nil || !strings.Contains(err.Error(), "not plugged in") {
		t.Errorf("unplugged: %v, want the plugin's error", err)
	}
}
