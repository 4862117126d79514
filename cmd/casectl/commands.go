package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/internal/plural"
	"github.com/ohchr-reprisals/intake/roster"
)

func (c *cli) login() error {
	if c.server == "" || c.handler == "" {
		return errors.New("usage: casectl login -server URL -handler NAME -i IDENTITY")
	}
	ids, err := c.identities()
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	sess, err := desk.Login(c.ctx, api, c.handler, ids)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(sess, "", "  ")
	if err := os.MkdirAll(filepath.Dir(c.sessionFile), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(c.sessionFile, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Logged in as %s (%s) until %s.\n", handlerapi.Safe(sess.Handler), handlerapi.Safe(sess.Team), sess.ExpiresAt.Local().Format("2006-01-02 15:04:05 MST"))
	// The team is the server's word: notes go only to a pinned team whose
	// signed roster lists this handler (see teamOfMine).
	if pins, err := roster.LoadPins(c.pinsPath()); err == nil && pins.Teams[sess.Team] == nil {
		fmt.Fprintf(c.out, "Note: the server says your team is %s, whose roster key you have not pinned. "+
			"Pin it (casectl roster pin) before you write notes; if that is not your team, tell your security focal point.\n", handlerapi.Safe(sess.Team))
	}
	return nil
}

// teamOfMine returns the verified roster of the handler's team
// (desk.TeamOfMine).
func (c *cli) teamOfMine() ([]crypto.Recipient, error) {
	d, err := c.desk(nil)
	if err != nil {
		return nil, err
	}
	recs, err := d.TeamOfMine(c.ctx)
	if errors.Is(err, desk.ErrNotInRoster) {
		return nil, c.notInRoster()
	}
	return recs, err
}

// desk is the handler-side core for this command, with identities ids
// (nil where the command needs none).
func (c *cli) desk(ids []age.Identity) (desk.Desk, error) {
	api, err := c.client()
	if err != nil {
		return desk.Desk{}, err
	}
	rs, err := c.rosters()
	if err != nil {
		return desk.Desk{}, err
	}
	return desk.Desk{API: api, IDs: ids, Rosters: rs, Handler: c.sess.Handler, Team: c.sess.Team, Mine: c.sess.Recipients}, nil
}

func (c *cli) logout() error {
	api, err := c.client()
	if err == nil {
		err = api.Logout(c.ctx)
	}
	os.Remove(c.sessionFile)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, "Logged out.")
	return nil
}

func (c *cli) cases() error {
	d, err := c.desk(nil)
	if err != nil {
		return err
	}
	res, err := d.Cases(c.ctx, handlerapi.CaseQuery{Status: c.status, Urgency: c.urgency, Assignee: c.assignee, Sort: c.sort, Page: c.page})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tRECEIVED\tSTATUS\tURGENCY\tASSIGNEE\tDEADLINE\tSIZE\tCHANNEL\tTEAMS")
	for _, m := range res.Cases {
		status := m.StatusName
		if m.StatusDetail != "" {
			status += " (" + closureOrDetail(m) + ")"
		}
		safe := handlerapi.Safe
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d KiB\t%s\t%s\n", safe(m.Reference), safe(m.ReceivedOn), safe(status), safe(dash(m.Urgency)),
			safe(dash(m.Assignee)), safe(dash(m.NextDeadline)), m.SizeBucket>>10, safe(m.Channel), safe(strings.Join(m.Teams, ",")))
	}
	tw.Flush()
	pages := max(1, (res.Total+res.PerPage-1)/max(1, res.PerPage))
	fmt.Fprintf(c.out, "Page %d of %d (%d cases).\n", res.Page, pages, res.Total)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fetch gets a case and decrypts it in memory, checking that the server's
// answer and the envelope are the case asked for (desk.Fetch).
func (c *cli) fetch(ref string, ids []age.Identity) (handlerapi.Case, envelope.Case, []byte, error) {
	api, err := c.client()
	if err != nil {
		return handlerapi.Case{}, envelope.Case{}, nil, err
	}
	return desk.Fetch(c.ctx, api, ref, ids)
}

// refAndIdentities returns the case reference argument and the identities.
func (c *cli) refAndIdentities() (string, []age.Identity, error) {
	ref, err := c.ref()
	if err != nil {
		return "", nil, err
	}
	ids, err := c.identities()
	return ref, ids, err
}

func (c *cli) show() error {
	ref, ids, err := c.refAndIdentities()
	if err != nil {
		return err
	}
	cs, env, plain, err := c.fetch(ref, ids)
	if err != nil {
		return err
	}
	clear(plain)
	if c.asJSON {
		b, err := json.MarshalIndent(env, "", "  ")
		if err != nil {
			return err
		}
		_, err = c.out.Write(append(handlerapi.SafeJSON(b), '\n'))
		return err
	}
	printCase(c.out, cs, env)
	list, err := c.attachments(ref, ids)
	if err != nil {
		return err
	}
	writeAttachmentList(c.out, list)
	return nil
}

// printCase prints a decrypted case readably. Every string goes through
// handlerapi.Safe or SafeText.
func printCase(w io.Writer, cs handlerapi.Case, env envelope.Case) {
	w = handlerapi.NewSafeWriter(w)
	if warn := orgWarning(env); warn != "" {
		fmt.Fprintf(w, "!! %s\n\n", warn)
	}
	fmt.Fprintf(w, "Reference:   %s\nReceived:    %s\nStatus:      %s\nUrgency:     %s\nAssignee:    %s\nDeadline:    %s\nRouted to:   %s\nChannel:     %s\nLanguage:    %s\n",
		env.Reference, env.ReceivedAt.Format(time.RFC3339), cs.StatusName, dash(cs.Urgency), dash(cs.Assignee),
		dash(cs.NextDeadline), strings.Join(env.Teams, ", "), channelName(env.Channel), console.Label("language", env.Report.Language))
	printStruct(w, reflect.ValueOf(env.Report), "")
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
				vals := slices.Clone(f.Interface().([]string))
				for j, v := range vals {
					vals[j] = valueName(t.Field(i), v)
				}
				fmt.Fprintf(out, "%s: %s\n", path, handlerapi.Safe(strings.Join(vals, ", ")))
			}
		case reflect.Bool:
			fmt.Fprintf(out, "%s: %t\n", path, f.Bool())
		case reflect.String:
			if s := f.String(); s != "" {
				fmt.Fprintf(out, "%s: %s\n", path, strings.ReplaceAll(handlerapi.SafeText(valueName(t.Field(i), s)), "\n", "\n    "))
			}
		}
	}
}

