package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ohchr-reprisals/intake/internal/plural"
	"github.com/ohchr-reprisals/intake/store"
)

// cmdAlerts is the operator's view of undelivered alerts:
//
//	reprisals alerts list [-state pending|failed]
//	reprisals alerts retry (-all | ID...)
func cmdAlerts(args []string) error {
	const usage = "usage:\n  reprisals alerts list [-state pending|failed]\n  reprisals alerts retry (-all | ID...)"
	if done, err := groupHelp(args, usage); done {
		return err
	}
	sub := args[0]
	fs := flag.NewFlagSet("alerts "+sub, flag.ExitOnError)
	state, all := new(string), new(bool)
	switch sub {
	case "list":
		fs.StringVar(state, "state", "", "list only alerts in this state: pending or failed")
		fs.Usage = flagUsage(fs, "reprisals alerts list [-state pending|failed]", "Lists undelivered alerts: reference, team, attempts, next attempt, last error.")
	case "retry":
		fs.BoolVar(all, "all", false, "retry every failed alert")
		fs.Usage = flagUsage(fs, "reprisals alerts retry (-all | ID...)", "Queues failed alerts again, after the relay or an address was fixed.")
	default:
		return fmt.Errorf("no subcommand %q\n%s", sub, usage)
	}
	cfg, err := loadForDatabase(fs, args[1:])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		return err
	}
	defer db.Close()

	if sub == "retry" {
		var ids []int64
		for _, a := range fs.Args() {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an alert ID (see 'reprisals alerts list')", a)
			}
			ids = append(ids, id)
		}
		if len(ids) == 0 && !*all {
			return errors.New("name the alert IDs to retry, or -all for every failed alert")
		}
		n, err := db.RetryFailedAlerts(ctx, ids)
		if err != nil {
			return err
		}
		fmt.Printf("%s queued again.\n", plural.Noun(n, "failed alert", "failed alerts"))
		return nil
	}

	if fs.NArg() > 0 {
		return errors.New(usage)
	}
	if *state != "" && *state != "pending" && *state != "failed" {
		return errors.New("-state must be pending or failed")
	}
	list, err := db.ListAlerts(ctx, *state)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Println("No undelivered alerts.")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREFERENCE\tTEAM\tURGENT\tSTATE\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, a := range list {
		next := "now"
		switch {
		case a.State == "failed":
			next = "needs 'alerts retry'"
		case a.Leased:
			next = "being sent"
		case a.DueAt != nil && a.DueAt.After(time.Now()):
			next = a.DueAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%t\t%s\t%d\t%s\t%s\n", a.ID, a.Reference, a.Team, a.Urgent, a.State, a.Attempts, next, a.LastError)
	}
	return tw.Flush()
}
