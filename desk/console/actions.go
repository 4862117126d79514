package console

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// MaxText bounds a note or a reply, in characters (the server's limit on
// a reporter's follow-up).
const MaxText = 10000

// maxFormBody bounds an action's form, in bytes.
const maxFormBody = 64 << 10

// doneMessages confirm an action on the case page (?done=KEY).
var doneMessages = map[string]string{
	"status": "The status was changed.", "triage": "Urgency, assignee and deadline were saved.",
	"note": "The note was encrypted to your team and added.", "link": "The cases were linked: a sealed note on each.",
	"unlink": "The link was undone: a sealed note on each case. The figures count them apart again.",
	"action": "The UN action was encrypted to your team and added to the thread.", "response": "The State's response was encrypted to your team and added to the thread.",
	"published": "The publication was encrypted to your team and added to the thread.", "reply": "The reply was encrypted to the reporter and added. They can read it at /return with their receipt.",
}

// backToCase sends the browser back to the case page, to the action's
// result: fragment is the id of what the action changed, so that the
// focus lands there, not at the top of the page (JavaScript off).
func (c *Console) backToCase(w http.ResponseWriter, r *http.Request, ref, done, fragment string) error {
	http.Redirect(w, r, "/cases/"+ref+"?done="+done+"#"+fragment, http.StatusSeeOther)
	return nil
}

func invalid(msg string, args ...any) error {
	return &userError{status: http.StatusUnprocessableEntity, heading: hInvalid, message: msg, args: args}
}

const (
	hInvalid        = "Not done"
	mNotAllowedMove = "A case in this status cannot move to the one chosen. Choose one of the statuses offered on the case page."
	mNeedReason     = "Closing a case needs a reason."
	mChooseStatus   = "Choose the status to move the case to."
	mNeedOriginal   = "Marking a duplicate needs the reference of the original case: another of the team's cases, from the list."
	mBadUrgency     = "Choose an urgency from the list."
	mBadDeadline    = "Give the deadline as a date, or leave it empty."
	mBadAssignee    = "Choose a handler of the team from the list."
	mEmptyText      = "Write something first."
)

// setStatus moves a case to another status; only the transitions the
// workflow allows from its current status are accepted, whatever the
// form says (the server checks again).
func (c *Console) setStatus(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	if err := c.form(w, r, maxFormBody); err != nil {
		return err
	}
	s := c.cfg.Source
	cs, ok := s.Lookup(ref)
	if !ok {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	}
	to := r.PostFormValue("status")
	if to == "" {
		return invalid(mChooseStatus)
	}
	var detail string
	switch to {
	case "closed":
		detail = r.PostFormValue("reason")
	case "duplicate":
		detail = strings.ToUpper(strings.TrimSpace(r.PostFormValue("original")))
	}
	ch := handlerapi.Change{Status: &to}
	if detail != "" {
		ch.StatusDetail = &detail
	}
	if err := desk.CheckChange(s.Workflow(), cs.Meta, ch); err != nil {
		return changeRefusal(err)
	}
	if _, ok := s.Lookup(detail); to == "duplicate" && !ok {
		return invalid(mNeedOriginal) // one of the team's cases, from the list
	}
	if confirmMoves[to] && r.PostFormValue("confirm") != "yes" {
		return c.confirmMove(w, r, cs, to, detail)
	}
	if _, err := s.desk().Triage(r.Context(), s.Workflow(), cs.Meta, ch); err != nil {
		return changeRefusal(err)
	}
	return c.backToCase(w, r, ref, "status", "done")
}

// confirmMoves are the moves that take a case out of the team's work and
// are not simply undone: the console asks again before making them.
var confirmMoves = map[string]bool{"closed": true, "duplicate": true}

// confirmPage asks before a move in confirmMoves.
type confirmPage struct {
	base
	Ref, To, ToName, Detail, Original string
	Reason                            string // the closure reason's key
	Then                              []string
}

