package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

func cmdKeygen(args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ExitOnError)
	pq := fs.Bool("pq", false, "generate a post-quantum (ML-KEM-768 + X25519) identity")
	receiptKey := fs.Bool("receipt-key", false, "generate the server's receipt key instead of an age identity")
	out := fs.String("o", "", "write to this file (created with mode 0600, its folder with 0700 if missing; must not exist) instead of standard output")
	fs.Usage = flagUsage(fs, "reprisals keygen [-pq] [-o FILE] | reprisals keygen -receipt-key [-o FILE]",
		"Makes an age identity (as age-keygen does; for a handler's machine, not the server) and, with -o, the handler's signing key beside it (FILE.signing, encrypted to the identity), and prints both public keys once they are saved; or makes the server's receipt key.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: reprisals keygen [-pq | -receipt-key] [-o FILE]")
	}
	content, recipient := crypto.NewReceiptKey(), ""
	if !*receiptKey {
		file, r, err := crypto.NewIdentityFile(*pq, time.Now())
		if err != nil {
			return err
		}
		content, recipient = file, r
	}
	if *out == "" {
		if _, err := os.Stdout.WriteString(content); err != nil {
			return err
		}
	} else {
		// The identity is saved before its public key is shown: a key
		// that was printed but never saved would be published for an
		// identity that exists nowhere.
		if err := os.MkdirAll(filepath.Dir(*out), 0o700); err != nil {
			return fmt.Errorf("nothing was saved: %w", err)
		}
		if err := writeNewSecret(*out, content); err != nil {
			return fmt.Errorf("nothing was saved: %w", err)
		}
		if *receiptKey {
			fmt.Fprintf(os.Stderr, "Receipt key saved in %s (0600).\n", *out)
		} else {
			fmt.Fprintf(os.Stderr, "Identity saved in %s (0600); keep it on this machine.\n", *out)
		}
	}
	if recipient != "" {
		fmt.Fprintf(os.Stderr, "Public key (give this to the operator): %s\n", recipient)
	}
	if recipient != "" && *out != "" {
		// A handler's signing key, made with the identity (an age
		// identity cannot sign): sealed to it, kept beside it. Their
		// replies to reporters are signed with it.
		rec, err := crypto.ParseRecipient(recipient)
		if err != nil {
			return err
		}
		file, pub, err := crypto.NewSigningKeyFile(rec)
		if err != nil {
			return err
		}
		path := crypto.SigningKeyPath(*out)
		if err := writeNewSecret(path, string(file)); err != nil {
			return fmt.Errorf("the identity was saved, its signing key was not (make it with casectl signing-key -i %s): %w", *out, err)
		}
		fmt.Fprintf(os.Stderr, "Signing key saved in %s (0600), encrypted to the identity.\n", path)
		fmt.Fprintf(os.Stderr, "Signing key (give this to your key custodian, for the roster): %s\n", pub)
	} else if recipient != "" {
		fmt.Fprintln(os.Stderr, "No signing key was made (it is kept beside an identity file): save the identity in a file and run casectl signing-key -i FILE.")
	}
	return nil
}

// writeNewSecret creates path with mode 0600, refusing to overwrite. A
// file it could not write completely is removed.
func writeNewSecret(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
