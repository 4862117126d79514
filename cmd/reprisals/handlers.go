package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"text/tabwriter"
	"time"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/store"
)

const handlerUsage = `usage:
  reprisals handler add -name NAME -team TEAM -recipient age1...
  reprisals handler list
  reprisals handler disable NAME
  reprisals handler enable NAME
  reprisals handler set-recipient NAME age1...
  reprisals handler revoke-sessions NAME`

var handlerName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// operatorEnv is what the operator commands share: the configuration, the
// database, and the audit identity of the person running the command.
type operatorEnv struct {
	cfg    config.Config
	db     *store.DB
	cases  *casework.Service
	actor  string
	cancel context.CancelFunc
}

// openOperator parses the command's flags, connects to the database and
// returns a context that ends after limit. The caller defers close.
func openOperator(fs *flag.FlagSet, args []string, limit time.Duration) (*operatorEnv, context.Context, error) {
	cfg, err := loadForDatabase(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.ReceiptKey()) == 0 {
		return nil, nil, errors.New("receipts.key_file: not set: the audit log's key is derived from the receipt key")
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	db, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	cases, err := casework.NewService(db, cfg)
	if err != nil {
		db.Close()
		cancel()
		return nil, nil, err
	}
	actor := "unknown"
	if u, err := user.Current(); err == nil {
		actor = u.Username
	}
	return &operatorEnv{cfg: cfg, db: db, cases: cases, actor: actor, cancel: cancel}, ctx, nil
}

// close releases the database and the command's context.
func (o *operatorEnv) close() {
	o.db.Close()
	o.cancel()
}

// checkHandlerRecipient parses a handler's recipient and checks it can be
// mixed with the configured keys.
func (o *operatorEnv) checkHandlerRecipient(s string) (crypto.Recipient, error) {
	r, err := crypto.ParseRecipient(s)
	if err != nil {
		return r, fmt.Errorf("recipient: %w", err)
	}
	all := []crypto.Recipient{r}
	for _, t := range o.cfg.Teams {
		all = append(all, t.Keys()...)
	}
	if err := crypto.CheckCompatible(all); err != nil {
		return r, fmt.Errorf("recipient: %w", err)
	}
	return r, nil
}

func cmdHandler(args []string) error {
	if len(args) == 0 {
		return errors.New(handlerUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("handler "+sub, flag.ExitOnError)
	name := fs.String("name", "", "handler name: lower-case letters, digits, '.', '_' or '-'")
	team := fs.String("team", "", "the handler's team")
	recipient := fs.String("recipient", "", "the handler's age recipient (public key), made on their own machine")
	o, ctx, err := openOperator(fs, args[1:], 30*time.Second)
	if err != nil {
		return err
	}
	defer o.close()

	switch sub {
	case "add":
		if !handlerName.MatchString(*name) {
			return errors.New("-name: lower-case letters, digits, '.', '_' or '-', at most 63")
		}
		known := false
		for _, t := range o.cfg.Teams {
			known = known || t.Name == *team
		}
		if !known {
			return fmt.Errorf("-team: %q is not a configured team", *team)
		}
		r, err := o.checkHandlerRecipient(*recipient)
		if err != nil {
			return err
		}
		err = o.db.AddHandler(ctx, store.Handler{Name: *name, Team: *team, Recipient: r.String()},
			o.cases.OperatorAudit(o.actor, "handler.add", fmt.Sprintf("%s team=%s recipient=%s", *name, *team, r.String())))
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("a handler called %s already exists", *name)
		}
		if err != nil {
			return err
		}
		if o.rosterTeam(*team) {
			fmt.Printf("Added %s to %s, for login. New reports are encrypted to their key once the team's key custodian adds it to the team's signed roster "+
				"(casectl roster sign -add %s -label %s, then casectl roster publish); then a handler of the team runs 'casectl rekey' for older cases.\n",
				*name, *team, r.String(), *name)
			return nil
		}
		fmt.Printf("Added %s to %s. New reports are encrypted to their key too; to give them older cases, a handler of the team runs 'casectl rekey'.\n", *name, *team)
		return nil

	case "list":
		list, err := o.db.ListHandlers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTEAM\tACTIVE\tRECIPIENT")
		for _, h := range list {
			fmt.Fprintf(tw, "%s\t%s\t%t\t%s\n", h.Name, h.Team, h.Active, h.Recipient)
		}
		return tw.Flush()

	case "disable", "enable", "set-recipient", "revoke-sessions":
		if fs.NArg() < 1 {
			return errors.New(handlerUsage)
		}
		h, err := o.db.HandlerByName(ctx, fs.Arg(0))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no handler called %s", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		active, rec, detail := h.Active, h.Recipient, h.Name
		switch sub {
		case "disable":
			active = false
		case "enable":
			active = true
		case "set-recipient":
			if fs.NArg() != 2 {
				return errors.New(handlerUsage)
			}
			r, err := o.checkHandlerRecipient(fs.Arg(1))
			if err != nil {
				return err
			}
			rec = r.String()
			detail += " recipient=" + rec
		}
		if err := o.db.UpdateHandler(ctx, h.Name, active, rec, o.cases.OperatorAudit(o.actor, "handler."+sub, detail)); err != nil {
			return err
		}
		if o.rosterTeam(h.Team) && sub != "revoke-sessions" {
			fmt.Printf("Done: %s %s. Their sessions are ended. The team's signed roster still decides who new reports are encrypted to: "+
				"the key custodian signs a new version (casectl roster sign -add or -remove), a handler publishes it and runs 'casectl rekey'.\n", sub, h.Name)
			return nil
		}
		fmt.Printf("Done: %s %s. Their sessions are ended. New reports use the team's current keys; a handler of the team runs 'casectl rekey' for older cases.\n", sub, h.Name)
		return nil
	}
	return errors.New(handlerUsage)
}

// rosterTeam reports whether team has roster keys, so its recipients come
// from its signed roster rather than from handler registration.
func (o *operatorEnv) rosterTeam(team string) bool {
	for _, t := range o.cfg.Teams {
		if t.Name == team {
			return len(t.RosterKeys) > 0
		}
	}
	return false
}

func cmdAudit(args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: reprisals audit verify")
	}
	o, ctx, err := openOperator(flag.NewFlagSet("audit verify", flag.ExitOnError), args[1:], 10*time.Minute)
	if err != nil {
		return err
	}
	defer o.close()
	v := audit.NewVerifier(audit.Key(o.cfg.ReceiptKey()))
	if err := o.db.AuditEntries(ctx, v.Check); err != nil {
		return err
	}
	n, head := v.Head()
	fmt.Printf("The audit log verifies: %d entries. Head: entry %d, MAC %x\n", n, n, head)
	fmt.Println("Record the head somewhere else: the chain alone cannot show that its newest entries were removed.")
	return nil
}

// cmdRetention applies the retention policy now, or with -dry-run lists
// what it would delete.
func cmdRetention(args []string) error {
	fs := flag.NewFlagSet("retention", flag.ExitOnError)
	dry := fs.Bool("dry-run", false, "only list the cases the policy would delete")
	o, ctx, err := openOperator(fs, args, 30*time.Minute)
	if err != nil {
		return err
	}
	defer o.close()
	list, err := o.cases.ApplyRetention(ctx, o.cfg.Retention.Days, *dry)
	verb := "Purged"
	if *dry {
		verb = "Would purge"
	}
	for _, c := range list {
		fmt.Printf("%s %s (%s since %s)\n", verb, c.Reference, c.Status, c.Since.Format(time.DateOnly))
	}
	fmt.Printf("%s %d case(s).\n", verb, len(list))
	return err
}

const orgUsage = `usage:
  reprisals org add -slug SLUG -name "Organisation name"
  reprisals staff add -org SLUG -username NAME
  reprisals staff reset-password|reset-totp|unlock|disable|enable NAME
  reprisals staff code TOTP-SECRET (prints the current code, for development)`

// cmdOrg and cmdStaff manage intermediary organisations and their staff.
// New credentials are printed once, for the operator to hand over safely.
func cmdOrg(args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(orgUsage)
	}
	fs := flag.NewFlagSet("org add", flag.ExitOnError)
	slug := fs.String("slug", "", "short identifier, stored in clear as the channel of the cases it logs")
	name := fs.String("name", "", "the organisation's name")
	o, ctx, err := openOperator(fs, args[1:], 30*time.Second)
	if err != nil {
		return err
	}
	defer o.close()
	if *name == "" {
		return errors.New(orgUsage)
	}
	if err := intermediary.New(o.db, o.cfg).AddOrganisation(ctx, *slug, *name, o.actor); err != nil {
		return err
	}
	fmt.Printf("Added organisation %s.\n", *slug)
	return nil
}

