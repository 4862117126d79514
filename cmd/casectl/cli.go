package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"

	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
)

// cli is one invocation: its flags, session and server connection.
type cli struct {
	name string
	fs   *flag.FlagSet
	in   io.Reader
	out  io.Writer

	sessionFile, identityFile, server, handler                         string
	status, detail, urgency, assignee, deadline, sort, message, outDir string
	page                                                               int
	asJSON, dryRun                                                     bool
	// roster commands
	pinsFile, outFile, keyFile, fromFile, team, key string
	from, to, draftLang                             string // annex
	year                                            int
	adds, removes, labels, signers, setSigners      listFlag
	recipient                                       string // signing-key
	pq                                              bool   // keygen
	orgMayRead                                      bool
	serverReplyKey                                  bool
	threshold                                       int
	valid                                           time.Duration // roster sign, renew
	console                                         consoleFlags
	entry                                           entryFlags

	args []string // positional arguments
	sess sessionData
	ctx  context.Context
	api  *handlerapi.Client

	inbuf      *bufio.Reader
	rosterBook *desk.Rosters
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// sessionData is what login keeps on the handler's computer.
type sessionData = desk.Session

func newCLI(name string, in io.Reader, out io.Writer) *cli {
	c := &cli{name: name, fs: flag.NewFlagSet(name, flag.ContinueOnError), in: in, out: out, ctx: context.Background()}
	c.fs.SetOutput(os.Stderr)
	home, _ := os.UserConfigDir()
	def := os.Getenv("CASECTL_SESSION")
	if def == "" {
		def = filepath.Join(home, "reprisals", "session.json")
	}
	c.fs.StringVar(&c.sessionFile, "session", def, "session file")
	c.fs.StringVar(&c.pinsFile, "pins", os.Getenv("CASECTL_PINS"), "pinned roster keys (default: pins.json next to the session file)")
	switch name {
	case "login":
		c.fs.StringVar(&c.server, "server", "", "server address, such as https://report.example.org")
		c.fs.StringVar(&c.handler, "handler", "", "your handler name")
	case "cases":
		c.fs.StringVar(&c.status, "status", "", "only cases in this status")
		c.fs.StringVar(&c.urgency, "urgency", "", "only cases of this urgency (U1-U4)")
		c.fs.StringVar(&c.assignee, "assignee", "", "only cases assigned to this handler (- for unassigned)")
		c.fs.StringVar(&c.sort, "sort", "", "received (newest first), -received, urgency, deadline or status")
		c.fs.IntVar(&c.page, "page", 1, "page number")
	case "triage":
		c.fs.StringVar(&c.status, "status", "", "new status")
		c.fs.StringVar(&c.detail, "detail", "", "closure reason (for closed: resolved, consent_withdrawn, no_contact, victim_request, out_of_scope_referred, or not_a_report for junk, left out of every figure) or the original's reference (for duplicate)")
		c.fs.StringVar(&c.urgency, "urgency", "", "U1-U4, or \"\" to clear")
		c.fs.StringVar(&c.assignee, "assignee", "", "a handler of your team, or \"\" to unassign")
		c.fs.StringVar(&c.deadline, "deadline", "", "next deadline as YYYY-MM-DD, or \"\" to clear")
	case "annex":
		c.fs.IntVar(&c.year, "year", 0, "the year of the report: the period is 1 May of the year before to 30 April")
		c.fs.StringVar(&c.from, "from", "", "first day of the period, YYYY-MM-DD (instead of -year)")
		c.fs.StringVar(&c.to, "to", "", "last day of the period, YYYY-MM-DD")
		c.fs.StringVar(&c.draftLang, "lang", "en", "the report's language: en, fr or es (State names and their order)")
		c.fs.StringVar(&c.outFile, "out", "", "file to write the Markdown to (a new file; default: standard output)")
	case "note", "reply":
		c.fs.StringVar(&c.message, "m", "", "the text (default: read standard input)")
		if name == "reply" {
			c.fs.BoolVar(&c.orgMayRead, "org-may-read", false, "confirm you know that the organisation which logged the case may read the reply")
			c.fs.BoolVar(&c.serverReplyKey, "trust-server-reply-key", false, "for a case from before reply keys were sealed in the report: encrypt to the reply key the server names")
		}
	case "roster keygen":
		c.fs.StringVar(&c.outFile, "out", "", "file for the new roster key (on an offline machine)")
	case "roster sign":
		c.fs.StringVar(&c.keyFile, "key", "", "your roster key file")
		c.fs.StringVar(&c.fromFile, "from", "", "the current signed roster, to change or co-sign")
		c.fs.StringVar(&c.team, "team", "", "the team, for its first roster")
		c.fs.Var(&c.adds, "add", "a recipient (age1...) to add; repeat for several")
		c.fs.Var(&c.labels, "label", "the name of the handler each -add belongs to, in order")
		c.fs.Var(&c.removes, "remove", "a recipient (age1...) to remove; repeat for several")
		c.fs.Var(&c.signers, "signer", "the signing key (reprisals-signing-key-ed25519:...) of each -add, in order (- for none, such as a team key)")
		c.fs.Var(&c.setSigners, "set-signer", "age1...=SIGNING-KEY: give a recipient already listed its signing key; repeat for several")
		c.fs.StringVar(&c.outFile, "out", "", "file to write the signed roster to")
		c.fs.DurationVar(&c.valid, "valid", roster.DefaultValidity, "how long a new version is valid (clients refuse it after)")
	case "roster renew":
		c.fs.StringVar(&c.keyFile, "key", "", "your roster key file")
		c.fs.StringVar(&c.fromFile, "from", "", "the current signed roster (casectl roster fetch -out)")
		c.fs.StringVar(&c.outFile, "out", "", "file to write the renewed roster to")
		c.fs.DurationVar(&c.valid, "valid", roster.DefaultValidity, "how long the new version is valid (clients refuse it after)")
	case "roster pin":
		c.fs.StringVar(&c.team, "team", "", "the team whose roster key this is")
		c.fs.StringVar(&c.key, "key", "", "the roster public key (reprisals-roster-key-ed25519:...)")
		c.fs.IntVar(&c.threshold, "require", 0, "how many of the team's pinned roster keys must sign a roster (default: keep, 1 at first)")
	case "roster show":
		c.fs.StringVar(&c.team, "team", "", "the team (default: yours)")
	case "roster fetch":
		c.fs.StringVar(&c.team, "team", "", "the team (default: yours)")
		c.fs.StringVar(&c.outFile, "out", "", "file to write the signed roster to (such as current.json)")
	case "keygen":
		c.fs.StringVar(&c.outFile, "out", "", "file for your new identity (its signing key is written beside it, FILE.signing)")
		c.fs.BoolVar(&c.pq, "pq", false, "a post-quantum (ML-KEM-768 + X25519) identity")
	case "signing-key":
		c.fs.StringVar(&c.recipient, "recipient", "", "your identity's own recipient (age1tag1... for a hardware key; found from the identity file otherwise)")
	case "export":
		c.fs.StringVar(&c.outDir, "out", "", "folder to write the decrypted case into")
	case "paper":
		c.fs.StringVar(&c.to, "to", "", "the colleague's name on a verified roster of the case's teams (casectl roster show)")
		c.fs.StringVar(&c.draftLang, "lang", "en", "the language of the page: en, fr or es")
		c.fs.StringVar(&c.outFile, "out", "", "the file to write (a new file; it is encrypted, REF.html.age)")
	case "rekey":
		c.fs.BoolVar(&c.dryRun, "dry-run", false, "only say what would be re-encrypted")
	}
	switch name {
	case "action add", "action list", "response add", "published add":
		c.addEntryFlags(name)
	}
	switch name {
	case "login", "show", "notes", "note", "export", "paper", "rekey", "console", "reply", "signing-key", "link", "unlink", "annex", "action add", "action list", "response add", "published add":
		c.fs.StringVar(&c.identityFile, "i", os.Getenv("CASECTL_IDENTITY"), "your age identity file")
	}
	if name == "console" {
		c.addConsoleFlags()
	}
	if name == "show" {
		c.fs.BoolVar(&c.asJSON, "json", false, "print the decrypted envelope as JSON")
	}
	c.fs.Usage = func() {
		w := c.fs.Output()
		fmt.Fprintf(w, "usage: casectl %s\n", commandLines[name])
		fmt.Fprintln(w, "\nflags:")
		c.fs.PrintDefaults()
	}
	return c
}

// parse reads flags and positional arguments in any order (casectl note
// REF -m TEXT and casectl note -m TEXT REF both work); "--" ends flags.
func (c *cli) parse(args []string) error {
	for {
		if err := c.fs.Parse(args); err != nil {
			return err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			c.args = append(c.args, args[1:]...)
			break
		}
		c.args = append(c.args, args[0])
		args = args[1:]
	}
	if c.name != "login" && c.name != "keygen" && c.name != "signing-key" && c.name != "roster keygen" && c.name != "roster sign" && c.name != "roster renew" && c.name != "roster pin" {
		b, err := os.ReadFile(c.sessionFile)
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("not logged in: run casectl login first")
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &c.sess); err != nil {
			return fmt.Errorf("session file %s is damaged: log in again", c.sessionFile)
		}
		if time.Now().After(c.sess.ExpiresAt) {
			return errors.New("your session has expired: run casectl login again")
		}
	}
	return nil
}

