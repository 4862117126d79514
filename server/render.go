package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/web"
)

// basePage is embedded in every page's data.
type basePage struct {
	FormID     string // set on pages whose language switcher sends the form
	FormAction string // where that form posts
	// DefaultAction is what Enter in a field of that form does.
	DefaultAction string
	AckDays       int // the usual time to an acknowledgement, in working days
	Lang          string
	Dir           string
	Title         string
	QuickExit     string     // the quick exit's link (through /exit)
	Languages     []langLink // the language switcher
	cat           catalog
}

// langLink is one entry of the language switcher.
type langLink struct {
	Tag, Name, Href string
	Current         bool
}

// SealedReplies is the sealed box of replies a return visit's forms carry
// (see visitPage); other pages have none.
func (b basePage) SealedReplies() string { return "" }

// SealedReplies is the box of the replies this visit showed.
func (p visitPage) SealedReplies() string { return p.Sealed }

// T translates an English string into the page's language; {0}, {1}...
// are replaced by args.
func (b basePage) T(s string, args ...any) string { return b.cat.translate(b.Lang, s, args...) }

// Q is the query string that keeps the page's language in links and form
// actions.
func (b basePage) Q() string { return "?lang=" + b.Lang }

// base returns the common page data for a request, in its language.
func (s *Server) base(c echo.Context, title string) basePage {
	lang := negotiate(c.Request())
	b := basePage{Lang: lang, Dir: "ltr", QuickExit: exitHref(""), cat: s.cat, AckDays: s.opts.AcknowledgeDays}
	path := langPath(c)
	for _, l := range uiLanguages {
		if l.Tag == lang && l.RTL {
			b.Dir = "rtl"
		}
		b.Languages = append(b.Languages, langLink{Tag: l.Tag, Name: l.Name, Href: path + "?lang=" + l.Tag, Current: l.Tag == lang})
	}
	b.Title = b.T(title)
	return b
}

// postPages are the pages a language link leads to after a POST: the
// page to start again from.
var postPages = map[string]string{"/return/follow-up": "/return", "/attachments": "/return"}

// langPath is the path language links point to, built from the matched
// route (never from the raw request path, which could be
// "//evil.example/x"): the route itself, with its parameters escaped; after
// a POST, the page to start again from; and for a request that matched no
// route, "" (a link to "?lang=xx" on the same page).
func langPath(c echo.Context) string {
	route := c.Path()
	if route == "" || strings.ContainsRune(route, '*') {
		return ""
	}
	if c.Request().Method != http.MethodGet {
		if p, ok := postPages[route]; ok {
			return p
		}
	}
	segs := strings.Split(route, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			segs[i] = url.PathEscape(c.Param(name))
		}
	}
	return strings.Join(segs, "/")
}

// banner is a message at the top of the form, such as "not saved".
type banner struct {
	Title, Text string
	Info        bool // a notice, not a problem
}

// formPage is the report form, empty or refilled after a problem.
type formPage struct {
	basePage
	Report       *intake.Report
	ErrorList    []intake.FieldError
	Errors       map[string]string
	Banner       *banner
	MaxVictims   int
	MaxIncidents int
	Action       string                       // where the form posts
	Rec          *envelope.IntermediaryRecord // an intermediary's record, on their form
	Submission   string                       // the form's one-time submission token
	Step         int                          // the step shown (index into reportSteps)
	StepID       string                       // its id
	Steps        []stepView                   // the step indicator
	Review       bool                         // the last step: every answer read-only, files, Send
	Carry        []hiddenField                // answers of the other steps
	followUps    []string                     // follow-up questions that apply
}

// ContactHere reports whether the consent step asks for the contact
// method (see contactHere).
func (p formPage) ContactHere() bool { return contactHere(p.Report) }

// Shows reports whether the follow-up question named path is on the page:
// when it applies, or already holds an answer.
func (p formPage) Shows(path, value string) bool {
	return value != "" || slices.Contains(p.followUps, path)
}

// confirmPage is shown once, after a report is stored.
type confirmPage struct {
	basePage
	Reference string
	Receipt   string
	Teams     []string
	Token     string // for attaching files
	Already   bool   // the same form was sent again: no receipt
	Proof     string // the signed proof of receipt
	// Files sent with the report: those stored, and the first failure.
	Files     []string
	WithFiles bool // the form could carry files
}

// ReceiptGroups splits the receipt into its groups of five, which the
// page keeps unbroken.
func (p confirmPage) ReceiptGroups() []string { return strings.Split(p.Receipt, "-") }

// returnPage asks for the receipt.
type returnPage struct {
	basePage
	Error  string
	Notice string // why the receipt is asked again
}

