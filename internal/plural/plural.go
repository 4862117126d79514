// Package plural holds the message catalogues of the reporter pages and
// the handler's console: English source strings mapped to their
// translations, where a message with a count has one form per CLDR plural
// category of its language ("one", "few", "many", ...), chosen with
// golang.org/x/text's plural rules.
//
// In a catalogue file (JSON), a message is either a plain string or an
// object keyed by CLDR category:
//
//	"{0} cases": {"one": "{0} дело", "few": "{0} дела", "many": "{0} дел", "other": "{0} дела"}
//
// "other" is required, and a plural message must have exactly the
// categories its language uses for integers (Categories), plus "other":
// English, French and Spanish one/other, Russian one/few/many/other,
// Arabic zero/one/two/few/many/other, Chinese other only. English plural
// forms live in an English catalogue of their own; its keys are the
// English "other" form.
//
// The count is the first argument that is an integer (or a string of
// decimal digits, as validation messages carry their limits). A message
// whose words depend on two counts is written as two messages.
package plural

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	xplural "golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// The CLDR plural categories, in CLDR's order.
const (
	Zero  = "zero"
	One   = "one"
	Two   = "two"
	Few   = "few"
	Many  = "many"
	Other = "other"
)

var allCategories = []string{Zero, One, Two, Few, Many, Other}

var formName = map[xplural.Form]string{
	xplural.Zero: Zero, xplural.One: One, xplural.Two: Two,
	xplural.Few: Few, xplural.Many: Many, xplural.Other: Other,
}

// Category returns the CLDR cardinal category of the integer n in lang
// (a BCP 47 tag such as "ru"); an unknown language gets "other".
func Category(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	tag, ok := tagOf(lang)
	if !ok {
		return Other
	}
	return formName[xplural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]
}

var (
	tagMu sync.Mutex
	tags  = map[string]language.Tag{}
)

// tagOf parses lang once (the pages' few languages are kept).
func tagOf(lang string) (language.Tag, bool) {
	tagMu.Lock()
	defer tagMu.Unlock()
	if t, ok := tags[lang]; ok {
		return t, true
	}
	t, err := language.Parse(lang)
	if err != nil {
		return language.Und, false
	}
	if len(tags) < 64 {
		tags[lang] = t
	}
	return t, true
}

var (
	catMu    sync.Mutex
	catCache = map[string][]string{}
)

// Categories returns the categories lang uses for integers, plus "other"
// (always allowed, and what fractions would take), in CLDR's order. It
// samples x/text's rules, so it follows them exactly.
func Categories(lang string) []string {
	catMu.Lock()
	defer catMu.Unlock()
	if c, ok := catCache[lang]; ok {
		return c
	}
	seen := map[string]bool{Other: true}
	for n := 0; n <= 1000; n++ {
		seen[Category(lang, n)] = true
	}
	for n := 10_000; n <= 1_000_000_000; n *= 10 { // CLDR rules with millions (French "many" in later CLDR)
		seen[Category(lang, n)] = true
	}
	var c []string
	for _, k := range allCategories {
		if seen[k] {
			c = append(c, k)
		}
	}
	if len(catCache) < 64 { // the pages' few languages; a bound all the same
		catCache[lang] = c
	}
	return c
}

// SingleValue reports whether category covers exactly one integer in lang
// (Arabic "zero", "one" and "two", English "one"): a form for it may leave
// the count out ("حرف واحد" for one character).
func SingleValue(lang, category string) bool {
	n := 0
	for i := 0; i <= 1000; i++ {
		if Category(lang, i) == category {
			n++
		}
	}
	return n == 1
}

// Message is one catalogue entry: a plain string, or forms by category.
type Message struct {
	Text  string            // a plain string; "" when Forms is set
	Forms map[string]string // by CLDR category; nil for a plain string
}

// Plural reports whether m has forms by category.
func (m Message) Plural() bool { return m.Forms != nil }

// Empty reports whether m holds no text (a string left untranslated).
func (m Message) Empty() bool { return m.Forms == nil && m.Text == "" }

// Pick returns the form of m for the count among args in lang (the first
// integer argument; "other" when there is none), placeholders unfilled.
func (m Message) Pick(lang string, args ...any) string {
	if m.Forms == nil {
		return m.Text
	}
	if n, ok := Count(args...); ok {
		if s, ok := m.Forms[Category(lang, n)]; ok {
			return s
		}
	}
	return m.Forms[Other]
}

// UnmarshalJSON reads a plain string or an object of forms by category:
// "other" required, only CLDR category names, every form a non-empty
// string.
func (m *Message) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*m = Message{Text: s}
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("a message is a string or an object of plural forms")
	}
	var forms map[string]string
	if err := json.Unmarshal(b, &forms); err != nil {
		return fmt.Errorf("plural forms: %w", err)
	}
	for k, v := range forms {
		if !slices.Contains(allCategories, k) {
			return fmt.Errorf("plural forms: %q is not a CLDR category (zero, one, two, few, many, other)", k)
		}
		if v == "" {
			return fmt.Errorf("plural forms: the %q form is empty", k)
		}
	}
	if _, ok := forms[Other]; !ok {
		return errors.New(`plural forms: no "other" form`)
	}
	*m = Message{Forms: forms}
	return nil
}

// Catalogue maps English source strings to their messages in one language.
type Catalogue map[string]Message