// confirmMove shows what the move does and a form that makes it.
func (c *Console) confirmMove(w http.ResponseWriter, r *http.Request, cs *Case, to, detail string) error {
	p := confirmPage{base: c.base(r, "Confirm the move"), Ref: cs.Meta.Reference, To: to}
	p.ToName = p.Status(to)
	switch to {
	case "closed":
		p.Reason, p.Detail = detail, p.L("closure", detail)
	case "duplicate":
		p.Original = detail
	}
	for _, next := range c.cfg.Source.allowed(to) {
		p.Then = append(p.Then, p.Status(next))
	}
	return c.render(w, http.StatusOK, "confirm", p)
}

// assignees are whom a case may be assigned to: the team's active
// handlers as the server names them (it refuses anyone else), and
// current, the case's assignee now. A server that names none (an older
// one) leaves the signed-in handler and the names already assigned in the
// team's loaded cases.
func (s *Source) assignees(current string) []string {
	names := map[string]bool{current: true}
	if list := s.Workflow().Handlers; len(list) > 0 {
		for _, n := range list[:min(len(list), maxHandlers)] {
			names[n] = true
		}
	} else {
		names[s.Handler()] = true
		for _, c := range s.Snapshot() {
			names[c.Meta.Assignee] = true
		}
	}
	delete(names, "")
	return sortedKeys(names)
}

// maxHandlers bounds the handlers a server may name for a team.
const maxHandlers = 1000

// maxOriginals bounds the references offered for "duplicate of": the
// newest cases; an older one can still be typed.
const maxOriginals = 1000

// originals are the loaded cases other than ref, newest first, at most n.
func (s *Source) originals(ref string, n int) []*Case {
	var out []*Case
	for _, c := range s.Snapshot() {
		if len(out) == n {
			break
		}
		if c.Meta.Reference != ref {
			out = append(out, c)
		}
	}
	return out
}

// allowed returns the statuses a case in status from may move to.
func (s *Source) allowed(from string) []string { return desk.Transitions(s.Workflow(), from) }

// triage saves urgency, assignee and next deadline together, as the form
// shows them (empty clears).
func (c *Console) triage(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	if err := c.form(w, r, maxFormBody); err != nil {
		return err
	}
	s := c.cfg.Source
	cs, ok := s.Lookup(ref)
	if !ok {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	}
	urgency, assignee, deadline := r.PostFormValue("urgency"), r.PostFormValue("assignee"), r.PostFormValue("deadline")
	if _, err := s.desk().Triage(r.Context(), s.Workflow(), cs.Meta, handlerapi.Change{Urgency: &urgency, Assignee: &assignee, NextDeadline: &deadline}); err != nil {
		return changeRefusal(err)
	}
	return c.backToCase(w, r, ref, "triage", "done")
}

// addNote writes a team note (to the team's verified roster) or a reply
// (to the reporter's sealed reply key and the case's verified rosters)
// with desk.AddNote, which checks the case and the recipients and sends
// only the ciphertext; a roster not accepted yet is shown first.
func (c *Console) addNote(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ref, err := caseRef(r)
		if err != nil {
			return err
		}
		if err := c.form(w, r, maxFormBody); err != nil {
			return err
		}
		text := strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")
		if strings.TrimSpace(text) == "" {
			return invalid(mEmptyText)
		}
		if utf8.RuneCountInString(text) > MaxText || !utf8.ValidString(text) {
			return &userError{status: http.StatusRequestEntityTooLarge, heading: hTooLarge, message: mTooLarge, args: []any{MaxText}}
		}
		s := c.cfg.Source
		if _, ok := s.Lookup(ref); !ok {
			return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
		}
		opt := desk.NoteOptions{OrgMayRead: r.PostFormValue("org_may_read") == "yes", TrustServerReplyKey: r.PostFormValue("trust_server_reply_key") == "yes"}
		var id int64
		err = s.withDesk(r.PostFormValue("accept_roster"), func(d desk.Desk) (err error) {
			id, _, err = d.AddNote(r.Context(), kind, ref, text, opt)
			return err
		})
		if ch, ok := asRosterChange(err); ok {
			return c.confirmRoster(w, r, ch)
		}
		if err != nil {
			return s.refusal(err)
		}
		return c.backToCase(w, r, ref, kind, kind+"-"+strconv.FormatInt(id, 10))
	}
}

