package console

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// refPattern is a case reference; anything else in a path is not found.
var refPattern = regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`)

// caseRef reads and checks the {ref} of a path.
func caseRef(r *http.Request) (string, error) {
	ref := strings.ToUpper(r.PathValue("ref"))
	if !refPattern.MatchString(ref) {
		return "", &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	}
	return ref, nil
}

// entry is one item of a case's thread.
type entry struct {
	ID       int64
	Kind     string // report, followup, note, reply
	When     string
	Author   string
	Language string
	Text     string
	Problem  string
	// Unverified is an older note or reply, written before notes were
	// bound to their case: shown, marked so.
	Unverified bool
	// Signature says what a reply's signature proves, checked against the
	// handler's verified rosters (one of the sig* strings; "" for notes);
	// Signed is true when it is sigVerified.
	Signature string
	Signed    bool
	// Entry is the structured entry (a UN action, a State response, a
	// publication, a link) a team note sealed for this case carries
	// (desk.Records' rule); nil otherwise.
	Entry *envelope.Entry
}

// file is a listed attachment.
type file struct {
	ID       string
	Manifest envelope.Manifest
	Problem  string
}

// casePage is one case.
type casePage struct {
	base
	Case      *Case
	R         *envelope.Report
	Thread    []entry
	Files     []file
	Allowed   []option // statuses the case may move to
	Urgencies []option
	Reasons   []option
	Templates []option
	Handlers  []option // whom the case may be assigned to
	Originals []option // the team's other cases, for "duplicate of"
	// Sources are the case and the cases linked to it as the same person
	// or event, side by side (none without links).
	Sources   []sourceColumn
	Restrict  bool // a consent limits what may be done
	Done      string
	ReplyText string // a template's text, to start a reply from
	// FromTemplate: the reply box was just filled from a template, and
	// takes the focus.
	FromTemplate bool

	UrgencyLabels map[string]string

	// The forms for structured entries (blank, or the refused one filled
	// in as sent); Refused says one was refused, Suggested the status an
	// entry just added makes obvious.
	ActionForm, ResponseForm, PublishedForm entryForm
	Refused, Suggested                      string
}

func (c *Console) showCase(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	p, err := c.casePage(r, ref)
	if err != nil {
		return err
	}
	if d := doneMessages[r.URL.Query().Get("done")]; d != "" {
		p.Done = p.T(d)
	}
	p.suggest(r.URL.Query().Get("suggest"))
	if rt, ok := c.cfg.Templates.Get(r.URL.Query().Get("template")); ok {
		p.ReplyText, p.FromTemplate = rt.Text, true
		for i := range p.Templates {
			p.Templates[i].Selected = p.Templates[i].Value == rt.ID
		}
	} else if p.R != nil {
		// Offer first a template in the report's language.
		for i, t := range c.cfg.Templates.List() {
			if t.Language == p.R.Language {
				p.Templates[i].Selected = true
				break
			}
		}
	}
	return c.render(w, http.StatusOK, "case", p)
}

// casePage fetches a case afresh with its thread and attachments.
func (c *Console) casePage(r *http.Request, ref string) (casePage, error) {
	s := c.cfg.Source
	ctx := r.Context()
	cs, notes, err := s.Refresh(ctx, ref)
	if err != nil {
		return casePage{}, err
	}
	files, err := s.files(ctx, ref)
	if err != nil {
		return casePage{}, err
	}
	p := casePage{base: c.base(r, "Case {0}"), Case: cs, Files: files, UrgencyLabels: urgencyLabels}
	p.Title = p.T("Case {0}", ref)
	if cs.Readable() {
		p.R = &cs.Env.Report
		p.Restrict = p.R.Consent.RaiseWithState != "yes" || p.R.Consent.Publication == "no" || p.R.Consent.ShareThirdParties != "yes"
		p.Thread = append(p.Thread, entry{Kind: "report", When: cs.Env.ReceivedAt.UTC().Format("2006-01-02 15:04 UTC"), Language: cs.Env.Report.Language})
	}
	p.Thread = append(p.Thread, s.openNotes(ctx, cs, notes)...)
	p.fillEntryForms(entryForm{})
	if cs.Readable() {
		p.Sources = s.sources(ctx, p.base, cs)
	}
	s.MarkRead(ref, cs.LastFollowUp)
	wf := s.Workflow()
	for _, st := range wf.Statuses {
		if st.Key == cs.Meta.Status {
			for _, to := range st.Transitions {
				p.Allowed = append(p.Allowed, option{to, p.Status(to), false})
			}
		}
	}
	for _, u := range wf.Urgencies {
		p.Urgencies = append(p.Urgencies, option{u, p.T(urgencyLabels[u]), u == cs.Meta.Urgency})
	}
	for _, k := range wf.ClosureReasons {
		p.Reasons = append(p.Reasons, option{k, p.L("closure", k), false})
	}
	for _, t := range c.cfg.Templates.List() {
		p.Templates = append(p.Templates, option{t.ID, handlerapi.SafeText(t.Title + " (" + t.Language + ")"), false})
	}
	for _, name := range s.assignees(cs.Meta.Assignee) {
		p.Handlers = append(p.Handlers, option{name, handlerapi.SafeText(name), name == cs.Meta.Assignee})
	}
	for _, o := range s.originals(ref, maxOriginals) {
		l := o.Meta.ReceivedOn
		if o.Readable() {
			l += " · " + p.StateName(o.Summary.State)
		}
		p.Originals = append(p.Originals, option{o.Meta.Reference, l, false})
	}
	return p, nil
}

// openNotes decrypts a case's notes, replies and follow-ups, in the order
// they were added (desk.OpenThread). A note that does not open, or a
// note, reply or follow-up that belongs to another case, is shown as a
// problem, never as text. A reply's signature is checked against the
// rosters of the case's teams as the handler accepted them (a change not
// accepted yet counts for nothing here).
func (s *Source) openNotes(ctx context.Context, cs *Case, notes []handlerapi.Note) []entry {
	var out []entry
	ref := cs.Meta.Reference
	teams := cs.Meta.Teams
	if cs.Readable() {
		teams = cs.Env.Teams
	}
	var thread []desk.Entry
	// A roster change not accepted yet leaves that team's roster out of
	// the signature check; it is shown where something is encrypted.
	s.withDesk("", func(d desk.Desk) error {
		thread = d.Thread(ctx, ref, teams, notes)
		return nil
	})
	for _, t := range thread {
		e := entry{ID: t.ID, Kind: t.Kind, When: t.CreatedOn, Author: t.Author, Text: t.Text, Language: t.Language, Unverified: t.Unverified}
		if rs := desk.Records([]desk.Entry{t}); len(rs) == 1 {
			e.Entry = &rs[0].Entry
		}
		switch t.Signature {
		case desk.SigVerified:
			e.Signature, e.Signed = sigVerified, true
			e.Author = t.SignedBy
		case desk.SigUnlisted:
			e.Signature = sigUnlisted
		case desk.SigForged:
			e.Signature = sigForged
		case desk.SigUnsigned:
			e.Signature = sigUnsigned
		}
		switch t.Problem {
		case desk.Closed:
			e.Problem = problemNoteClosed
		case desk.Foreign:
			e.Problem = problemTampered
		}
		if t.Kind == "followup" && t.Problem == desk.NoProblem {
			e.When = t.ReceivedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		out = append(out, e)
	}
	return out
}

const problemNoteClosed = "Not encrypted to your identity."

// What a reply's signature proves, as the case page says it.
const (
	sigVerified = "Signed with a signing key that your team's verified roster lists: the reporter is shown this reply."
	sigUnlisted = "Signed with a key that no verified roster of this case's teams lists (a handler since removed, or a stranger): the reporter is not shown this reply."
	sigForged   = "Its signature does not verify: it was changed after it was signed, or forged. The reporter is not shown this reply. Tell your security focal point."
	sigUnsigned = "Not signed (written before replies were signed, or put in the server's database by someone else): the reporter is not shown this reply."
)

// files lists a case's attachments with their manifests opened and
// checked (desk.OpenFiles).
func (s *Source) files(ctx context.Context, ref string) ([]file, error) {
	list, err := s.api.Attachments(ctx, ref)
	if err != nil {
		return nil, err
	}
	opened := desk.OpenFiles(list, ref, s.ids)
	out := make([]file, len(opened))
	for i, f := range opened {
		out[i] = file{ID: f.ID, Manifest: f.Manifest}
		switch f.Problem {
		case desk.Closed:
			out[i].Problem = problemNoteClosed
		case desk.Foreign:
			out[i].Problem = problemFileForeign
		}
	}
	return out, nil
}

// What the console says of a file it will not give.
const (
	hDownloadRefused   = "Download refused"
	problemFileForeign = "The server listed a file that does not belong to this case: it is not shown and cannot be downloaded. Do not trust the server; tell your security focal point."
	problemFileBroken  = "This file's content does not decrypt with the key in its sealed manifest: the server sent another file's content, or changed it. Nothing of it was downloaded. Do not trust the server; tell your security focal point."
)

// downloadClient is for attachment downloads, which may be long.
var downloadClient = &http.Client{Timeout: 6 * time.Hour}

// download streams an attachment from the server through age to the
// browser, as a download that is never rendered. The content's SHA-256
// is checked against the manifest as it goes; a mismatch aborts the
// download, so the browser keeps nothing complete.
func (c *Console) download(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	s := c.cfg.Source
	list, err := s.api.Attachments(r.Context(), ref)
	if err != nil {
		return err
	}
	opened := desk.OpenFiles(list, ref, s.ids)
	i := slices.IndexFunc(opened, func(f desk.File) bool { return f.ID == id })
	switch {
	case i < 0:
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	case opened[i].Problem == desk.Closed:
		return &userError{status: http.StatusForbidden, heading: hDownloadRefused, message: problemNoteClosed}
	case opened[i].Problem != desk.NoProblem:
		return &userError{status: http.StatusBadGateway, heading: hDownloadRefused, message: problemFileForeign}
	}
	m := opened[i].Manifest
	content, err := s.desk().OpenContent(r.Context(), ref, opened[i], downloadClient)
	if errors.Is(err, desk.ErrContentBroken) {
		return &userError{status: http.StatusBadGateway, heading: hDownloadRefused, message: problemFileBroken}
	}
	if err != nil {
		return err
	}
	defer content.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(m.Name)}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	if _, err := io.Copy(w, content); err != nil {
		panic(http.ErrAbortHandler) // too late for an error page: cut it short
	}
	return nil
}

// downloadName reduces a reporter-given file name to a harmless base
// name; see handlerapi.SafeFileName, which casectl export uses too.
func downloadName(name string) string { return handlerapi.SafeFileName(name) }
