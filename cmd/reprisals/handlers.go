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
	"github.com/ohchr-reprisals/intake/internal/plural"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

const handlerUsage = `usage:
  reprisals handler add -name NAME -team TEAM -recipient age1...
  reprisals handler list
  reprisals handler disable NAME
  reprisals handler enable NAME
  reprisals handler set-recipient NAME age1...
  reprisals handler revoke-sessions NAME

These register handlers for login. Who new reports are encrypted to is
decided by the team's signed roster (casectl roster sign, then publish),
and older cases follow it after a rekey (casectl rekey).`

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
	if done, err := groupHelp(args, handlerUsage); done {
		return err
	}
	sub := args[0]
	fs := flag.NewFlagSet("handler "+sub, flag.ExitOnError)
	var name, team, recipient *string
	switch sub {
	case "add":
		name = fs.String("name", "", "handler name: lower-case letters, digits, '.', '_' or '-'")
		team = fs.String("team", "", "the handler's team")
		recipient = fs.String("recipient", "", "the handler's age recipient (public key), made on their own machine")
		fs.Usage = flagUsage(fs, "reprisals handler add -name NAME -team TEAM -recipient age1...",
			"Registers a handler for login (casectl login). It does not put their key on the team's signed roster: new reports are encrypted to it once the custodian adds it there.")
	case "list":
		fs.Usage = flagUsage(fs, "reprisals handler list", "Lists the registered handlers.")
	case "disable", "enable", "revoke-sessions":
		fs.Usage = flagUsage(fs, "reprisals handler "+sub+" NAME", map[string]string{
			"disable":         "Stops the handler logging in and ends their sessions. It does not take their key off the team's signed roster.",
			"enable":          "Lets a disabled handler log in again.",
			"revoke-sessions": "Ends the handler's sessions; they can log in again.",
		}[sub])
	case "set-recipient":
		fs.Usage = flagUsage(fs, "reprisals handler set-recipient NAME age1...",
			"Changes the key a handler logs in with and ends their sessions. It does not change the team's signed roster.")
	default:
		return fmt.Errorf("no subcommand %q\n%s", sub, handlerUsage)
	}
	o, ctx, err := openOperator(fs, args[1:], 30*time.Second)
	if err != nil {
		return err
	}
	defer o.close()

	switch sub {
	case "add":
		if fs.NArg() > 0 {
			return errors.New(handlerUsage)
		}
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
		signed, listed, err := o.signedRoster(ctx, *team)
		if err != nil {
			return err
		}
		fmt.Printf("Registered %s (%s) for login: they can now run casectl login.\n", *name, *team)
		if signed && listed[r.String()] {
			fmt.Printf("%s's signed roster already lists this key: new reports are encrypted to it.\n", *team)
			return nil
		}
		if signed {
			fmt.Printf("This does not change who new reports are encrypted to: %s's signed roster decides that, and does not list this key yet.\n"+
				"Next, the team's key custodian adds it (README, \"Joining\"):\n"+
				"  casectl roster fetch -team %s -out current.json\n"+
				"  casectl roster sign -key custodian.key -from current.json -add %s -label %s -out next.json\n"+
				"  casectl roster publish next.json\n"+
				"then a handler of the team runs 'casectl rekey -i IDENTITY' so that older cases open for %s too.\n",
				*team, *team, r.String(), *name, *name)
			return nil
		}
		fmt.Printf("%s has no signed roster yet, so new reports are encrypted to this key from now on; "+
			"for older cases, a handler of the team runs 'casectl rekey -i IDENTITY'.\n", *team)
		if o.rosterTeam(*team) {
			fmt.Printf("Once the team's key custodian publishes its first signed roster, that roster alone decides; it must list this key:\n"+
				"  casectl roster sign -key custodian.key -team %s -add %s -label %s -out first.json\n"+
				"  casectl roster publish first.json\n", *team, r.String(), *name)
		}
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
		if fs.NArg() < 1 || (sub != "set-recipient" && fs.NArg() != 1) {
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
		return o.explainHandlerChange(ctx, sub, h, rec)
	}
	return errors.New(handlerUsage)
}

