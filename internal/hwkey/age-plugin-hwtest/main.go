// Command age-plugin-hwtest is a TEST-ONLY age plugin that plays the part
// of a hardware key (a YubiKey's, say) for the handler side's tests: its
// P-256 private keys live in its "device", a folder beside the binary
// (device/ in the folder it was built into), and never leave it. An
// identity file holds only AGE-PLUGIN-HWTEST-1... (a slot number, as a
// hardware key's plugin identity names a slot), and the recipient is an
// ordinary tagged P-256 recipient (age1tag1...), which age, and so the
// server, encrypts to natively.
//
//	age-plugin-hwtest -generate   make a key in a new slot, print its identity file
//	age-plugin-hwtest --age-plugin=identity-v1   (run by age clients)
//
// Each decryption appends a line to device/uses, so a test can tell the
// plugin did the work. It is built by tests (internal/hwkey.Build) into a
// temporary folder; it is never installed nor shipped, and its keys are
// kept in clear in the device folder, as no real key may be.
package main

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"filippo.io/age/tag"
)

// name is the plugin's name: identities are AGE-PLUGIN-HWTEST-1...
const name = "hwtest"

// slotSize is the length of an identity's data: the slot number.
const slotSize = 8

const label = "age-encryption.org/p256tag"

func main() {
	p, err := plugin.New(name)
	if err != nil {
		fatal(err)
	}
	p.RegisterFlags(nil)
	generate := flag.Bool("generate", false, "make a key in a new slot and print its identity file")
	flag.Parse()
	if *generate {
		if err := generateKey(os.Stdout); err != nil {
			fatal(err)
		}
		return
	}
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		if len(data) != slotSize {
			return nil, errors.New("not a hwtest identity")
		}
		return &identity{slot: hex.EncodeToString(data)}, nil
	})
	os.Exit(p.Main())
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "age-plugin-hwtest:", err)
	os.Exit(1)
}

// device is the folder that plays the hardware key: device/ beside the
// binary.
func device() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(exe), "device"), nil
}

// generateKey makes a P-256 key in a new slot of the device and prints
// the slot's identity file, as age-plugin-yubikey --generate does: the
// recipient in a comment, the plugin identity on its own line.
func generateKey(w *os.File) error {
	dev, err := device()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dev, 0o700); err != nil {
		return err
	}
	slot := make([]byte, slotSize)
	rand.Read(slot)
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	rec, err := recipientOf(k.PublicKey())
	if err != nil {
		return err
	}
	path := filepath.Join(dev, hex.EncodeToString(slot))
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k.Bytes())), 0o600); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "#       Serial: hwtest, Slot: %x\n#      Created: %s\n#    Recipient: %s\n%s\n",
		slot, time.Now().UTC().Format(time.RFC3339), rec, plugin.EncodeIdentity(name, slot))
	return err
}

// recipientOf is the tagged recipient of a P-256 public key.
func recipientOf(pub *ecdh.PublicKey) (*tag.Recipient, error) {
	u := pub.Bytes() // 0x04 || x || y
	c := append([]byte{2 | u[64]&1}, u[1:33]...)
	return tag.NewClassicRecipient(c)
}

// identity is one slot of the device; its key is read from the device at
// each decryption, as a hardware key does it inside itself.
type identity struct{ slot string }

func (i *identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	dev, err := device()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dev, i.slot))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errors.New("the hardware key with this slot is not plugged in")
	}
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil {
		return nil, errors.New("the device's key is damaged")
	}
	k, err := ecdh.P256().NewPrivateKey(raw)
	if err != nil {
		return nil, errors.New("the device's key is damaged")
	}
	rec, err := recipientOf(k.PublicKey())
	if err != nil {
		return nil, err
	}
	hk, err := hpke.NewDHKEMPrivateKey(k)
	if err != nil {
		return nil, err
	}
	for _, s := range stanzas {
		if s.Type != "p256tag" || len(s.Args) != 2 || len(s.Body) != 32 {
			continue
		}
		tg, err1 := base64.RawStdEncoding.Strict().DecodeString(s.Args[0])
		enc, err2 := base64.RawStdEncoding.Strict().DecodeString(s.Args[1])
		if err1 != nil || err2 != nil || len(tg) != 4 || len(enc) != 65 {
			continue
		}
		want, err := rec.Tag(enc)
		if err != nil || subtle.ConstantTimeCompare(tg, want) != 1 {
			continue
		}
		r, err := hpke.NewRecipient(enc, hk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte(label))
		if err != nil {
			continue
		}
		fileKey, err := r.Open(nil, s.Body)
		if err != nil {
			continue // the tag is a short hint: it may collide
		}
		if f, err := os.OpenFile(filepath.Join(dev, "uses"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			fmt.Fprintln(f, i.slot)
			f.Close()
		}
		return fileKey, nil
	}
	return nil, age.ErrIncorrectIdentity
}
