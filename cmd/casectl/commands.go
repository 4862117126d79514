package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework/handlerapi"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
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
	res, err := api.Login(c.ctx, c.handler, ids...)
	if err != nil {
		return err
	}
	sess := sessionData{Server: api.Origin(), Handler: res.Handler, Team: res.Team, Token: res.Token, ExpiresAt: res.ExpiresAt}
	b, _ := json.MarshalIndent(sess, "", "  ")
	if err := os.MkdirAll(filepath.Dir(c.sessionFile), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(c.sessionFile, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Logged in as %s (%s) until %s.\n", sess.Handler, sess.Team, sess.ExpiresAt.Local().Format(time.DateTime))
	return nil
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
	api, err := c.client()
	if err != nil {
		return err
	}
	res, err := api.Cases(c.ctx, handlerapi.CaseQuery{Status: c.status, Urgency: c.urgency, Assignee: c.assignee, Sort: c.sort, Page: c.page})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tRECEIVED\tSTATUS\tURGENCY\tASSIGNEE\tDEADLINE\tSIZE\tCHANNEL\tTEAMS")
	for _, m := range res.Cases {
		status := m.StatusName
		if m.StatusDetail != "" {
			status += " (" + m.StatusDetail + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d KiB\t%s\t%s\n", m.Reference, m.ReceivedOn, status, dash(m.Urgency),
			dash(m.Assignee), dash(m.NextDeadline), m.SizeBucket>>10, m.Channel, strings.Join(m.Teams, ","))
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

// fetch gets a case and decrypts it in memory, checking that the envelope
// belongs to the reference asked for.
func (c *cli) fetch(ref string, ids []age.Identity) (handlerapi.Case, intake.Envelope, []byte, error) {
	var env intake.Envelope
	cs, err := c.getCase(ref)
	if err != nil {
		return cs, env, nil, err
	}
	plain, err := crypto.Open(cs.Ciphertext, ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return cs, env, nil, fmt.Errorf("case %s is not encrypted to your identity yet: a colleague who can read it runs 'casectl rekey'", ref)
	}
	if err != nil {
		return cs, env, nil, fmt.Errorf("decrypting %s: %w", ref, err)
	}
	if err := json.Unmarshal(plain, &env); err != nil {
		return cs, env, nil, fmt.Errorf("case %s decrypted but is not a valid envelope: %w", ref, err)
	}
	if env.Reference != cs.Reference {
		return cs, env, nil, fmt.Errorf("case %s holds the content of another case (%s): the server's data has been tampered with", ref, env.Reference)
	}
	return cs, env, plain, nil
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
	if c.asJSON {
		_, err := c.out.Write(append(bytes.TrimRight(plain, " \n"), '\n'))
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

// getCase fetches a case.
func (c *cli) getCase(ref string) (handlerapi.Case, error) {
	api, err := c.client()
	if err != nil {
		return handlerapi.Case{}, err
	}
	return api.Case(c.ctx, ref)
}

func printCase(w io.Writer, cs handlerapi.Case, env intake.Envelope) {
	fmt.Fprintf(w, "Reference:   %s\nReceived:    %s\nStatus:      %s\nUrgency:     %s\nAssignee:    %s\nDeadline:    %s\nRouted to:   %s\nChannel:     %s\nLanguage:    %s\n",
		env.Reference, env.ReceivedAt.Format(time.RFC3339), cs.StatusName, dash(cs.Urgency), dash(cs.Assignee),
		dash(cs.NextDeadline), strings.Join(env.Teams, ", "), env.Channel, env.Report.Language)
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
	if change == (handlerapi.Change{}) {
		return errors.New("nothing to change: give -status, -urgency, -assignee or -deadline")
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	m, err := api.Triage(c.ctx, ref, change)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s: %s%s, urgency %s, assignee %s, deadline %s\n", m.Reference, m.StatusName,
		map[bool]string{true: " (" + m.StatusDetail + ")", false: ""}[m.StatusDetail != ""], dash(m.Urgency), dash(m.Assignee), dash(m.NextDeadline))
	return nil
}

// text returns -m or standard input, bounded.
func (c *cli) text() ([]byte, error) {
	if c.set("m") {
		return []byte(c.message), nil
	}
	b, err := io.ReadAll(io.LimitReader(c.in, 1<<20+1))
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

func parseRecipients(list []string) ([]crypto.Recipient, error) {
	var out []crypto.Recipient
	for _, s := range list {
		r, err := crypto.ParseRecipient(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *cli) teamRecipients() ([]crypto.Recipient, error) {
	api, err := c.client()
	if err != nil {
		return nil, err
	}
	team, err := api.Team(c.ctx)
	if err != nil {
		return nil, err
	}
	return parseRecipients(team.Recipients)
}

// replyRecipients are the reporter's reply key and, when age allows mixing
// them, the case's recipients, so the teams can read their replies too.
func replyRecipients(cs handlerapi.Case) ([]crypto.Recipient, error) {
	reporter, err := crypto.ParseRecipient(cs.ReplyRecipient)
	if err != nil {
		return nil, err
	}
	teams, err := parseRecipients(cs.Recipients)
	if err != nil {
		return nil, err
	}
	all := append([]crypto.Recipient{reporter}, teams...)
	if crypto.CheckCompatible(all) != nil {
		return all[:1], nil
	}
	return all, nil
}

func (c *cli) note() error { return c.addNote("note") }

func (c *cli) reply() error { return c.addNote("reply") }

func (c *cli) addNote(kind string) error {
	ref, err := c.ref()
	if err != nil {
		return err
	}
	text, err := c.text()
	if err != nil {
		return err
	}
	var recs []crypto.Recipient
	if kind == "note" {
		recs, err = c.teamRecipients()
	} else {
		var cs handlerapi.Case
		if cs, err = c.getCase(ref); err == nil {
			recs, err = replyRecipients(cs)
		}
	}
	if err != nil {
		return err
	}
	sealed, err := crypto.Seal(text, recs)
	if err != nil {
		return err
	}
	id, err := c.api.AddNote(c.ctx, ref, handlerapi.NewNote{Kind: kind, Ciphertext: sealed.Ciphertext})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Added %s %d to %s, encrypted to %d recipient(s).\n", kind, id, ref, len(recs))
	return nil
}

func (c *cli) listNotes(ref string) ([]handlerapi.Note, error) {
	api, err := c.client()
	if err != nil {
		return nil, err
	}
	return api.Notes(c.ctx, ref)
}

func (c *cli) notes() error {
	ref, ids, err := c.refAndIdentities()
	if err != nil {
		return err
	}
	list, err := c.listNotes(ref)
	if err != nil {
		return err
	}
	writeNotes(c.out, list, ids)
	return nil
}

func writeNotes(w io.Writer, list []handlerapi.Note, ids []age.Identity) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No notes or replies.")
	}
	for _, n := range list {
		fmt.Fprintf(w, "-- %s %d by %s (%s), %s\n", n.Kind, n.ID, n.Author, n.Team, n.CreatedOn)
		plain, err := crypto.Open(n.Ciphertext, ids...)
		if err != nil {
			fmt.Fprintln(w, "   (not encrypted to your identity)")
			continue
		}
		fmt.Fprintln(w, strings.TrimRight(string(plain), " \n"))
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
	cs, env, _, err := c.fetch(ref, ids)
	if err != nil {
		return err
	}
	list, err := c.listNotes(ref)
	if err != nil {
		return err
	}
	files, err := c.attachments(ref, ids)
	if err != nil {
		return err
	}
	dir := filepath.Join(c.outDir, ref)
	if err := os.MkdirAll(c.outDir, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("%w (export into a new folder)", err)
	}
	// The export is audited before anything is written.
	if err := c.api.RecordExport(c.ctx, ref); err != nil {
		os.Remove(dir)
		return err
	}
	envJSON, _ := json.MarshalIndent(env, "", "  ")
	var readable, notesText bytes.Buffer
	printCase(&readable, cs, env)
	writeAttachmentList(&readable, files)
	writeNotes(&notesText, list, ids)
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
	if err := c.exportAttachments(ref, dir, files); err != nil {
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
	teamRecs, err := c.teamRecipients()
	if err != nil {
		return err
	}
	done, skipped := 0, 0
	for page := 1; ; page++ {
		res, err := c.api.Cases(c.ctx, handlerapi.CaseQuery{Page: page, PerPage: 100, Sort: "-received"})
		if err != nil {
			return err
		}
		for _, m := range res.Cases {
			ok, err := c.rekeyOne(m.Reference, ids, teamRecs)
			if err != nil {
				return fmt.Errorf("%s: %w", m.Reference, err)
			}
			if ok {
				done++
			} else {
				skipped++
			}
		}
		if page*res.PerPage >= res.Total || len(res.Cases) == 0 {
			break
		}
	}
	verb := "Re-encrypted"
	if c.dryRun {
		verb = "Would re-encrypt"
	}
	fmt.Fprintf(c.out, "%s %d case(s) to the current recipients; %d skipped (not readable with your identity: ask a colleague who can read them to run rekey).\n", verb, done, skipped)
	return nil
}

// rekeyOne re-encrypts one case, the team's notes on it and its replies.
// It returns false when this identity cannot read the case.
func (c *cli) rekeyOne(ref string, ids []age.Identity, teamRecs []crypto.Recipient) (bool, error) {
	cs, err := c.getCase(ref)
	if err != nil {
		return false, err
	}
	plain, err := crypto.Open(cs.Ciphertext, ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		fmt.Fprintf(c.out, "%s: skipped, not readable with your identity\n", ref)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.dryRun {
		return true, nil
	}
	caseRecs, err := parseRecipients(cs.Recipients)
	if err != nil {
		return false, err
	}
	// plain is already padded to its bucket, so the bucket does not change.
	sealed, err := crypto.Seal(plain, caseRecs)
	clear(plain)
	if err != nil {
		return false, err
	}
	list, err := c.listNotes(ref)
	if err != nil {
		return false, err
	}
	replyRecs, err := replyRecipients(cs)
	if err != nil {
		return false, err
	}
	notes := map[int64][]byte{}
	for _, n := range list {
		text, err := crypto.Open(n.Ciphertext, ids...)
		if err != nil {
			continue // another team's, or not readable by us: left as it is
		}
		recs := teamRecs
		switch n.Kind {
		case "reply":
			recs = replyRecs
		case "followup": // the reporter's: for every team the case is routed to
			recs = caseRecs
		}
		s, err := crypto.Seal(text, recs)
		clear(text)
		if err != nil {
			return false, err
		}
		notes[n.ID] = s.Ciphertext
	}
	files, err := c.attachments(ref, ids)
	if err != nil {
		return false, err
	}
	manifests, err := resealManifests(files, ids, caseRecs)
	if err != nil {
		return false, err
	}
	return true, c.api.Rekey(c.ctx, ref, handlerapi.Rekey{Ciphertext: sealed.Ciphertext, Notes: notes, Attachments: manifests})
}
