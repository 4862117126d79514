package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
)

// caseMeta is a case as the API lists it.
type caseMeta struct {
	Reference    string   `json:"reference"`
	ReceivedOn   string   `json:"received_on"`
	Status       string   `json:"status"`
	StatusName   string   `json:"status_name"`
	StatusDetail string   `json:"status_detail"`
	Urgency      string   `json:"urgency"`
	Assignee     string   `json:"assignee"`
	NextDeadline string   `json:"next_deadline"`
	SizeBucket   int      `json:"size_bucket"`
	Channel      string   `json:"channel"`
	Teams        []string `json:"routed_teams"`
}

// caseFull is a fetched case.
type caseFull struct {
	caseMeta
	ReplyRecipient string   `json:"reply_recipient"`
	Recipients     []string `json:"recipients"`
	Ciphertext     []byte   `json:"ciphertext"`
}

type note struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Team       string `json:"team"`
	Author     string `json:"author"`
	CreatedOn  string `json:"created_on"`
	Ciphertext []byte `json:"ciphertext"`
}

func (c *cli) login() error {
	if c.server == "" || c.handler == "" {
		return errors.New("usage: casectl login -server URL -handler NAME -i IDENTITY")
	}
	ids, err := c.identities()
	if err != nil {
		return err
	}
	var ch struct {
		ID        string `json:"challenge_id"`
		Challenge string `json:"challenge"`
	}
	if err := c.call("POST", "/login/challenge", nil, map[string]string{"handler": c.handler}, &ch); err != nil {
		return err
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(ch.Challenge)), ids...)
	if err != nil {
		return fmt.Errorf("this identity cannot open the login challenge for %s: is it the key registered for you? (%v)", c.handler, err)
	}
	answer, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return err
	}
	var sess sessionData
	if err := c.call("POST", "/login", nil, map[string]string{"challenge_id": ch.ID, "answer": strings.TrimSpace(string(answer))}, &sess); err != nil {
		return err
	}
	sess.Server = strings.TrimRight(c.server, "/")
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
	err := c.call("POST", "/logout", nil, struct{}{}, nil)
	os.Remove(c.sessionFile)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, "Logged out.")
	return nil
}

func (c *cli) cases() error {
	q := url.Values{}
	for k, v := range map[string]string{"status": c.status, "urgency": c.urgency, "assignee": c.assignee, "sort": c.sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("page", strconv.Itoa(c.page))
	var res struct {
		Cases   []caseMeta `json:"cases"`
		Total   int        `json:"total"`
		Page    int        `json:"page"`
		PerPage int        `json:"per_page"`
	}
	if err := c.call("GET", "/cases", q, nil, &res); err != nil {
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
func (c *cli) fetch(ref string, ids []age.Identity) (caseFull, intake.Envelope, []byte, error) {
	var cs caseFull
	var env intake.Envelope
	if err := c.call("GET", "/cases/"+url.PathEscape(ref), nil, nil, &cs); err != nil {
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

func printCase(w io.Writer, cs caseFull, env intake.Envelope) {
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
	change := map[string]string{}
	for flagName, field := range map[string]string{"status": "status", "detail": "status_detail", "urgency": "urgency", "assignee": "assignee", "deadline": "next_deadline"} {
		if c.set(flagName) {
			change[field] = c.fs.Lookup(flagName).Value.String()
		}
	}
	if len(change) == 0 {
		return errors.New("nothing to change: give -status, -urgency, -assignee or -deadline")
	}
	var m caseMeta
	if err := c.call("PATCH", "/cases/"+url.PathEscape(ref), nil, change, &m); err != nil {
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
	var team struct {
		Recipients []string `json:"recipients"`
	}
	if err := c.call("GET", "/team", nil, nil, &team); err != nil {
		return nil, err
	}
	return parseRecipients(team.Recipients)
}

// replyRecipients are the reporter's reply key and, when age allows mixing
// them, the case's recipients, so the teams can read their replies too.
func replyRecipients(cs caseFull) ([]crypto.Recipient, error) {
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
		var cs caseFull
		if err = c.call("GET", "/cases/"+url.PathEscape(ref), nil, nil, &cs); err == nil {
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
	var res struct {
		ID int64 `json:"id"`
	}
	if err := c.call("POST", "/cases/"+url.PathEscape(ref)+"/notes", nil, map[string]any{"kind": kind, "ciphertext": sealed.Ciphertext}, &res); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Added %s %d to %s, encrypted to %d recipient(s).\n", kind, res.ID, ref, len(recs))
	return nil
}

func (c *cli) listNotes(ref string) ([]note, error) {
	var res struct {
		Notes []note `json:"notes"`
	}
	err := c.call("GET", "/cases/"+url.PathEscape(ref)+"/notes", nil, nil, &res)
	return res.Notes, err
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

func writeNotes(w io.Writer, list []note, ids []age.Identity) {
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
	if err := c.call("POST", "/cases/"+url.PathEscape(ref)+"/export", nil, struct{}{}, nil); err != nil {
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
		var res struct {
			Cases   []caseMeta `json:"cases"`
			Total   int        `json:"total"`
			PerPage int        `json:"per_page"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {"100"}, "sort": {"-received"}}
		if err := c.call("GET", "/cases", q, nil, &res); err != nil {
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
	var cs caseFull
	if err := c.call("GET", "/cases/"+url.PathEscape(ref), nil, nil, &cs); err != nil {
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
	notes := map[string][]byte{}
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
		notes[strconv.FormatInt(n.ID, 10)] = s.Ciphertext
	}
	files, err := c.attachments(ref, ids)
	if err != nil {
		return false, err
	}
	manifests, err := resealManifests(files, ids, caseRecs)
	if err != nil {
		return false, err
	}
	return true, c.call("POST", "/cases/"+url.PathEscape(ref)+"/rekey", nil,
		map[string]any{"ciphertext": sealed.Ciphertext, "notes": notes, "attachments": manifests}, nil)
}