// valueName is the name the console shows for a field's value: a
// choice's label (from its validate tag's choice=NAME), a State's UN name;
// other values as they are.
func valueName(f reflect.StructField, v string) string {
	for _, rule := range strings.Split(f.Tag.Get("validate"), ",") {
		if kind, ok := strings.CutPrefix(rule, "choice="); ok {
			return console.Label(kind, v)
		}
		if rule == "country" {
			if v == country.NotSure {
				return "Not sure"
			}
			if n := country.Name(v, "en"); n != "" {
				return n
			}
		}
	}
	return v
}

// closureOrDetail is a status's detail in words: a closed case's reason
// by its name, a duplicate's original by its reference.
func closureOrDetail(m handlerapi.CaseMeta) string {
	if m.Status == "closed" {
		return handlerapi.ClosureName(m.StatusDetail)
	}
	return handlerapi.Safe(m.StatusDetail)
}

// channelName says how a case arrived, in words.
func channelName(ch string) string {
	if slug, ok := strings.CutPrefix(ch, "org:"); ok {
		return "logged by the organisation " + slug
	}
	if ch == "public" {
		return "public form or API"
	}
	return ch
}

func (c *cli) triage() error {
	ref, err := c.ref()
	if err != nil {
		return err
	}
	var change handlerapi.Change
	for flagName, field := range map[string]**string{"status": &change.Status, "detail": &change.StatusDetail, "urgency": &change.Urgency, "assignee": &change.Assignee, "deadline": &change.NextDeadline} {
		if c.set(flagName) {
			v := c.fs.Lookup(flagName).Value.String()
			*field = &v
		}
	}
	d, err := c.desk(nil)
	if err != nil {
		return err
	}
	m, err := d.TriageCase(c.ctx, ref, change)
	if err != nil {
		return triageRefusal(ref, err)
	}
	fmt.Fprintf(c.out, "%s: %s%s, urgency %s, assignee %s, deadline %s\n", handlerapi.Safe(m.Reference), handlerapi.Safe(m.StatusName),
		map[bool]string{true: " (" + closureOrDetail(m) + ")", false: ""}[m.StatusDetail != ""], dash(m.Urgency), dash(m.Assignee), dash(m.NextDeadline))
	return nil
}

