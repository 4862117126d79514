package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
)

// signingKey is casectl signing-key: it makes the handler's signing key
// beside their identity file (sealed to their own recipient), or, if they
// have one, opens it; either way it prints the public key for the key
// custodian to list beside the handler's recipient in the team's roster.
func (c *cli) signingKey() error {
	if len(c.args) != 0 {
		return errors.New("usage: casectl " + commandLines["signing-key"])
	}
	ids, err := c.identities()
	if err != nil {
		return err
	}
	existing, err := desk.LoadSigningKey(c.identityFile, ids)
	if err != nil {
		return err
	}
	if !existing.IsZero() {
		fmt.Fprintf(c.out, "Your signing key (in %s):\n  %s\n", crypto.SigningKeyPath(c.identityFile), existing.Public())
		return nil
	}
	rec, err := c.ownRecipient(ids)
	if err != nil {
		return err
	}
	pub, err := desk.MakeSigningKey(c.identityFile, rec, ids)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Signing key saved in %s (0600), encrypted to %s; only your identity opens it.\n", crypto.SigningKeyPath(c.identityFile), rec)
	fmt.Fprintf(c.out, "Signing key (give this to your key custodian, for the roster): %s\n", pub)
	return nil
}

// keygen is casectl keygen: a new age identity (as age-keygen makes it)
// and its signing key beside it, each saved (0600, never over a file)
// before its public key is printed.
func (c *cli) keygen() error {
	if c.outFile == "" || len(c.args) != 0 {
		return errors.New("usage: casectl " + commandLines["keygen"])
	}
	file, recipient, err := crypto.NewIdentityFile(c.pq, time.Now())
	if err != nil {
		return err
	}
	ids, err := age.ParseIdentities(strings.NewReader(file))
	if err != nil {
		return err
	}
	rec, err := crypto.ParseRecipient(recipient)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.outFile), 0o700); err != nil {
		return fmt.Errorf("nothing was saved: %w", err)
	}
	f, err := os.OpenFile(c.outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("nothing was saved: %w", err)
	}
	if _, err := f.WriteString(file); err != nil {
		f.Close()
		os.Remove(c.outFile)
		return fmt.Errorf("nothing was saved: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(c.outFile)
		return fmt.Errorf("nothing was saved: %w", err)
	}
	fmt.Fprintf(c.out, "Identity saved in %s (0600); keep it on this machine.\n", c.outFile)
	fmt.Fprintf(c.out, "Public key (give this to the operator): %s\n", recipient)
	pub, err := desk.MakeSigningKey(c.outFile, rec, crypto.RememberStanza(ids))
	if err != nil {
		return fmt.Errorf("the identity was saved, its signing key was not (make it with casectl signing-key -i %s): %w", c.outFile, err)
	}
	fmt.Fprintf(c.out, "Signing key saved in %s (0600), encrypted to the identity.\n", crypto.SigningKeyPath(c.outFile))
	fmt.Fprintf(c.out, "Signing key (give this to your key custodian, for the roster): %s\n", pub)
	return nil
}

// ownRecipient is the recipient the signing key is sealed to: -recipient,
// which must be one of the identity file's own (a hardware key's is in
// its file's "# Recipient:" comment), or that of its one native identity.
func (c *cli) ownRecipient(ids []age.Identity) (crypto.Recipient, error) {
	if c.recipient != "" {
		return crypto.ParseRecipient(c.recipient)
	}
	var found []string
	for _, id := range ids {
		switch id := crypto.Native(id).(type) {
		case *age.X25519Identity:
			found = append(found, id.Recipient().String())
		case *age.HybridIdentity:
			found = append(found, id.Recipient().String())
		}
	}
	if len(found) == 0 {
		found = commentRecipients(c.identityFile)
	}
	if len(found) != 1 {
		return crypto.Recipient{}, errors.New("name your identity's own recipient with -recipient (age1tag1... for a hardware key)")
	}
	return crypto.ParseRecipient(found[0])
}

// commentRecipients reads the recipients that plugin identity files name
// in comments ("#    Recipient: age1...").
func commentRecipients(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(sc.Text()), "#"))
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "recipient") {
			if r, err := crypto.ParseRecipient(strings.TrimSpace(v)); err == nil {
				out = append(out, r.String())
			}
		}
	}
	return out
}
