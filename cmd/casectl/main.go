// Command casectl is the case handler's tool. It runs on the handler's own
// computer, where the handler's age identity lives; the server never sees
// the identity or the plaintext.
//
//	casectl show -db URL -i IDENTITY_FILE [-json] REFERENCE
//
// show fetches a report's ciphertext (from the database, for now: the
// authenticated handler API comes later), decrypts it in memory and prints
// it. Nothing is written to disk.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "casectl:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "show" {
		return errors.New("usage: casectl show -db URL -i IDENTITY_FILE [-json] REFERENCE")
	}
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	dbURL := fs.String("db", os.Getenv("DATABASE_URL"), "database URL (default $DATABASE_URL)")
	idFile := fs.String("i", "", "age identity file")
	asJSON := fs.Bool("json", false, "print the decrypted envelope as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 || *idFile == "" || *dbURL == "" {
		return errors.New("usage: casectl show -db URL -i IDENTITY_FILE [-json] REFERENCE")
	}
	ref := strings.ToUpper(strings.TrimSpace(fs.Arg(0)))

	ids, err := readIdentities(*idFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, *dbURL, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.ReportByReference(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no report with reference %s", ref)
	}
	if err != nil {
		return err
	}
	plain, err := crypto.Open(rep.Ciphertext, ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return fmt.Errorf("report %s was not encrypted to this identity (it is routed to: %s)", ref, strings.Join(rep.Teams, ", "))
	}
	if err != nil {
		return fmt.Errorf("decrypting %s: %w", ref, err)
	}
	var env intake.Envelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return fmt.Errorf("report %s decrypted but is not a valid envelope: %w", ref, err)
	}
	if env.Reference != rep.Reference {
		return fmt.Errorf("report %s holds the ciphertext of another report (%s): the database has been tampered with", ref, env.Reference)
	}
	if *asJSON {
		_, err := out.Write(bytes.TrimRight(plain, " \n"))
		fmt.Fprintln(out)
		return err
	}
	fmt.Fprintf(out, "Reference:   %s\nReceived:    %s\nStatus:      %s\nUrgency:     %s\nRouted to:   %s\nChannel:     %s\nLanguage:    %s\n",
		env.Reference, env.ReceivedAt.Format(time.RFC3339), rep.Status, orDash(rep.Urgency),
		strings.Join(env.Teams, ", "), env.Channel, env.Report.Language)
	printStruct(out, reflect.ValueOf(env.Report), "")
	return nil
}

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := age.ParseIdentities(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading identities from %s: %w", path, err)
	}
	return ids, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printStruct prints a report readably: one "section.field: value" line
// per non-empty field, lists numbered.
func printStruct(out io.Writer, v reflect.Value, prefix string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "language" && prefix == "" {
			continue
		}
		f := v.Field(i)
		path := prefix + name
		switch f.Kind() {
		case reflect.Struct:
			fmt.Fprintf(out, "\n== %s\n", name)
			printStruct(out, f, path+".")
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Struct {
				for j := 0; j < f.Len(); j++ {
					fmt.Fprintf(out, "\n== %s %d\n", name, j+1)
					printStruct(out, f.Index(j), fmt.Sprintf("%s[%d].", path, j))
				}
			} else if f.Len() > 0 {
				fmt.Fprintf(out, "%s: %s\n", path, strings.Join(f.Interface().([]string), ", "))
			}
		case reflect.Bool:
			fmt.Fprintf(out, "%s: %t\n", path, f.Bool())
		case reflect.String:
			if s := f.String(); s != "" {
				fmt.Fprintf(out, "%s: %s\n", path, strings.ReplaceAll(s, "\n", "\n    "))
			}
		}
	}
}
