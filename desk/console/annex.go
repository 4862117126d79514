package console

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ohchr-reprisals/intake/desk/sgreport"
)

// The annex drafts page words desk/sgreport's drafts of Annex I (new
// cases) and Annex II (follow-up) of the Secretary-General's report for a
// period, in a UN working language, as a printable page (a page per
// State when printed) and as a Markdown download. Everything is computed
// here from the decrypted cases; the server only learns, through the
// audit log, which cases a Markdown download held.

// annexPage is the annex drafts page.
type annexPage struct {
	base
	From, To  string
	DraftLang string
	Langs     []option
	Doc       sgreport.Doc
	Cases     int // entries in the drafts
}

// draftWords words a draft in lang through the console's catalogue.
type draftWords struct{ b base }

func (w draftWords) T(s string, args ...any) string { return w.b.T(s, args...) }
func (w draftWords) L(kind, v string) string        { return w.b.T(label(kind, v)) }

// DraftWords returns the words of an annex draft in lang (casectl annex
// prints with them), from the console's message catalogue.
func DraftWords(lang string) (sgreport.Words, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	return draftWords{base{Lang: lang, cat: cat}}, nil
}

// draftLang is the draft's language: the one asked for if it is one of
// sgreport.DraftLanguages, else the console's, else English.
func draftLang(asked, console string) string {
	for _, l := range []string{asked, console} {
		if slices.Contains(sgreport.DraftLanguages, l) {
			return l
		}
	}
	return "en"
}

// Annexes drafts the annexes for p in lang over the loaded cases, once
// the load has finished and every readable case's entries are read
// (casectl annex and the console's page both call it).
func (s *Source) Annexes(ctx context.Context, p sgreport.Period, lang string) (sgreport.Draft, error) {
	if err := s.WaitLoaded(ctx); err != nil {
		return sgreport.Draft{}, err
	}
	if err := s.loadEntries(ctx); err != nil {
		return sgreport.Draft{}, err
	}
	cases, _ := s.reportCases()
	return sgreport.Annexes(cases, p, lang), nil
}

func (c *Console) annexes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := period(q.Get("from"), q.Get("to"), time.Now())
	if err != nil {
		return err
	}
	pg := annexPage{base: c.base(r, "Annex drafts"), From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly)}
	pg.DraftLang = draftLang(q.Get("lang"), pg.Lang)
	d, err := c.cfg.Source.Annexes(r.Context(), p, pg.DraftLang)
	if err != nil {
		return err
	}
	for _, l := range sgreport.DraftLanguages {
		pg.Langs = append(pg.Langs, option{l, pg.L("language", l), l == pg.DraftLang})
	}
	pg.Doc = d.Word(draftWords{base{Lang: pg.DraftLang, cat: pg.cat}})
	pg.Cases = draftCases(d)
	w.Header().Set("Cache-Control", "no-store")
	return c.render(w, http.StatusOK, "annexes", pg)
}

// draftCases is how many entries (groups of cases) the drafts describe.
func draftCases(d sgreport.Draft) int {
	n := 0
	for _, secs := range [][]sgreport.Section{d.New, d.FollowUp} {
		for _, s := range secs {
			n += len(s.Entries)
		}
	}
	return n
}

// draftRefs are the references of every case an entry of d draws on.
func draftRefs(d sgreport.Draft) []sgreport.Case {
	var out []sgreport.Case
	for _, secs := range [][]sgreport.Section{d.New, d.FollowUp} {
		for _, s := range secs {
			for _, e := range s.Entries {
				for _, ref := range e.Sources {
					out = append(out, sgreport.Case{Reference: ref})
				}
			}
		}
	}
	return out
}

// annexMarkdown records the export of every case the drafts draw on in
// the audit log, then sends the drafts as a Markdown download.
func (c *Console) annexMarkdown(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	p, err := period(r.PostFormValue("from"), r.PostFormValue("to"), time.Now())
	if err != nil {
		return err
	}
	b := c.base(r, "Annex drafts")
	lang := draftLang(r.PostFormValue("lang"), b.Lang)
	d, err := c.cfg.Source.Annexes(r.Context(), p, lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sgreport.WriteMarkdown(&buf, d.Word(draftWords{base{Lang: lang, cat: b.cat}})); err != nil {
		return err
	}
	defer clear(buf.Bytes())
	if err := c.cfg.Source.recordExports(r, draftRefs(d)); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/markdown; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{
		"filename": "sg-report-annexes-" + lang + "-" + p.From.Format(time.DateOnly) + "-to-" + p.To.Format(time.DateOnly) + "-DECRYPTED.md"}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = w.Write(buf.Bytes())
	return err
}