// triageRefusal words desk's refusals of a triage change.
func triageRefusal(ref string, err error) error {
	var ce *desk.ChangeError
	if !errors.As(err, &ce) {
		return err
	}
	choose := ""
	if len(ce.Allowed) > 0 {
		q := make([]string, len(ce.Allowed))
		for i, a := range ce.Allowed {
			q[i] = fmt.Sprintf("%q", handlerapi.Safe(a))
		}
		choose = "; choose one of " + strings.Join(q, ", ")
	}
	safe := handlerapi.Safe
	switch ce.Err {
	case desk.ErrNoChange:
		return errors.New("nothing to change: give -status, -urgency, -assignee or -deadline")
	case desk.ErrNoStatus, desk.ErrTransition:
		return fmt.Errorf("case %s cannot go from %s to %q%s", safe(ref), safe(ce.From), safe(ce.To), choose)
	case desk.ErrNeedReason:
		return fmt.Errorf("closing a case needs a reason in -detail, not %q%s", safe(ce.To), choose)
	case desk.ErrNeedOriginal:
		return fmt.Errorf("marking a duplicate needs the original case's reference in -detail (another case), not %q", safe(ce.To))
	case desk.ErrBadUrgency:
		return fmt.Errorf("-urgency %q is not one of the team's%s", safe(ce.To), choose)
	case desk.ErrBadDeadline:
		return fmt.Errorf("-deadline %q is not a date: give it as YYYY-MM-DD, or \"\" to clear", safe(ce.To))
	case desk.ErrBadAssignee:
		return fmt.Errorf("-assignee %q is not a handler of your team%s", safe(ce.To), choose)
	}
	return err
}

