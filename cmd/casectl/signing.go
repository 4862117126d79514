package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