// Parse reads a catalogue file of lang: one JSON object, each English
// string once (a second entry for the same string, which JSON would let
// silently win, is refused), and every plural message with exactly the
// categories lang uses (Categories).
func Parse(lang string, b []byte) (Catalogue, error) {
	c := Catalogue{}
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("a catalogue is one JSON object")
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string) // an object's keys are strings, or Token fails
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
		if _, dup := c[k]; dup {
			return nil, fmt.Errorf("%q is there twice", k)
		}
		var m Message
		if err := m.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
		c[k] = m
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("a catalogue is one JSON object, with nothing after it")
	}
	want := Categories(lang)
	for k, m := range c {
		if !m.Plural() {
			continue
		}
		var got []string
		for _, cat := range allCategories {
			if _, ok := m.Forms[cat]; ok {
				got = append(got, cat)
			}
		}
		if !slices.Equal(got, want) {
			return nil, fmt.Errorf("%q has the plural forms %v; %s uses %v", k, got, lang, want)
		}
	}
	return c, nil
}

// Book holds the catalogues of several languages, English's holding only
// the English plural forms.
type Book map[string]Catalogue

// Pick returns s in lang, the form for the count among args, with its
// placeholders unfilled. A string lang lacks falls back to English (its
// plural forms if it has them, else s itself).
func (b Book) Pick(lang, s string, args ...any) string {
	if m, ok := b[lang][s]; ok && !m.Empty() {
		return m.Pick(lang, args...)
	}
	if m, ok := b["en"][s]; ok && !m.Empty() {
		return m.Pick("en", args...)
	}
	return s
}

// FormErrors reports every plural message of the book whose forms are
// not exactly the categories its language uses (Categories): no form
// missing, none extra; and every language with no plural message at all.
// The catalogue tests of the reporter pages and of the console call it.
func (b Book) FormErrors() []error {
	var errs []error
	for _, lang := range sorted(slices.Collect(maps.Keys(b))) {
		want := Categories(lang)
		n := 0
		for _, k := range sorted(slices.Collect(maps.Keys(b[lang]))) {
			m := b[lang][k]
			if !m.Plural() {
				continue
			}
			n++
			var got []string
			for _, f := range allCategories {
				if m.Forms[f] != "" {
					got = append(got, f)
				}
			}
			if !slices.Equal(got, want) || len(m.Forms) != len(want) {
				errs = append(errs, fmt.Errorf("%s: %q has the forms %v, want %v", lang, k, got, want))
			}
		}
		if n == 0 {
			errs = append(errs, fmt.Errorf("%s: no plural message", lang))
		}
	}
	return errs
}

// Translate returns s in lang with {0}, {1}... replaced by args.
func (b Book) Translate(lang, s string, args ...any) string {
	return Fill(b.Pick(lang, s, args...), args...)
}

// Fill replaces {0}, {1}... in s by args. Numbers are written with Latin
// digits in every language, as the pages always have (and as references
// and dates are written).
func Fill(s string, args ...any) string {
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}

// Count returns the first integer among args: a Go integer, or a string
// of 1 to 18 decimal digits.
func Count(args ...any) (int, bool) {
	for _, a := range args {
		switch v := a.(type) {
		case int:
			return v, true
		case int8:
			return int(v), true
		case int16:
			return int(v), true
		case int32:
			return int(v), true
		case int64:
			return int(v), true
		case uint:
			return int(v), true
		case uint8:
			return int(v), true
		case uint16:
			return int(v), true
		case uint32:
			return int(v), true
		case uint64:
			if v > 1<<62 {
				return 1 << 62, true
			}
			return int(v), true
		case string:
			if len(v) > 0 && len(v) <= 18 && strings.Trim(v, "0123456789") == "" {
				n, _ := strconv.Atoi(v)
				return n, true
			}
		}
	}
	return 0, false
}

var placeholder = regexp.MustCompile(`\{\d+\}`)

// Check reports a message of lang whose placeholders differ from its
// English key's: every form keeps every {0}, {1}... of the key and adds
// none, except that the form of a category covering a single integer
// (SingleValue: Arabic "حرف واحد", one character) may leave one out.
// The translation tests call it for every message.
func Check(lang, key string, m Message) error {
	want := sorted(placeholder.FindAllString(key, -1))
	if !m.Plural() {
		if got := sorted(placeholder.FindAllString(m.Text, -1)); !slices.Equal(want, got) {
			return fmt.Errorf("%s: %q has placeholders %v, its translation %v", lang, key, want, got)
		}
		return nil
	}
	for _, cat := range allCategories {
		s, ok := m.Forms[cat]
		if !ok {
			continue
		}
		got := sorted(placeholder.FindAllString(s, -1))
		if slices.Equal(want, got) {
			continue
		}
		if SingleValue(lang, cat) && len(got) == len(want)-1 && subset(got, want) {
			continue
		}
		return fmt.Errorf("%s: %q has placeholders %v, its %q form %v", lang, key, want, cat, got)
	}
	return nil
}

func sorted(s []string) []string { slices.Sort(s); return s }

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// Noun returns n and the English noun in the form its count takes ("1
// case", "0 cases"), for the command-line tools' messages, which are
// English only.
func Noun(n int, one, other string) string {
	if Category("en", n) == One {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + other
}
