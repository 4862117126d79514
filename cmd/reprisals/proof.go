package main

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// cmdVerifyReceipt checks a proof of receipt:
//
//	reprisals verify-receipt -key ed25519:… FILE   (anyone, with the published key)
//	reprisals verify-receipt [-config FILE] FILE    (the operator: the key from the receipt key)
//	reprisals verify-receipt [-config FILE] -print-key
//
// FILE "-" is standard input.
func cmdVerifyReceipt(args []string) error {
	return verifyReceipt(args, os.Stdin, os.Stdout)
}

func verifyReceipt(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify-receipt", flag.ContinueOnError)
	key := fs.String("key", "", "the service's proof-of-receipt key (ed25519:…), as its /proof page shows")
	printKey := fs.Bool("print-key", false, "print the service's proof-of-receipt key and stop")
	fs.Usage = flagUsage(fs, "reprisals verify-receipt [-key ed25519:… | -config FILE] FILE | reprisals verify-receipt [-config FILE] -print-key",
		"Checks a reporter's proof of receipt (FILE - reads standard input), or prints the service's proof key.")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	var pub ed25519.PublicKey
	if *key != "" {
		if pub, err = crypto.ParseProofPublicKey(*key); err != nil {
			return err
		}
	} else {
		// Only the receipt key matters here: the rest of the
		// configuration may be incomplete on this machine.
		verr := cfg.Validate()
		if cfg.ReceiptKey() == nil {
			if verr == nil {
				verr = errors.New("no receipt key configured")
			}
			return fmt.Errorf("give -key with the service's published key, or a configuration with its receipt key:\n%w", verr)
		}
		pub = crypto.ProofKey(cfg.ReceiptKey()).Public().(ed25519.PublicKey)
	}
	if *printKey {
		fmt.Fprintln(stdout, crypto.ProofPublicKey(pub))
		return nil
	}
	if fs.NArg() != 1 {
		return errors.New("usage: reprisals verify-receipt [-key KEY | -config FILE] PROOF-FILE (- for standard input)")
	}
	in := stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	text, err := io.ReadAll(io.LimitReader(in, crypto.MaxProofSize+1))
	if err != nil {
		return err
	}
	p, err := crypto.VerifyProof(pub, string(text))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "valid: the service received the report %s on %s (SHA-256 of the stored ciphertext %x)\n",
		p.Reference, p.Received.Format(time.DateOnly), p.SHA256)
	return nil
}
