package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/console.css
var stylesheet []byte

// pages holds the parsed templates, one set per page.
type pages struct {
	set map[string]*template.Template
	cat catalog
}

// loadPages parses every page with the layout; a template that does not
// parse stops the console from starting.
func loadPages() (*pages, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files named _*.html hold parts that several pages share (the case
	// page and its printable view): parsed with every page.
	parts, err := fs.Glob(templateFiles, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{set: map[string]*template.Template{}, cat: cat}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, append([]string{"templates/layout.html", f}, parts...)...)
		if err != nil {
			return nil, err
		}
		p.set[name] = t
	}
	return p, nil
}

var funcs = template.FuncMap{
	"safe": handlerapi.SafeText,
	"join": func(sep string, list []string) string { return strings.Join(list, sep) },
	"inc":  func(i int) int { return i + 1 },
}

// base is embedded in every page's data.
type base struct {
	Lang      string
	Title     string
	Path      string // the page's path and query, for the language switch
	CSRF      string
	Handler   string
	Team      string
	Languages []langLink
	// Bare leaves out the navigation, the language switch and Quit (the
	// closed page, whose links would lead nowhere).
	Bare bool
	// Standalone is a page written to be read away from the console (the
	// paper sealed to a colleague): the stylesheet inline, Bare, and no
	// link into the console.
	Standalone bool
	cat        catalog
}

type langLink struct {
	Tag, Name string
	Current   bool
}

// T translates an English string into the page's language.
func (b base) T(s string, args ...any) string { return b.cat.translate(b.Lang, s, args...) }

// Tok is T for HTML: each argument is shown as one token that never
// breaks across lines (a reference, a date, a name). Arguments from the
// server or a report must be made safe by the caller.
func (b base) Tok(s string, args ...any) template.HTML {
	out := template.HTMLEscapeString(b.cat.pick(b.Lang, s, args...))
	for i, a := range args {
		out = strings.ReplaceAll(out, "{"+strconv.Itoa(i)+"}", `<span class="token">`+template.HTMLEscapeString(fmt.Sprint(a))+`</span>`)
	}
	return template.HTML(out)
}

// base returns the common page data.
func (c *Console) base(r *http.Request, title string) base {
	c.mu.Lock()
	lang, csrf := c.lang, c.csrf
	c.mu.Unlock()
	b := base{Lang: lang, CSRF: csrf, Path: r.URL.RequestURI(), cat: c.pages.cat}
	if r.Method != http.MethodGet {
		b.Path = "/"
	}
	if s := c.cfg.Source; s != nil {
		b.Handler, b.Team = s.Handler(), s.Team()
	}
	for _, l := range languages {
		b.Languages = append(b.Languages, langLink{Tag: l.Tag, Name: l.Name, Current: l.Tag == lang})
	}
	b.Title = b.T(title)
	return b
}

// render executes a page into a buffer and sends it only if it executed.
func (c *Console) render(w http.ResponseWriter, status int, name string, data any) error {
	t := c.pages.set[name]
	if t == nil {
		return errors.New("console: no template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// userError is an error with a message written for the handler.
type userError struct {
	status  int
	heading string
	message string // English, translated when shown
	args    []any
	detail  string // already safe text from the server or the client library
}

func (e *userError) Error() string { return e.heading }

// errorPage is the page the error funnel shows.
type errorPage struct {
	base
	Heading, Message, Detail string
}

// handle adapts a handler that returns an error to the one funnel: user
// errors are shown with their status, anything else as a generic failure.
// Nothing is logged: the console has no log, and errors may hold case
// content.
func (c *Console) handle(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		var ue *userError
		if !errors.As(err, &ue) {
			ue = &userError{status: http.StatusBadGateway, heading: hFailed, message: mFailed, detail: handlerapi.SafeText(err.Error())}
		}
		p := errorPage{base: c.base(r, ue.heading)}
		p.Heading, p.Message, p.Detail = p.T(ue.heading), p.T(ue.message, ue.args...), ue.detail
		if rerr := c.render(w, ue.status, "error", p); rerr != nil {
			http.Error(w, "error", http.StatusInternalServerError)
		}
	})
}

// Headings and messages of the error pages, in English.
const (
	hFailed      = "That did not work"
	mFailed      = "The console could not complete this. Nothing was changed unless the page says so. The reason is below."
	hNotFound    = "Not found"
	mNotFound    = "There is no such page or case in this console."
	hBadForm     = "This form has expired"
	mBadForm     = "The form was not sent from this console session. Go back, reload the page and try again."
	hTooLarge    = "Too long"
	mTooLarge    = "The text is longer than the console accepts ({0} characters at most)."
	hNotAllowed  = "Not allowed"
	mNotAllowed  = "This address does not accept this kind of request."
	hNotReadable = "This case is not encrypted to your identity yet"
	mNotReadable = "A colleague who can read it runs a rekey (in the console: Team roster, then Rekey; or casectl rekey)."
)