// ref returns the one positional argument, a case reference.
func (c *cli) ref() (string, error) {
	if len(c.args) != 1 {
		return "", fmt.Errorf("name one case reference (usage: casectl %s [flags] REF)", c.name)
	}
	return strings.ToUpper(strings.TrimSpace(c.args[0])), nil
}

// set reports whether flag name was given on the command line.
func (c *cli) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// identities loads the handler's identities: native age identities, and
// plugin identities (AGE-PLUGIN-...) that run the plugin, such as a
// hardware key's. Native ones remember which header stanza opened the
// last case, so an inbox decrypts with one scalar multiplication a case.
func (c *cli) identities() ([]age.Identity, error) {
	if c.identityFile == "" {
		return nil, errors.New("name your identity file with -i (or CASECTL_IDENTITY)")
	}
	f, err := os.Open(c.identityFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []age.Identity
	var native bytes.Buffer
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "AGE-PLUGIN-") {
			ui := plugin.NewTerminalUI(func(format string, v ...any) { fmt.Fprintf(os.Stderr, format+"\n", v...) },
				func(format string, v ...any) { fmt.Fprintf(os.Stderr, "warning: "+format+"\n", v...) })
			id, err := plugin.NewIdentity(line, ui)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.identityFile, err)
			}
			ids = append(ids, id)
			continue
		}
		native.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if strings.Contains(native.String(), "AGE-SECRET-KEY-") {
		more, err := age.ParseIdentities(&native)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.identityFile, err)
		}
		ids = append(ids, more...)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s holds no age identity", c.identityFile)
	}
	return crypto.RememberStanza(ids), nil
}

// client returns the handler API client for the session's server (or, for
// login, the server named by -server).
func (c *cli) client() (*handlerapi.Client, error) {
	if c.api != nil {
		return c.api, nil
	}
	server := c.sess.Server
	if c.name == "login" {
		server = c.server
	}
	api, err := handlerapi.New(server, nil)
	if err != nil {
		return nil, err
	}
	api.SetToken(c.sess.Token)
	c.api = api
	return api, nil
}