// visitPage shows a case to the reporter who holds its receipt.
type visitPage struct {
	basePage
	Sealed     string // the replies, sealed for the visit's next pages
	Reference  string
	ReceivedOn string
	Status     string
	Replies    []replyView
	Token      string
	Text       string
	Error      string
	Added      bool
	FilesAdded bool // after files were attached (the page the upload redirects to)
}

type replyView struct {
	Kind string `json:"k"`
	On   string `json:"o"`
	Text string `json:"t"`
	OK   bool   `json:"ok"`
}

// errorPage is a page for a request that could not be served.
type errorPage struct {
	basePage
	Heading string
	Message string
}

// Field is one form control's data, built by formPage.F in templates.
type Field struct {
	Name, Label, Value, Hint, Error string
	Options                         []option
	Values                          []string
	Checked, Required, Large        bool
	IsCheck                         bool // a single check box
	ReadOnly                        bool // shown for review, not as a control
	t                               func(string, ...any) string
}

type option struct{ Value, Label string }

// F returns the field at path with its label (translated), value and any
// error.
func (p formPage) F(path, label, value string) Field {
	return Field{Name: path, Label: p.T(label), Value: value, Error: p.Errors[path], ReadOnly: p.Review, t: p.T}
}

// Display is a field's answer as the review shows it: the labels of
// chosen options, "Yes" or "No" for a check box, the text otherwise.
func (f Field) Display() string {
	switch {
	case f.IsCheck:
		if f.Checked {
			return f.Tr("Yes")
		}
		return f.Tr("No")
	case f.Options != nil && f.Values != nil:
		var out []string
		for _, o := range f.Options {
			if f.Has(o.Value) {
				out = append(out, o.Label)
			}
		}
		return strings.Join(out, ", ")
	case f.Options != nil:
		for _, o := range f.Options {
			if o.Value == f.Value {
				return o.Label
			}
		}
	}
	return f.Value
}

// Tr translates a string in the field's page language (for templates:
// {{call .Tr "..."}}).
func (f Field) Tr(s string, args ...any) string {
	if f.t == nil {
		return s
	}
	return f.t(s, args...)
}

// Req marks a field required.
func (f Field) Req() Field { f.Required = true; return f }

// WithHint adds help text.
func (f Field) WithHint(h string) Field { f.Hint = f.t(h); return f }

// Tall makes a text area larger.
func (f Field) Tall() Field { f.Large = true; return f }

// Choice attaches the options of a single-choice field.
func (f Field) Choice(name string) Field { f.Options = options(name, f.t); return f }

// Multi attaches the options and chosen values of a multiple-choice field.
func (f Field) Multi(name string, values []string) Field {
	f.Options, f.Values = options(name, f.t), values
	return f
}

// States attaches the States concerned, named and sorted in lang, after
// "Not sure".
func (f Field) States(lang string) Field {
	f.Options = []option{{Value: country.NotSure, Label: f.t("Not sure")}}
	for _, o := range country.Sorted(lang) {
		f.Options = append(f.Options, option{Value: o.Code, Label: o.Name})
	}
	return f
}

// Check sets a single check box's state.
func (f Field) Check(on bool) Field { f.Checked, f.IsCheck = on, true; return f }

// Has reports whether v is among a multiple-choice field's values.
func (f Field) Has(v string) bool { return slices.Contains(f.Values, v) }

// Rows is the height of a text area.
func (f Field) Rows() int {
	if f.Large {
		return 10
	}
	return 4
}

// Describe lists the ids of the hint and error, for aria-describedby.
func (f Field) Describe() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

func options(name string, t func(string, ...any) string) []option {
	labels := choiceLabels[name]
	var out []option
	for _, v := range intake.Choices[name] {
		label := labels[v]
		if name != "language" { // languages are named in themselves
			label = t(label)
		}
		out = append(out, option{Value: v, Label: label})
	}
	return out
}

// renderer holds one parsed template set per page, parsed at start-up.
type renderer struct {
	pages map[string]*template.Template
}

func newRenderer() (*renderer, error) {
	funcs := template.FuncMap{"add": func(a, b int) int { return a + b }}
	layout, err := fs.ReadFile(web.Templates, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, name := range []string{"form", "confirm", "error", "return", "visit", "org-login", "org-cases", "org-case", "proof"} {
		page, err := fs.ReadFile(web.Templates, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		t := template.New(name).Funcs(funcs)
		if _, err := t.Parse(string(layout)); err != nil {
			return nil, fmt.Errorf("server: parsing layout: %w", err)
		}
		if _, err := t.Parse(string(page)); err != nil {
			return nil, fmt.Errorf("server: parsing %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// render executes a page into a buffer and writes it only on success, so
// a template error never sends half a page.
func (r *renderer) render(c echo.Context, status int, name string, data any) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("server: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("server: rendering %s: %w", name, err)
	}
	return c.Blob(status, "text/html; charset=utf-8", buf.Bytes())
}
