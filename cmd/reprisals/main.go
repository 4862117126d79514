// Command reprisals is the intake server and its operator commands.
//
//	reprisals serve   [-config FILE]          run the service
//	reprisals dev     [-dir .dev] [-listen ADDR] [-config FILE]
//	                                          run everything locally with throwaway state
//	reprisals migrate [-config FILE]          apply database migrations
//	reprisals alerts list [-state S]          undelivered alerts (pending, failed)
//	reprisals alerts retry (-all | ID...)     queue failed alerts again
//	reprisals handler add|list|disable|enable|set-recipient
//	                                          manage case handlers (see -h)
//	reprisals audit verify                    check the audit log's chain
//	reprisals retention [-dry-run]            apply the retention policy now
//	reprisals org add, reprisals staff add|reset-password|reset-totp|unlock|disable|enable
//	                                          manage NHRI and NGO intermediaries
//	reprisals keygen  [-pq] [-o FILE]         generate an age identity (for a handler's machine)
//	reprisals keygen  -receipt-key [-o FILE]  generate the server's receipt key
//	reprisals config  [-config FILE]          validate and print the configuration, secrets redacted
//	reprisals verify-receipt [-key KEY | -config FILE] FILE
//	                                          check a reporter's proof of receipt
//
// The configuration file may also be named by REPRISALS_CONFIG.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the flag package printed the command's help
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reprisals:", err)
		os.Exit(1)
	}
}

const usage = `usage: reprisals COMMAND [flags]   ('reprisals COMMAND -h' for each)

commands:
  serve           run the service
  dev             run everything locally on throwaway state
  migrate         apply database migrations
  config          validate and print the configuration, secrets redacted
  handler         manage case handlers (add, list, disable, enable, set-recipient, revoke-sessions)
  audit           check the audit log's chain (verify)
  retention       apply the retention policy now
  alerts          undelivered alerts (list, retry)
  org             manage intermediary organisations (add)
  staff           manage intermediary staff (add, reset-password, reset-totp, unlock, disable, enable, code)
  keygen          make an age identity (for a handler's machine) or the server's receipt key
  verify-receipt  check a reporter's proof of receipt`

// isHelp reports whether arg asks for help rather than naming a command.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if isHelp(args[0]) {
		fmt.Println(usage)
		return nil
	}
	cmds := map[string]func([]string) error{
		"serve": cmdServe, "dev": cmdDev, "migrate": cmdMigrate, "keygen": cmdKeygen, "config": cmdConfig,
		"alerts": cmdAlerts, "handler": cmdHandler, "audit": cmdAudit, "retention": cmdRetention, "org": cmdOrg, "staff": cmdStaff,
		"verify-receipt": cmdVerifyReceipt,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("no command %q\n%s", args[0], usage)
	}
	return cmd(args[1:])
}

// groupHelp handles 'reprisals GROUP' and 'reprisals GROUP -h' for a
// command with subcommands: help is printed and exits 0, a missing
// subcommand is an error showing the same text.
func groupHelp(args []string, text string) (done bool, err error) {
	if len(args) == 0 {
		return true, errors.New(text)
	}
	if isHelp(args[0]) {
		fmt.Println(text)
		return true, nil
	}
	return false, nil
}

// flagUsage is a flag set's help: the command line, what it does, and its
// own flags.
func flagUsage(fs *flag.FlagSet, line, what string) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n", line)
		if what != "" {
			fmt.Fprintf(w, "\n%s\n", what)
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
}
