package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
)

// The case page's forms for structured entries: a UN action, the State's
// response, a publication. desk.Record checks and seals each as a team
// note; the console only reads the form and shows the result.

// entryForm is what one entry form holds: empty when the page is shown,
// the handler's input when desk refused it (Field names the field, by its
// form name, and Error why), so that nothing typed is lost.
type entryForm struct {
	Member                                   string // "action", "response" or "published"
	Kind, Date, Symbol, Summary, Stance      string
	Report, Annex, Paragraph                 string
	Field, Error                             string
	KindOptions, StanceOptions, AnnexOptions []option
}

// entryFields are the form's names of an entry's fields, by the JSON
// name envelope's EntryError gives.
var entryFields = map[string]string{
	"action.kind": "kind", "action.date": "date", "action.symbol": "symbol", "action.summary": "summary",
	"response.date": "date", "response.stance": "stance", "response.summary": "summary",
	"published.report": "report", "published.annex": "annex", "published.paragraph": "paragraph", "published.date": "date",
	"entry": "",
}

// Why an entry form is refused, in words for the handler.
const (
	mEntryRequired = "Fill in this field."
	mEntryDate     = "Give a date as YYYY-MM-DD."
	mEntryChoice   = "Choose one of the options offered."
	mEntryTooLong  = "This is too long."
	mEntryControl  = "This holds a control character; only a summary may have several lines."
	mEntryOther    = "Say what was done: a summary is needed for another kind of action."
	mEntryBroken   = "The form was not understood. Reload the case page and try again."
	hEntryRefused  = "The entry was not added: see the form below."
)

// entryMessage words envelope's refusal of an entry field.
func entryMessage(ee *envelope.EntryError) string {
	switch {
	case ee.Field == "action.summary" && ee.Problem == "required":
		return mEntryOther
	case ee.Problem == "required":
		return mEntryRequired
	case ee.Problem == "not a date":
		return mEntryDate
	case ee.Problem == "not a choice":
		return mEntryChoice
	case ee.Problem == "too long":
		return mEntryTooLong
	case ee.Problem == "control character":
		return mEntryControl
	}
	return mEntryBroken
}

// readEntry builds the entry a posted form describes.
func readEntry(r *http.Request) (entryForm, envelope.Entry) {
	v := r.PostFormValue
	f := entryForm{Member: v("entry"), Kind: v("kind"), Date: v("date"), Symbol: v("symbol"), Summary: v("summary"),
		Stance: v("stance"), Report: v("report"), Annex: v("annex"), Paragraph: v("paragraph")}
	var e envelope.Entry
	switch f.Member {
	case "action":
		e.Action = &envelope.Action{Kind: f.Kind, Date: f.Date, Symbol: f.Symbol, Summary: f.Summary}
	case "response":
		e.Response = &envelope.Response{Date: f.Date, Stance: f.Stance, Summary: f.Summary}
	case "published":
		e.Published = &envelope.Published{Report: f.Report, Annex: f.Annex, Paragraph: f.Paragraph, Date: f.Date}
	}
	return f, e
}

// addEntry records a UN action, a State response or a publication on a
// case (desk.Record: checked whole, then sealed as a team note to the
// team's verified roster). A refused entry shows the case page again
// with the input kept and the error next to its field; a recorded one
// goes back to the case page (POST-redirect-GET), offering the status it
// makes obvious (desk.SuggestedStatus).
func (c *Console) addEntry(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	if err := c.form(w, r, maxFormBody); err != nil {
		return err
	}
	s := c.cfg.Source
	if _, ok := s.Lookup(ref); !ok {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	}
	f, e := readEntry(r)
	if !slices.Contains([]string{"action", "response", "published"}, f.Member) {
		return invalid(mEntryBroken)
	}
	e = desk.Tidy(e)
	if err := e.ValidateNew(); err != nil {
		return c.refuseEntry(w, r, ref, f, err)
	}
	var sealed envelope.Entry
	var id int64
	err = s.withDesk(r.PostFormValue("accept_roster"), func(d desk.Desk) (err error) {
		sealed, id, err = d.Record(r.Context(), ref, e)
		return err
	})
	if ch, ok := asRosterChange(err); ok {
		return c.confirmRoster(w, r, ch)
	}
	if errors.Is(err, envelope.ErrEntry) {
		return c.refuseEntry(w, r, ref, f, err)
	}
	if err != nil {
		return s.refusal(err)
	}
	target := "/cases/" + ref + "?done=" + f.Member
	fragment := "note-" + strconv.FormatInt(id, 10)
	if st := desk.SuggestedStatus(sealed); st != "" {
		target += "&suggest=" + url.QueryEscape(st)
		fragment = "status-form"
	}
	http.Redirect(w, r, target+"#"+fragment, http.StatusSeeOther)
	return nil
}

// refuseEntry shows the case page again, the refused form filled in as
// it was sent and its error next to the field.
func (c *Console) refuseEntry(w http.ResponseWriter, r *http.Request, ref string, f entryForm, err error) error {
	var ee *envelope.EntryError
	f.Error = mEntryBroken
	if errors.As(err, &ee) {
		f.Field, f.Error = entryFields[ee.Field], entryMessage(ee)
	}
	p, perr := c.casePage(r, ref)
	if perr != nil {
		return perr
	}
	f.Error = p.T(f.Error)
	p.fillEntryForms(f)
	p.Refused = p.T(hEntryRefused)
	return c.render(w, http.StatusUnprocessableEntity, "case", p)
}

// fillEntryForms sets the case page's three entry forms: blank, except
// the one in f (refused input, kept).
func (p *casePage) fillEntryForms(f entryForm) {
	p.ActionForm, p.ResponseForm, p.PublishedForm = entryForm{Member: "action"}, entryForm{Member: "response"}, entryForm{Member: "published"}
	switch f.Member {
	case "action":
		p.ActionForm = f
	case "response":
		p.ResponseForm = f
	case "published":
		p.PublishedForm = f
	}
	for _, form := range []*entryForm{&p.ActionForm, &p.ResponseForm, &p.PublishedForm} {
		form.KindOptions, form.StanceOptions, form.AnnexOptions = nil, nil, nil
		for _, k := range envelope.ActionKinds {
			form.KindOptions = append(form.KindOptions, option{k, p.L("action_kind", k), k == form.Kind})
		}
		for _, k := range envelope.Stances {
			form.StanceOptions = append(form.StanceOptions, option{k, p.L("stance", k), k == form.Stance})
		}
		for _, k := range envelope.Annexes {
			form.AnnexOptions = append(form.AnnexOptions, option{k, p.L("annex", k), k == form.Annex})
		}
	}
}

// suggest pre-selects, in the status form, the status a just-added entry
// makes obvious (the ?suggest= of addEntry's redirect), when the case
// may move to it; otherwise it says why not. A status the workflow does
// not offer is never selected, whatever the address says.
func (p *casePage) suggest(status string) {
	if !slices.Contains([]string{"raised_with_state", "state_response_received", "published"}, status) || p.Case.Meta.Status == status {
		return
	}
	for i := range p.Allowed {
		if p.Allowed[i].Value == status {
			p.Allowed[i].Selected = true
			p.Suggested = p.T("Suggested by the entry you added: {0}. Check it, then change the status.", p.Status(status))
			return
		}
	}
	p.Suggested = p.T("The entry you added suggests the status {0}, which this case cannot move to from {1}.", p.Status(status), p.Status(p.Case.Meta.Status))
}