func cmdStaff(args []string) error {
	if len(args) == 0 {
		return errors.New(orgUsage)
	}
	if args[0] == "code" {
		// The current TOTP code of a secret, as an authenticator app shows
		// it: for trying the staff pages in development.
		if len(args) != 2 {
			return errors.New("usage: reprisals staff code TOTP-SECRET")
		}
		code, err := intermediary.Code(args[1], time.Now())
		if err != nil {
			return errors.New("not a TOTP secret (base32)")
		}
		fmt.Println(code)
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("staff "+sub, flag.ExitOnError)
	org := fs.String("org", "", "organisation slug")
	username := fs.String("username", "", "username")
	o, ctx, err := openOperator(fs, args[1:], 30*time.Second)
	if err != nil {
		return err
	}
	defer o.close()
	svc := intermediary.New(o.db, o.cfg)
	name := *username
	if sub != "add" {
		if fs.NArg() != 1 {
			return errors.New(orgUsage)
		}
		name = fs.Arg(0)
	}
	var cred intermediary.Credentials
	switch sub {
	case "add":
		if !handlerName.MatchString(name) {
			return errors.New("-username: lower-case letters, digits, '.', '_' or '-'")
		}
		cred, err = svc.AddStaff(ctx, *org, name, o.actor)
	case "reset-password":
		cred, err = svc.ResetPassword(ctx, name, o.actor)
	case "reset-totp":
		cred, err = svc.ResetTOTP(ctx, name, o.actor)
	case "unlock":
		err = svc.Unlock(ctx, name, o.actor)
	case "disable", "enable":
		err = svc.SetActive(ctx, name, sub == "enable", o.actor)
	default:
		return errors.New(orgUsage)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no such staff account or organisation")
	}
	if errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("%s already exists", name)
	}
	if err != nil {
		return err
	}
	fmt.Printf("Done: %s %s. Their sessions are ended.\n", sub, name)
	if cred.Password != "" {
		fmt.Printf("Password: %s\n", cred.Password)
	}
	if cred.TOTPSecret != "" {
		fmt.Printf("TOTP secret: %s\nTOTP URI (for a QR code): %s\n", cred.TOTPSecret, cred.TOTPURI)
	}
	if cred.Password != "" || cred.TOTPSecret != "" {
		fmt.Println("Hand these over in person or by a secure channel; they are not shown again.")
	}
	return nil
}