// refusal words desk's refusals of a note, reply or rekey for the
// handler.
func (s *Source) refusal(err error) error {
	var org *desk.OrgMayReadError
	switch {
	case errors.As(err, &org):
		return invalid(mOrgMayRead, handlerapi.Safe(org.Intermediary.OrganisationName))
	case errors.Is(err, desk.ErrNotForYou):
		return &userError{status: http.StatusForbidden, heading: hNotReadable, message: mNotReadable}
	case errors.Is(err, desk.ErrMoved):
		return &userError{status: http.StatusBadGateway, heading: hFailed, message: problemTampered}
	case errors.Is(err, desk.ErrReplyKeyUnsealed):
		return invalid(mUnsealedReplyKey)
	case errors.Is(err, desk.ErrReplyKeySwapped):
		return &userError{status: http.StatusBadGateway, heading: hFailed, message: mReplyKeySwapped}
	case errors.Is(err, desk.ErrNotInRoster):
		return invalid(mNotInRoster, handlerapi.Safe(s.Team()))
	case errors.Is(err, desk.ErrEmptyText):
		return invalid(mEmptyText)
	case errors.Is(err, desk.ErrNoSigningKey):
		return invalid(mNoSigningKey)
	case errors.Is(err, desk.ErrSignerNotInRoster):
		return invalid(mSignerNotInRoster)
	}
	return err
}

// changeRefusal words desk's refusals of a triage change.
func changeRefusal(err error) error {
	switch {
	case errors.Is(err, desk.ErrNoStatus):
		return invalid(mChooseStatus)
	case errors.Is(err, desk.ErrTransition):
		return invalid(mNotAllowedMove)
	case errors.Is(err, desk.ErrNeedReason):
		return invalid(mNeedReason)
	case errors.Is(err, desk.ErrNeedOriginal):
		return invalid(mNeedOriginal)
	case errors.Is(err, desk.ErrBadUrgency):
		return invalid(mBadUrgency)
	case errors.Is(err, desk.ErrBadDeadline):
		return invalid(mBadDeadline)
	case errors.Is(err, desk.ErrBadAssignee):
		return invalid(mBadAssignee)
	}
	return err
}

// desk is the handler-side core without rosters (for what encrypts
// nothing); withDesk gives one with rosters.
func (s *Source) desk() desk.Desk {
	return desk.Desk{API: s.api, IDs: s.ids, Handler: s.Handler(), Team: s.Team(), Mine: s.ownRecipients()}
}

// withDesk runs fn with the handler-side core for one request, its
// rosters verified against the pins afresh: a roster change not accepted
// yet (accepted is not the digest of what was shown) is returned as
// *rosterChange.
func (s *Source) withDesk(accepted string, fn func(desk.Desk) error) error {
	return s.rosters.check(accepted, func(rs *desk.Rosters) error {
		return fn(desk.Desk{API: s.api, IDs: s.ids, Rosters: rs, Handler: s.Handler(), Team: s.Team(), Mine: s.ownRecipients(), Signing: s.signing})
	})
}

// ownRecipients are the handler's own public keys: those casectl recorded
// at login (SetOwnRecipients), else those of the native identities given.
func (s *Source) ownRecipients() []string {
	if len(s.own) > 0 {
		return s.own
	}
	return desk.OwnRecipients(s.ids)
}

// SetOwnRecipients records the handler's own public keys (casectl keeps
// them in the session at login), against which the team roster is checked
// before a note.
func (s *Source) SetOwnRecipients(list []string) { s.own = list }

