package console

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// printPage is one case on paper: the case page's data (the same loading,
// casePage, and the same parts of the page, templates/_case.html), with
// the time it was printed for the confidential marking on every page.
type printPage struct {
	casePage
	Printed string
	// For is the colleague a sealed paper is for (Standalone; "" on the
	// print page).
	For string
	// Style is the stylesheet, inline in a Standalone page.
	Style template.CSS
	// Colleagues are whom the paper may be sealed to (desk.Colleagues:
	// the verified rosters of the case's teams); NoColleagues says why
	// there are none.
	Colleagues   []option
	NoColleagues string
}

// printCase shows one case with its whole thread, laid out for printing
// and marked confidential with the handler's name and the time on every
// printed page. It loads the case exactly as the case page does. Below it
// (not printed), the form that seals the same to a colleague.
func (c *Console) printCase(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	p, err := c.casePage(r, ref)
	if err != nil {
		return err
	}
	pp := printPage{casePage: p, Printed: printTime(time.Now())}
	if p.Case.Readable() {
		var list []desk.Colleague
		err := c.cfg.Source.withDesk("", func(d desk.Desk) (err error) {
			list, err = d.Colleagues(r.Context(), p.Case.Env.Teams)
			return err
		})
		for _, col := range list {
			pp.Colleagues = append(pp.Colleagues, option{col.Label, handlerapi.SafeText(col.Label) + " (" + handlerapi.SafeText(col.Team) + ")", false})
		}
		switch _, changed := asRosterChange(err); {
		case changed:
			pp.NoColleagues = mPaperRosterChanged
		case err != nil:
			pp.NoColleagues = mPaperNoRoster
		case len(list) == 0:
			pp.NoColleagues = mPaperNobody
		}
	}
	return c.render(w, http.StatusOK, "print", pp)
}

// printTime is when a case was printed or sealed, as its marking says.
func printTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Why the paper cannot be sealed to a colleague now.
const (
	mPaperRosterChanged = "A roster of this case's teams changed: review it on the Team roster page before sealing the case to a colleague."
	mPaperNoRoster      = "No verified roster of this case's teams could be read, so the case cannot be sealed to a colleague now."
	mPaperNobody        = "The verified rosters of this case's teams name nobody to seal the case to."
	mPaperUnknown       = "Choose a colleague from the list: only someone a verified roster of this case's teams names."
	mPaperTwice         = "That name is given to more than one key on this case's rosters; ask a key custodian to give each handler their own name."
)

// maxLabel bounds a colleague's name as a form sends it.
const maxLabel = 200

// paperFile is the name of a sealed paper's file.
func paperFile(ref string) string { return ref + ".html.age" }

// sealPaper seals the case on paper to a colleague of the verified
// roster and sends it as a download: an age file that only their identity
// opens. The server learns that the case was exported (the audit log),
// not to whom; the plaintext never leaves this process unencrypted.
func (c *Console) sealPaper(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	label := r.PostFormValue("to")
	if label == "" || len(label) > maxLabel || !utf8.ValidString(label) {
		return invalid(mPaperUnknown)
	}
	plain, teams, err := c.paper(r, ref, label)
	defer func() { clear(plain) }()
	if err != nil {
		return err
	}
	// The colleague first, with a roster change accepted as shown; the
	// page is made again if one was, since what it says of replies'
	// signatures depends on the rosters accepted.
	s := c.cfg.Source
	accepted := r.PostFormValue("accept_roster")
	err = s.withDesk(accepted, func(d desk.Desk) error {
		_, err := d.Colleague(r.Context(), teams, label)
		return err
	})
	if err == nil && accepted != "" {
		clear(plain)
		plain, teams, err = c.paper(r, ref, label)
	}
	var sealed bytes.Buffer
	if err == nil {
		err = s.withDesk("", func(d desk.Desk) error {
			_, err := d.SealPaper(r.Context(), ref, teams, label, plain, &sealed)
			return err
		})
	}
	if ch, ok := asRosterChange(err); ok {
		return c.confirmRoster(w, r, ch)
	}
	switch {
	case errors.Is(err, desk.ErrNoColleague):
		return invalid(mPaperUnknown)
	case errors.Is(err, desk.ErrColleagueTwice):
		return invalid(mPaperTwice)
	case err != nil:
		return s.refusal(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": paperFile(ref)}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	_, err = w.Write(sealed.Bytes())
	return err
}

// paper renders case ref on paper for the colleague named to: the print
// page as one self-contained HTML document (the stylesheet inline, no
// link into the console, no form, no token), loaded as the case page
// loads it, with the case's teams as sealed in its report. The caller
// wipes the page.
func (c *Console) paper(r *http.Request, ref, to string) (plain []byte, teams []string, err error) {
	p, err := c.casePage(r, ref)
	if err != nil {
		return nil, nil, err
	}
	if !p.Case.Readable() {
		return nil, nil, &userError{status: http.StatusForbidden, heading: hNotReadable, message: mNotReadable}
	}
	p.Standalone, p.Bare, p.CSRF, p.Languages = true, true, "", nil
	pp := printPage{casePage: p, Printed: printTime(time.Now()), For: to, Style: template.CSS(stylesheet)}
	var buf bytes.Buffer
	if err := c.pages.set["print"].ExecuteTemplate(&buf, "layout", pp); err != nil {
		clear(buf.Bytes())
		return nil, nil, err
	}
	return buf.Bytes(), p.Case.Env.Teams, nil
}

// PaperFor seals case ref on paper, as the console's print page shows it
// in lang, to the colleague named to on the verified rosters (d.Rosters)
// of the case's sealed teams, and writes the age file to out
// (desk.SealPaper: nothing is recorded or written for an unknown name;
// the export is recorded in the audit log before anything is written).
// The case is read through s, as the console reads it. It is casectl
// paper.
func PaperFor(ctx context.Context, s *Source, d desk.Desk, ref, to, lang string, out io.Writer) (desk.Colleague, error) {
	if !refPattern.MatchString(ref) {
		return desk.Colleague{}, errors.New("not a case reference")
	}
	pg, err := loadPages()
	if err != nil {
		return desk.Colleague{}, err
	}
	if !knownLanguage(lang) {
		lang = "en"
	}
	if s.Handler() == "" {
		team, err := s.api.Team(ctx)
		if err != nil {
			return desk.Colleague{}, err
		}
		s.mu.Lock()
		s.team = team
		s.mu.Unlock()
	}
	c := &Console{cfg: Config{Source: s}, pages: pg, lang: lang}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/cases/"+ref+"/print", nil)
	if err != nil {
		return desk.Colleague{}, err
	}
	plain, teams, err := c.paper(r, ref, to)
	defer clear(plain)
	var ue *userError
	if errors.As(err, &ue) {
		return desk.Colleague{}, errors.New(c.pages.cat.translate("en", ue.message, ue.args...))
	}
	if err != nil {
		return desk.Colleague{}, err
	}
	return d.SealPaper(ctx, ref, teams, to, plain, out)
}