// explainHandlerChange says what a handler change did, what it did not
// change, and the roster step that does.
func (o *operatorEnv) explainHandlerChange(ctx context.Context, sub string, h store.Handler, rec string) error {
	switch sub {
	case "revoke-sessions":
		fmt.Printf("Ended %s's sessions; they can log in again.\n", h.Name)
		return nil
	case "enable":
		fmt.Printf("Enabled %s: they can log in again.\n", h.Name)
	case "disable":
		fmt.Printf("Disabled %s: they can no longer log in, and their sessions are ended.\n", h.Name)
	case "set-recipient":
		fmt.Printf("%s now logs in with %s; their sessions are ended.\n", h.Name, rec)
	}
	signed, listed, err := o.signedRoster(ctx, h.Team)
	if err != nil {
		return err
	}
	if !signed {
		fmt.Printf("%s has no signed roster yet, so new reports are encrypted to its active handlers' keys; "+
			"stored cases change only when a handler of the team runs 'casectl rekey -i IDENTITY'.\n", h.Team)
		return nil
	}
	switch {
	case sub == "disable" && !listed[h.Recipient]:
		fmt.Printf("%s's signed roster does not list their key, so new reports are not encrypted to it; "+
			"stored cases that still open with it change only after a rekey ('casectl rekey -i IDENTITY').\n", h.Team)
	case sub == "disable":
		fmt.Printf("This does not stop new reports being encrypted to their key, and stored cases still open with it: %s's signed roster decides that.\n"+
			"Next, the team's key custodian removes the key (README, \"Leaving\"):\n"+
			"  casectl roster fetch -team %s -out current.json\n"+
			"  casectl roster sign -key custodian.key -from current.json -remove %s -out next.json\n"+
			"  casectl roster publish next.json\n"+
			"then a handler of the team runs 'casectl rekey -i IDENTITY'.\n", h.Team, h.Team, h.Recipient)
	case sub == "enable":
		fmt.Printf("This does not add their key to %s's signed roster; if it was removed, the custodian adds it again (README, \"Joining\").\n", h.Team)
	case sub == "set-recipient":
		fmt.Printf("This does not change %s's signed roster: the custodian removes the old key and adds the new one (README, \"Loss or rotation\"):\n"+
			"  casectl roster sign -key custodian.key -from current.json -remove %s -add %s -label %s -out next.json\n"+
			"then publishes it, and a handler of the team runs 'casectl rekey -i IDENTITY'.\n", h.Team, h.Recipient, rec, h.Name)
	}
	return nil
}

// signedRoster reports whether team's recipients come from a signed
// roster (it has roster keys and a published roster) rather than from
// handler registration, and which recipients that roster lists. It only
// reads the roster to explain: the server verifies it where it is used.
func (o *operatorEnv) signedRoster(ctx context.Context, team string) (bool, map[string]bool, error) {
	if !o.rosterTeam(team) {
		return false, nil, nil
	}
	latest, err := o.db.LatestRosters(ctx)
	if err != nil {
		return false, nil, err
	}
	sr, ok := latest[team]
	if !ok {
		return false, nil, nil
	}
	listed := map[string]bool{}
	if r, err := roster.Parse([]byte(sr.Roster)); err == nil {
		for _, e := range r.Entries {
			listed[e.Recipient] = true
		}
	}
	return true, listed, nil
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
	const auditUsage = "usage:\n  reprisals audit verify [-config FILE]"
	if done, err := groupHelp(args, auditUsage); done {
		return err
	}
	if args[0] != "verify" {
		return fmt.Errorf("no subcommand %q\n%s", args[0], auditUsage)
	}
	fs := flag.NewFlagSet("audit verify", flag.ExitOnError)
	fs.Usage = flagUsage(fs, "reprisals audit verify", "Walks the audit log's chain, names the first entry edited, removed or inserted, and prints the head to record elsewhere.")
	o, ctx, err := openOperator(fs, args[1:], 10*time.Minute)
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
	fs.Usage = flagUsage(fs, "reprisals retention [-dry-run]", "Applies the retention policy ([retention.days]) now, or lists what it would delete.")
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
	fmt.Printf("%s %s.\n", verb, plural.Noun(len(list), "case", "cases"))
	return err
}

