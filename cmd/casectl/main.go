// Command casectl is the case handler's tool. It runs on the handler's own
// computer, where the handler's age identity lives; the server never sees
// the identity or any plaintext. Decrypted content is printed, never
// written to disk, except by export.
//
//	casectl login   -server URL -handler NAME -i IDENTITY
//	casectl logout
//	casectl cases   [-status S] [-urgency U] [-assignee NAME|-] [-sort received|-received|urgency|deadline|status] [-page N]
//	casectl show    -i IDENTITY [-json] REF
//	casectl triage  [-status S [-detail D]] [-urgency U] [-assignee NAME] [-deadline YYYY-MM-DD] REF
//	casectl note    [-m TEXT] REF          (text from standard input without -m)
//	casectl reply   -i IDENTITY [-m TEXT] [-org-may-read] REF
//	casectl notes   -i IDENTITY REF
//	casectl action add -kind KIND -date YYYY-MM-DD [-symbol S] [-m SUMMARY] REF
//	casectl action list -i IDENTITY REF
//	casectl response add -date YYYY-MM-DD -stance denies|acknowledges|investigates|other [-m SUMMARY] REF
//	casectl published add -report SYMBOL -annex I|II -date YYYY-MM-DD [-paragraph P] REF
//	casectl link    -i IDENTITY REF OTHER     (the same person or event: a corroborating source)
//	casectl annex   -i IDENTITY (-year YYYY | -from YYYY-MM-DD -to YYYY-MM-DD) [-lang en|fr|es] [-out FILE]
//	casectl export  -i IDENTITY -out DIR REF
//	casectl rekey   -i IDENTITY
//	casectl console -i IDENTITY [-open] [-lang en|fr|es] [-idle 30m] [-templates FILE]
//	casectl keygen -out FILE [-pq]            (your identity and signing key, on your computer)
//	casectl signing-key -i IDENTITY [-recipient age1...]   (make or show your signing key)
//	casectl roster pin -team TEAM -key KEY     (confirm the fingerprint out of band)
//	casectl roster show [-team TEAM]
//	casectl roster keygen -out FILE            (key custodians, offline)
//	casectl roster sign -key FILE (-team T | -from SIGNED) [-add age1... -label NAME -signer KEY]... [-set-signer age1...=KEY]... [-remove age1...]... -out SIGNED
//	casectl roster renew -key FILE -from SIGNED -out SIGNED   (a new expiry, same recipients)
//	casectl roster publish SIGNED
//
// Flags may come before or after the case reference. Notes, replies and
// rekeys are encrypted only to the recipients of team rosters signed by
// the roster keys pinned in pins.json (next to the session file, or
// -pins, CASECTL_PINS); a changed roster is shown and used only if the
// handler agrees. Everything printed passes through handlerapi.SafeText.
//
// The session (server, handler, token) is kept in
// ~/.config/reprisals/session.json (mode 0600), or the file named by
// -session or CASECTL_SESSION. The identity is a file of age identities,
// native or from an age plugin (AGE-PLUGIN-...), named by -i or
// CASECTL_IDENTITY.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

func main() {
	// Everything printed passes through handlerapi.SafeText: reports,
	// notes, file names and the server's words cannot steer the terminal.
	out := handlerapi.NewSafeWriter(os.Stdout)
	err := run(os.Args[1:], os.Stdin, out)
	out.Flush()
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the command's help was printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "casectl:", handlerapi.SafeText(err.Error()))
		os.Exit(1)
	}
}

const usage = `usage: casectl COMMAND [flags]   ('casectl COMMAND -h' for each)

commands:
  login    log in to the server with your age identity
  logout   end the session
  console  the handler's console: a local web app for the team's cases
  cases    your team's cases, as a table
  show     fetch, decrypt and print a case
  triage   change a case's status, urgency, assignee or deadline
  note     add a team note to a case
  reply    reply to the reporter
  notes    decrypt and print a case's notes, replies and follow-ups
  action   record a UN action on a case (action add), or list a case's actions, responses and publications (action list)
  response record the State's response (response add)
  published  record that a case was published in a report of the Secretary-General (published add)
  link     link two cases as the same person or event (corroborating sources)
  unlink   undo the link of two cases (not the same person or event after all)
  annex    draft Annex I (new cases) and Annex II (follow-up) of the Secretary-General's report, as Markdown
  export   write a decrypted case into a new folder
  paper    write a case on paper (as the console prints it) into one file encrypted to one colleague of the roster
  rekey    re-encrypt the cases you can read to the teams' current rosters
  keygen   make your age identity and your signing key (on your own computer)
  signing-key  make (or show) your signing key, with which your replies are signed
  roster   team rosters (fetch, show, pin; for key custodians: keygen, sign, publish)`

