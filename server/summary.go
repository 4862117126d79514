package server

import (
	"cmp"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/web"
)

// formQuestion is one question of the report form, as its template asks
// it: the form name (with "[]" for the index of a person or an incident)
// and the English label.
type formQuestion struct{ Name, Label string }

// fieldCall matches a field in form.html: ($p.F "name" "Label" ...) or,
// inside a person's or an incident's block, ($p.F (printf "%s.name" $n)
// "Label" ...).
var fieldCall = regexp.MustCompile(`\$p\.F (?:"([a-z_.]+)"|\(printf "%s\.([a-z_]+)" \$n\)) "([^"]*)"`)

// blocks are the repeated parts of the form: the template that asks them,
// their form name, and the legend that numbers them.
var blocks = []struct{ Define, Name, Legend string }{
	{"step-victims", "victims", "Person or group {0}"},
	{"step-incidents", "incidents", "Incident {0}"},
}

// formQuestions reads the questions of the report form from its template,
// in the order the pages show them, so the error summary names each
// question with the label its page gives it, and lists them in page order.
func formQuestions() ([]formQuestion, error) {
	b, err := fs.ReadFile(web.Templates, "templates/form.html")
	if err != nil {
		return nil, err
	}
	var out []formQuestion
	define := ""
	for line := range strings.Lines(string(b)) {
		if d, ok := strings.CutPrefix(line, `{{define "`); ok {
			define, _, _ = strings.Cut(d, `"`)
		}
		for _, m := range fieldCall.FindAllStringSubmatch(line, -1) {
			name := m[1]
			if m[2] != "" {
				for _, bl := range blocks {
					if bl.Define == define {
						name = bl.Name + "[]." + m[2]
					}
				}
			}
			if !slices.ContainsFunc(out, func(q formQuestion) bool { return q.Name == name }) {
				out = append(out, formQuestion{name, m[3]})
			}
		}
	}
	return out, nil
}

// indexInPath matches the index of a block in a form name.
var indexInPath = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]\.`)

// questionOf returns the position and label of the question a form name
// asks, the block's index (-1 outside blocks) and legend; pos is
// len(questions) for a name the form does not ask.
func questionOf(qs []formQuestion, path string) (pos, index int, label, legend string) {
	name, index := path, -1
	if m := indexInPath.FindStringSubmatch(path); m != nil {
		index, _ = strconv.Atoi(m[2])
		name = m[1] + "[]." + strings.TrimPrefix(path, m[0])
		for _, bl := range blocks {
			if bl.Name == m[1] {
				legend = bl.Legend
			}
		}
	}
	pos = slices.IndexFunc(qs, func(q formQuestion) bool { return q.Name == name })
	if pos < 0 {
		return len(qs), index, "", legend
	}
	return pos, index, qs[pos].Label, legend
}

// inPageOrder sorts field errors as the page shows their questions: by
// question, and inside a list by person or incident first. With
// contactHere, the contact method is asked after the contact permission
// (on the consent step).
func inPageOrder(qs []formQuestion, fields []intake.FieldError, contactHere bool) []intake.FieldError {
	out := slices.Clone(fields)
	key := func(f intake.FieldError) (int, int, int) {
		pos, index, _, _ := questionOf(qs, f.Path)
		if contactHere && f.Path == "submitter.contact_method" {
			pos, _, _, _ = questionOf(qs, "consent.contact_permission")
		}
		if index < 0 {
			return pos, -1, 0
		}
		// A block's questions sit together, where its first one is.
		block, _, _ := strings.Cut(f.Path, "[")
		first := slices.IndexFunc(qs, func(q formQuestion) bool { return strings.HasPrefix(q.Name, block+"[].") })
		return first, index, pos
	}
	slices.SortStableFunc(out, func(a, b intake.FieldError) int {
		a1, a2, a3 := key(a)
		b1, b2, b3 := key(b)
		return cmp.Or(cmp.Compare(a1, b1), cmp.Compare(a2, b2), cmp.Compare(a3, b3))
	})
	return out
}

// summaryText is a field error as the error summary lists it: the
// question, then the message ("Who gave consent: please choose an
// option."), in the page's language; a message about no question alone.
func summaryText(qs []formQuestion, t func(string, ...any) string, path, msg string) string {
	_, index, label, legend := questionOf(qs, path)
	if label == "" {
		return msg
	}
	q := strings.TrimRight(t(label), "?？؟ ")
	if legend != "" {
		q = t("{0} – {1}", t(legend, index+1), q)
	}
	return t("{0}: {1}", q, lowerFirst(msg))
}

// lowerFirst lower-cases a message's first letter when it starts a
// sentence (a capital followed by a small letter), so it reads on after
// the question's name; scripts without case are left as they are.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	next, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsUpper(r) && unicode.IsLower(next) {
		return string(unicode.ToLower(r)) + s[n:]
	}
	return s
}