// text returns -m or standard input, bounded.
func (c *cli) text() ([]byte, error) {
	if c.set("m") {
		return []byte(c.message), nil
	}
	b, err := io.ReadAll(io.LimitReader(c.stdin(), 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("the text is longer than 1 MiB")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("the text is empty")
	}
	return b, nil
}

// orgWarning is shown for a case an intermediary logged: its staff saw the
// receipt, so they can read replies.
func orgWarning(env envelope.Case) string {
	if env.Intermediary == nil {
		return ""
	}
	return intermediaryWarning(*env.Intermediary)
}

func intermediaryWarning(in envelope.IntermediaryRecord) string {
	return fmt.Sprintf("This case was logged by %s (%s) on the victim's behalf: its staff saw the receipt and can read every reply at /return.",
		handlerapi.Safe(in.OrganisationName), handlerapi.Safe(in.Organisation))
}

func (c *cli) note() error { return c.addNote(desk.KindNote) }

func (c *cli) reply() error { return c.addNote(desk.KindReply) }

// addNote writes a note or reply with desk (Prepare checks the case and
// the recipients, asking about rosters; then the text is read and Send
// seals it), wording desk's refusals for the terminal.
func (c *cli) addNote(kind string) error {
	ref, err := c.ref()
	if err != nil {
		return err
	}
	var ids []age.Identity
	if kind == desk.KindReply || c.identityFile != "" {
		if ids, err = c.identities(); err != nil {
			return err
		}
	}
	d, err := c.desk(ids)
	if err != nil {
		return err
	}
	if kind == desk.KindReply {
		// Replies are signed: the reporter is shown no other.
		if d.Signing, err = desk.LoadSigningKey(c.identityFile, ids); err != nil {
			return err
		}
	}
	out, err := d.Prepare(c.ctx, kind, ref, desk.NoteOptions{OrgMayRead: c.orgMayRead, TrustServerReplyKey: c.serverReplyKey})
	if err != nil {
		return c.noteRefusal(ref, err)
	}
	text, err := c.text()
	if err != nil {
		return err
	}
	id, err := out.Send(c.ctx, string(text))
	clear(text)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Added %s %d to %s, encrypted to %s.\n", kind, id, ref, plural.Noun(out.Recipients(), "recipient", "recipients"))
	return nil
}

// noteRefusal words desk's refusals of a note or reply.
func (c *cli) noteRefusal(ref string, err error) error {
	var org *desk.OrgMayReadError
	switch {
	case errors.As(err, &org):
		return errors.New(intermediaryWarning(org.Intermediary) + " Write the reply so that is safe for the victim, then send it again with -org-may-read.")
	case errors.Is(err, desk.ErrReplyKeySwapped):
		return fmt.Errorf("the server names a reply key for %s that is not the one sealed in the report: "+
			"someone may be trying to read your reply. Nothing was sent. Tell your security focal point", handlerapi.Safe(ref))
	case errors.Is(err, desk.ErrReplyKeyUnsealed):
		return fmt.Errorf("%s predates reply keys sealed in the report, so its reply key is only the server's word: "+
			"a server that swapped it would read your reply. Nothing was sent. Write the reply so that is safe, "+
			"then send it again with -trust-server-reply-key", handlerapi.Safe(ref))
	case errors.Is(err, desk.ErrNotInRoster):
		return c.notInRoster()
	case errors.Is(err, desk.ErrNoSigningKey):
		return fmt.Errorf("you have no signing key beside %s, and reporters are shown only signed replies. Nothing was sent. "+
			"Make one (casectl signing-key -i %s), give the public key it prints to your key custodian, and send the reply again once the roster lists it", c.identityFile, c.identityFile)
	case errors.Is(err, desk.ErrSignerNotInRoster):
		return errors.New("no signed roster of the case's teams lists your signing key, so the reporter would not be shown your reply. Nothing was sent. " +
			"Give your signing key (casectl signing-key prints it) to your key custodian, and send the reply again once the roster lists it")
	}
	return err
}

// notInRoster words desk.ErrNotInRoster.
func (c *cli) notInRoster() error {
	return fmt.Errorf("the server says your team is %s, but that team's signed roster does not list your key. "+
		"Nothing was encrypted. If you were just added, ask your key custodian to publish the new roster; otherwise tell your security focal point", handlerapi.Safe(c.sess.Team))
}

func (c *cli) notes() error {
	ref, ids, err := c.refAndIdentities()
	if err != nil {
		return err
	}
	d, err := c.desk(ids)
	if err != nil {
		return err
	}
	list, err := d.API.Notes(c.ctx, ref)
	if err != nil {
		return err
	}
	writeNotes(c.out, d.Thread(c.ctx, ref, nil, list))
	return nil
}

// writeNotes prints a case's notes, replies and the reporter's
// follow-ups, decrypted and checked to be things of case ref
// (desk.OpenThread); everything from the server or the plaintext is
// printed through handlerapi.Safe or SafeText.
func writeNotes(w io.Writer, thread []desk.Entry) {
	if len(thread) == 0 {
		fmt.Fprintln(w, "No notes, replies or follow-ups.")
	}
	safe := handlerapi.Safe
	for _, e := range thread {
		switch e.Kind {
		case "followup":
			fmt.Fprintf(w, "-- follow-up %d from the reporter, %s\n", e.ID, safe(e.CreatedOn))
		case "reply":
			fmt.Fprintf(w, "-- reply %d to the reporter by %s (%s), %s\n", e.ID, safe(e.Note.Author), safe(e.Team), safe(e.CreatedOn))
		default:
			fmt.Fprintf(w, "-- note %d by %s (%s), %s\n", e.ID, safe(e.Note.Author), safe(e.Team), safe(e.CreatedOn))
		}
		switch {
		case e.Problem == desk.Closed:
			fmt.Fprintln(w, "   (not encrypted to your identity)")
			continue
		case e.Problem == desk.Foreign && e.Kind == "followup":
			fmt.Fprintln(w, "   (not a follow-up of this case: not shown)")
			continue
		case e.Problem == desk.Foreign:
			fmt.Fprintf(w, "   (NOT a %s of this case: not shown. The server lists something else under this case; tell your security focal point)\n", e.Kind)
			continue
		case e.Unverified:
			fmt.Fprintln(w, "   (UNVERIFIED: written before notes were bound to their case, so it may belong to another case)")
		case e.Author != e.Note.Author:
			fmt.Fprintf(w, "   (written by %s, whatever the server says)\n", safe(e.Author))
		}
		switch e.Signature {
		case desk.SigVerified:
			fmt.Fprintf(w, "   (signature verified: signed by %s's signing key, as your team's verified roster lists it; the reporter is shown this reply)\n", safe(e.SignedBy))
		case desk.SigUnlisted:
			fmt.Fprintln(w, "   (NOT VERIFIED: signed by a key no verified roster of the case's teams lists, such as a handler since removed; the reporter is not shown this reply)")
		case desk.SigForged:
			fmt.Fprintln(w, "   (FORGED: its signature does not verify, so it was changed after it was signed; the reporter is not shown this reply. Tell your security focal point)")
		case desk.SigUnsigned:
			fmt.Fprintln(w, "   (NOT SIGNED: written before replies were signed, or put in the server's database by someone else; the reporter is not shown this reply)")
		}
		text := e.Text
		if e.Kind == "followup" {
			text = fmt.Sprintf("Received %s, in %s:\n%s", e.ReceivedAt.Format(time.RFC3339), safe(e.Language), e.Text)
		}
		fmt.Fprintln(w, handlerapi.SafeText(text))
	}
}

func (c *cli) export() error {
	if c.outDir == "" {
		return errors.New("name the folder with -out")
	}
	ref, ids, err := c.refAndIdentities()
	if err != nil {
		return err
	}
	d, err := c.desk(ids)
	if err != nil {
		return err
	}
	x, err := d.OpenExport(c.ctx, ref)
	if err != nil {
		return err
	}
	cs, env, list, files := x.Case, x.Env, x.Notes, x.Files
	dir := filepath.Join(c.outDir, ref)
	if err := os.MkdirAll(c.outDir, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("%w (export into a new folder)", err)
	}
	// The export is audited before anything is written.
	if err := d.RecordExport(c.ctx, ref); err != nil {
		os.Remove(dir)
		return err
	}
	envJSON, err := desk.ExportJSON(env)
	if err != nil {
		return err
	}
	var readable, notesText bytes.Buffer
	printCase(&readable, cs, env)
	writeAttachmentList(&readable, files)
	writeNotes(&notesText, d.Thread(c.ctx, ref, env.Teams, list))
	texts := map[string][]byte{
		"WARNING.txt": []byte(exportWarning),
		"report.json": append(envJSON, '\n'),
		"report.txt":  readable.Bytes(),
		"notes.txt":   notesText.Bytes(),
	}
	for name, data := range texts {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	if err := c.exportAttachments(d, ref, dir, files); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Wrote the DECRYPTED case %s to %s.\n%s", ref, dir, exportWarning)
	return nil
}

const exportWarning = `WARNING: this folder holds a decrypted report of intimidation or reprisal.
People named in it may be in danger if it leaks. Keep it only on an
encrypted disk you control, share it with nobody outside the case team,
never send it by e-mail, and delete it securely when you are done.
`

func (c *cli) rekey() error {
	ids, err := c.identities()
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	// The team's roster first: a change is shown and agreed to before
	// anything is re-encrypted.
	teamRecs, err := c.teamOfMine()
	if err != nil {
		return err
	}
	rk := desk.Rekeyer{API: api, IDs: ids, Team: teamRecs, DryRun: c.dryRun,
		Rosters: func(_ context.Context, teams []string) ([]crypto.Recipient, error) { return c.caseRecipients(teams) }}
	sum, err := rk.All(c.ctx, func(r desk.RekeyResult) {
		switch r.Outcome {
		case desk.Skipped:
			fmt.Fprintf(c.out, "%s: skipped, not readable with your identity\n", r.Reference)
		case desk.Refused:
			fmt.Fprintf(c.out, "%s: REFUSED, %v\n", r.Reference, r.Reason)
		}
		for _, l := range r.Left {
			fmt.Fprintf(c.out, "%s: %s %s %s; left as it is\n", r.Reference, l.What, l.ID, l.Why)
		}
	})
	if err != nil {
		return err
	}
	verb := "Re-encrypted"
	if c.dryRun {
		verb = "Would re-encrypt"
	}
	fmt.Fprintf(c.out, "%s %s to the verified rosters; %d skipped (not readable with your identity: ask a colleague who can read them to run rekey).\n", verb, plural.Noun(sum.Rekeyed, "case", "cases"), sum.Skipped)
	if sum.Refused > 0 {
		were := "were"
		if sum.Refused == 1 {
			were = "was"
		}
		return fmt.Errorf("%s %s refused because the server serves another case's content under its reference; tell your security focal point", plural.Noun(sum.Refused, "case", "cases"), were)
	}
	return nil
}