// commandLines are each command's synopsis, for its -h.
var commandLines = map[string]string{
	"login":          "login -server URL -handler NAME -i IDENTITY",
	"logout":         "logout",
	"console":        "console -i IDENTITY [-open] [-port N] [-lang en|fr|es] [-idle 30m] [-templates FILE]",
	"cases":          "cases [-status S] [-urgency U] [-assignee NAME|-] [-sort received|-received|urgency|deadline|status] [-page N]",
	"show":           "show -i IDENTITY [-json] REF",
	"triage":         "triage REF [-status S [-detail D]] [-urgency U1..U4] [-assignee NAME] [-deadline YYYY-MM-DD]",
	"note":           "note -i IDENTITY REF [-m TEXT]   (text from standard input without -m)",
	"reply":          "reply -i IDENTITY REF [-m TEXT] [-org-may-read] [-trust-server-reply-key]",
	"notes":          "notes -i IDENTITY REF",
	"action add":     "action add -kind KIND -date YYYY-MM-DD [-symbol SYMBOL] [-m SUMMARY] [-i IDENTITY] REF",
	"action list":    "action list -i IDENTITY REF",
	"response add":   "response add -date YYYY-MM-DD -stance denies|acknowledges|investigates|other [-m SUMMARY] [-i IDENTITY] REF",
	"published add":  "published add -report SYMBOL -annex I|II -date YYYY-MM-DD [-paragraph P] [-i IDENTITY] REF",
	"link":           "link -i IDENTITY REF OTHER",
	"unlink":         "unlink -i IDENTITY REF OTHER",
	"annex":          "annex -i IDENTITY (-year YYYY | -from YYYY-MM-DD -to YYYY-MM-DD) [-lang en|fr|es] [-out FILE]",
	"export":         "export -i IDENTITY -out DIR REF",
	"paper":          "paper -i IDENTITY -to NAME [-lang en|fr|es] -out FILE REF",
	"rekey":          "rekey -i IDENTITY [-dry-run]",
	"signing-key":    "signing-key -i IDENTITY [-recipient age1...]",
	"keygen":         "keygen -out FILE [-pq]",
	"roster fetch":   "roster fetch [-team TEAM] -out current.json",
	"roster show":    "roster show [-team TEAM]",
	"roster pin":     "roster pin -team TEAM -key KEY [-require N]",
	"roster keygen":  "roster keygen -out FILE",
	"roster sign":    "roster sign -key FILE (-team TEAM | -from SIGNED.json) [-add age1... -label NAME -signer KEY]... [-set-signer age1...=KEY]... [-remove age1...]... -out SIGNED.json",
	"roster renew":   "roster renew -key FILE -from SIGNED.json -out SIGNED.json [-valid DURATION]",
	"roster publish": "roster publish SIGNED.json",
}

// isHelp reports whether arg asks for help rather than naming a command.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

func run(args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if isHelp(args[0]) {
		fmt.Fprintln(out, usage)
		return nil
	}
	cmds := map[string]func(*cli) error{
		"login": (*cli).login, "logout": (*cli).logout, "cases": (*cli).cases, "show": (*cli).show,
		"triage": (*cli).triage, "note": (*cli).note, "reply": (*cli).reply, "notes": (*cli).notes,
		"export": (*cli).export, "rekey": (*cli).rekey, "console": (*cli).runConsole, "signing-key": (*cli).signingKey, "keygen": (*cli).keygen,
		"link": (*cli).link, "unlink": (*cli).unlink, "annex": (*cli).annex, "paper": (*cli).paper,
	}
	name := args[0]
	if subs, ok := entryCommands[name]; ok {
		if len(args) < 2 {
			return errors.New(entryUsage)
		}
		if isHelp(args[1]) {
			fmt.Fprintln(out, entryUsage)
			return nil
		}
		if !slices.Contains(subs, args[1]) {
			return fmt.Errorf("no command %q %q\n%s", name, args[1], entryUsage)
		}
		name, args = name+" "+args[1], args[1:]
		cmds[name] = (*cli).entryCmd
	}
	if name == "roster" {
		if len(args) < 2 {
			return errors.New(rosterUsage)
		}
		if isHelp(args[1]) {
			fmt.Fprintln(out, rosterUsage)
			return nil
		}
		if !slices.Contains(rosterCommands, args[1]) {
			return fmt.Errorf("no roster command %q\n%s", args[1], rosterUsage)
		}
		name, args = "roster "+args[1], args[1:]
		cmds[name] = (*cli).rosterCmd
	}
	cmd, ok := cmds[name]
	if !ok {
		return fmt.Errorf("no command %q\n%s", name, usage)
	}
	c := newCLI(name, stdin, out)
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	return cmd(c)
}
