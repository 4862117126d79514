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
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "reprisals:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return usageError()
	}
	cmds := map[string]func([]string) error{
		"serve": cmdServe, "dev": cmdDev, "migrate": cmdMigrate, "keygen": cmdKeygen, "config": cmdConfig,
		"alerts": cmdAlerts, "handler": cmdHandler, "audit": cmdAudit, "retention": cmdRetention, "org": cmdOrg, "staff": cmdStaff,
		"verify-receipt": cmdVerifyReceipt,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return usageError()
	}
	return cmd(args[1:])
}

func usageError() error {
	return fmt.Errorf("usage: reprisals serve|dev|migrate|alerts|handler|audit|retention|org|staff|keygen|config|verify-receipt [flags] (see -h of each)")
}