const orgUsage = `usage:
  reprisals org add -slug SLUG -name "Organisation name"
  reprisals staff add -org SLUG -username NAME
  reprisals staff reset-password NAME
  reprisals staff reset-totp NAME
  reprisals staff unlock NAME
  reprisals staff disable NAME
  reprisals staff enable NAME
  reprisals staff code TOTP-SECRET (prints the current code, for development)`

// cmdOrg and cmdStaff manage intermediary organisations and their staff.
// New credentials are printed once, for the operator to hand over safely.
func cmdOrg(args []string) error {
	const usage = "usage:\n  reprisals org add -slug SLUG -name \"Organisation name\""
	if done, err := groupHelp(args, usage); done {
		return err
	}
	if args[0] != "add" {
		return fmt.Errorf("no subcommand %q\n%s", args[0], usage)
	}
	fs := flag.NewFlagSet("org add", flag.ExitOnError)
	slug := fs.String("slug", "", "short identifier, stored in clear as the channel of the cases it logs")
	name := fs.String("name", "", "the organisation's name")
	fs.Usage = flagUsage(fs, `reprisals org add -slug SLUG -name "Organisation name"`, "Adds an NHRI or NGO whose staff log cases on victims' behalf.")
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
	if done, err := groupHelp(args, orgUsage); done {
		return err
	}
	sub := args[0]
	fs := flag.NewFlagSet("staff "+sub, flag.ExitOnError)
	if sub == "code" {
		// The current TOTP code of a secret, as an authenticator app shows
		// it: for trying the staff pages in development.
		fs.Usage = flagUsage(fs, "reprisals staff code TOTP-SECRET", "Prints the current sign-in code for a TOTP secret, as an authenticator app would (for development).")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("usage: reprisals staff code TOTP-SECRET")
		}
		code, err := intermediary.Code(fs.Arg(0), time.Now())
		if err != nil {
			return errors.New("not a TOTP secret (base32)")
		}
		fmt.Println(code)
		return nil
	}
	var org *string
	username := new(string)
	switch sub {
	case "add":
		org = fs.String("org", "", "organisation slug")
		username = fs.String("username", "", "the new account's username: lower-case letters, digits, '.', '_' or '-'")
		fs.Usage = flagUsage(fs, "reprisals staff add -org SLUG -username NAME", "Adds a staff account and prints its password and TOTP secret once.")
	case "reset-password", "reset-totp", "unlock", "disable", "enable":
		fs.StringVar(username, "username", "", "the account (or name it after the flags)")
		fs.Usage = flagUsage(fs, "reprisals staff "+sub+" NAME", map[string]string{
			"reset-password": "Makes a new password, prints it once and ends the account's sessions.",
			"reset-totp":     "Makes a new TOTP secret, prints it once and ends the account's sessions.",
			"unlock":         "Ends a lockout after wrong sign-in codes.",
			"disable":        "Stops the account signing in and ends its sessions.",
			"enable":         "Lets a disabled account sign in again.",
		}[sub])
	default:
		return fmt.Errorf("no subcommand %q\n%s", sub, orgUsage)
	}
	o, ctx, err := openOperator(fs, args[1:], 30*time.Second)
	if err != nil {
		return err
	}
	defer o.close()
	svc := intermediary.New(o.db, o.cfg)
	name := *username
	switch {
	case sub == "add" && fs.NArg() == 0:
	case sub != "add" && name == "" && fs.NArg() == 1:
		name = fs.Arg(0)
	case sub != "add" && name != "" && fs.NArg() == 0:
	default:
		return errors.New(orgUsage)
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
