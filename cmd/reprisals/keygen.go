package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

func cmdKeygen(args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ExitOnError)
	pq := fs.Bool("pq", false, "generate a post-quantum (ML-KEM-768 + X25519) identity")
	receiptKey := fs.Bool("receipt-key", false, "generate the server's receipt key instead of an age identity")
	out := fs.String("o", "", "write to this file (created with mode 0600; must not exist) instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var content string
	if *receiptKey {
		content = crypto.NewReceiptKey()
	} else {
		file, recipient, err := crypto.NewIdentityFile(*pq, time.Now())
		if err != nil {
			return err
		}
		content = file
		fmt.Fprintf(os.Stderr, "Public key (give this to the operator): %s\n", recipient)
	}
	if *out == "" {
		_, err := os.Stdout.WriteString(content)
		return err
	}
	return writeNewSecret(*out, content)
}

// writeNewSecret creates path with mode 0600, refusing to overwrite.
func writeNewSecret(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