// teamOfMine returns the verified roster of the handler's team
// (desk.TeamOfMine).
func (s *Source) teamOfMine(r *http.Request, accepted string) ([]crypto.Recipient, error) {
	var recs []crypto.Recipient
	err := s.withDesk(accepted, func(d desk.Desk) (err error) {
		recs, err = d.TeamOfMine(r.Context())
		return err
	})
	if _, ok := asRosterChange(err); ok {
		return nil, err
	}
	if err != nil {
		return nil, s.refusal(err)
	}
	return recs, nil
}

const (
	mNotInRoster       = "The server says your team is {0}, but that team's signed roster does not list your key. Nothing was encrypted. If you were just added, ask your key custodian to publish the new roster; otherwise tell your security focal point."
	mUnsealedReplyKey  = "This case predates reply keys sealed in the report, so its reply key is only the server's word: a server that swapped it would read your reply. Nothing was sent. Write the reply so that this is safe, tick the box that says so, and send it again."
	mReplyKeySwapped   = "The server names a reply key for this case that is not the one sealed in the report: someone may be trying to read your reply. Nothing was sent. Tell your security focal point."
	mNoSigningKey      = "You have no signing key, and reporters are shown only signed replies. Nothing was sent. Quit the console, make one (casectl signing-key), give its public key to your key custodian and, once they have published the roster with it, send the reply again."
	mSignerNotInRoster = "No signed roster of this case's teams lists your signing key, so the reporter would not be shown your reply. Nothing was sent. Give your signing key to your key custodian (casectl signing-key shows it) and, once they have published the roster with it, send the reply again."
	mOrgMayRead        = "This case was logged by {0} on the victim's behalf: its staff saw the receipt and can read every reply. Write the reply so that it is safe for the victim, tick the box that says so, and send it again."
)

// export sends the decrypted case as a JSON download, after the server
// has recorded the export in the audit log. It is the console's only way
// of putting plaintext on disk, and only the browser writes it, where the
// handler chooses.
func (c *Console) export(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	s := c.cfg.Source
	cs, notes, err := s.Refresh(r.Context(), ref)
	if err != nil {
		return err
	}
	if !cs.Readable() {
		return &userError{status: http.StatusForbidden, heading: hNotReadable, message: mNotReadable}
	}
	d := s.desk()
	if err := d.RecordExport(r.Context(), ref); err != nil {
		return err
	}
	type threadEntry struct {
		ID       int64  `json:"id,omitempty"`
		Kind     string `json:"kind"`
		When     string `json:"when"`
		Author   string `json:"author,omitempty"`
		Language string `json:"language,omitempty"`
		Text     string `json:"text,omitempty"`
		Problem  string `json:"problem,omitempty"`
		// Unverified: an older note, not bound to its case.
		Unverified bool `json:"unverified,omitempty"`
		// Signature: what a reply's signature proves; Signed: verified.
		Signature string `json:"signature,omitempty"`
		Signed    bool   `json:"signed,omitempty"`
		// Entry: a structured entry (UN action, State response,
		// publication, link) sealed in a team note of the case.
		Entry *envelope.Entry `json:"entry,omitempty"`
	}
	var thread []threadEntry
	for _, e := range s.openNotes(r.Context(), cs, notes) {
		thread = append(thread, threadEntry(e))
	}
	b, err := desk.ExportJSON(map[string]any{
		"warning": exportWarning, "case": cs.Meta, "envelope": cs.Env, "thread": thread,
	})
	if err != nil {
		return err
	}
	defer clear(b)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ref + "-DECRYPTED.json"}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	_, err = w.Write(b)
	return err
}

const exportWarning = "This file holds a decrypted report of intimidation or reprisal. People named in it may be in danger if it leaks. Keep it only on an encrypted disk you control, share it with nobody outside the case team, never send it by e-mail, and delete it securely when you are done."
