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
//	casectl reply   [-m TEXT] REF
//	casectl notes   -i IDENTITY REF
//	casectl export  -i IDENTITY -out DIR REF
//	casectl rekey   -i IDENTITY
//	casectl console -i IDENTITY [-open] [-lang en|fr] [-idle 30m] [-templates FILE]
//
// The session (server, handler, token) is kept in
// ~/.config/reprisals/session.json (mode 0600), or the file named by
// -session or CASECTL_SESSION. The identity is a file of age identities,
// native or from an age plugin (AGE-PLUGIN-...), named by -i or
// CASECTL_IDENTITY.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "casectl:", err)
		os.Exit(1)
	}
}

const usage = "usage: casectl login|logout|console|cases|show|triage|note|reply|notes|export|rekey [flags] (see -h of each)"

func run(args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmds := map[string]func(*cli) error{
		"login": (*cli).login, "logout": (*cli).logout, "cases": (*cli).cases, "show": (*cli).show,
		"triage": (*cli).triage, "note": (*cli).note, "reply": (*cli).reply, "notes": (*cli).notes,
		"export": (*cli).export, "rekey": (*cli).rekey, "console": (*cli).runConsole,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return errors.New(usage)
	}
	c := newCLI(args[0], stdin, out)
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	return cmd(c)
}
