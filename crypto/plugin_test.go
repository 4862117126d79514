package crypto_test

import (
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/internal/hwkey"
)

// TestSigningKeyOfAHardwareKey: a signing key sealed to a hardware key's
// age1tag1 recipient opens with its plugin identity (the test plugin,
// which keeps the P-256 key in its device); another slot's identity is
// "not encrypted to your identity", and a key that is unplugged is a
// PluginError saying so, not a "damaged file".
func TestSigningKeyOfAHardwareKey(t *testing.T) {
	dev, err := hwkey.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dev.Path())
	ident := func() (age.Identity, crypto.Recipient) {
		file, rec, err := dev.Generate()
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(file, "AGE-PLUGIN-")
		id, err := plugin.NewIdentity(strings.TrimSpace(file[i:]), plugin.NewTerminalUI(t.Logf, t.Logf))
		if err != nil {
			t.Fatal(err)
		}
		r, err := crypto.ParseRecipient(rec)
		if err != nil {
			t.Fatal(err)
		}
		return id, r
	}
	id, rec := ident()
	other, _ := ident()
	file, pub, err := crypto.NewSigningKeyFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.OpenSigningKey(file, crypto.RememberStanza([]age.Identity{id})...)
	if err != nil || !k.Public().Equal(pub) {
		t.Fatalf("the hardware key opened %v, %v", k.Public(), err)
	}
	if _, err := crypto.OpenSigningKey(file, other); err == nil || !strings.Contains(err.Error(), "not encrypted to your identity") {
		t.Errorf("another slot: %v", err)
	}
	dev.Unplug()
	var pe *crypto.PluginError
	if _, err := crypto.OpenSigningKey(file, id); !errors.As(err, &pe) || !strings.Contains(err.Error(), "not plugged in") {
		t.Errorf("unplugged: %v, want a PluginError with the plugin's words", err)
	}
}
