package plural

import (
	"slices"
	"strings"
	"testing"
)

// TestCategory: the CLDR cardinal category x/text picks for integers.
func TestCategory(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lang string
		n    int
		want string
	}{
		{"ru", 1, One}, {"ru", 21, One}, {"ru", 22, Few}, {"ru", 25, Many}, {"ru", 11, Many}, {"ru", 111, Many},
		{"ru", 0, Many}, {"ru", 101, One}, {"ru", 104, Few}, {"ru", 112, Many},
		{"ar", 0, Zero}, {"ar", 1, One}, {"ar", 2, Two}, {"ar", 3, Few}, {"ar", 10, Few}, {"ar", 11, Many},
		{"ar", 99, Many}, {"ar", 100, Other}, {"ar", 103, Few}, {"ar", 111, Many},
		{"en", 1, One}, {"en", 0, Other}, {"en", 2, Other}, {"en", 21, Other},
		{"fr", 0, One}, {"fr", 1, One}, {"fr", 2, Other}, {"fr", 1_000_000, Other},
		{"es", 0, Other}, {"es", 1, One}, {"es", 2, Other},
		{"zh", 0, Other}, {"zh", 1, Other}, {"zh", 2, Other},
		{"ru", -21, One}, {"not a language!", 1, Other},
	} {
		if got := Category(tt.lang, tt.n); got != tt.want {
			t.Errorf("Category(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// TestCategories: the categories each language of the pages uses (x/text
// v0.43, CLDR 32), "other" always among them.
func TestCategories(t *testing.T) {
	t.Parallel()
	for lang, want := range map[string][]string{
		"en": {One, Other}, "fr": {One, Other}, "es": {One, Other},
		"ru": {One, Few, Many, Other}, "ar": {Zero, One, Two, Few, Many, Other}, "zh": {Other},
	} {
		if got := Categories(lang); !slices.Equal(got, want) {
			t.Errorf("Categories(%q) = %v, want %v", lang, got, want)
		}
	}
	for _, tt := range []struct {
		lang, cat string
		single    bool
	}{{"ar", Zero, true}, {"ar", One, true}, {"ar", Two, true}, {"ar", Few, false}, {"en", One, true}, {"fr", One, false}, {"ru", One, false}} {
		if got := SingleValue(tt.lang, tt.cat); got != tt.single {
			t.Errorf("SingleValue(%q, %q) = %v, want %v", tt.lang, tt.cat, got, tt.single)
		}
	}
}

// TestTranslate: the form for the count, the count being the first
// integer argument (or string of digits), Latin digits in every language,
// English plural forms when a language lacks the string.
func TestTranslate(t *testing.T) {
	t.Parallel()
	b := Book{}
	for lang, src := range map[string]string{
		"en": `{"{0} cases": {"one": "{0} case", "other": "{0} cases"}, "Case {0}, {1} sources": {"one": "Case {0}, {1} source", "other": "Case {0}, {1} sources"}}`,
		"ru": `{"{0} cases": {"one": "{0} дело", "few": "{0} дела", "many": "{0} дел", "other": "{0} дела"}, "Hello": "Привет"}`,
		"ar": `{"{0} cases": {"zero": "لا حالات", "one": "حالة واحدة", "two": "حالتان", "few": "{0} حالات", "many": "{0} حالة", "other": "{0} حالة"}}`,
		"fr": `{"Hello": ""}`,
	} {
		c, err := Parse(lang, []byte(src))
		if err != nil {
			t.Fatal(lang, err)
		}
		b[lang] = c
	}
	for _, tt := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"en", "{0} cases", []any{1}, "1 case"},
		{"en", "{0} cases", []any{0}, "0 cases"},
		{"en", "{0} cases", []any{int64(5)}, "5 cases"},
		{"en", "{0} cases", []any{"1"}, "1 case"},
		{"en", "Case {0}, {1} sources", []any{"ABCD-EFGH", 1}, "Case ABCD-EFGH, 1 source"},
		{"en", "Case {0}, {1} sources", []any{"ABCD-EFGH", 3}, "Case ABCD-EFGH, 3 sources"},
		{"ru", "{0} cases", []any{1}, "1 дело"},
		{"ru", "{0} cases", []any{21}, "21 дело"},
		{"ru", "{0} cases", []any{22}, "22 дела"},
		{"ru", "{0} cases", []any{25}, "25 дел"},
		{"ru", "{0} cases", []any{uint(111)}, "111 дел"},
		{"ru", "{0} cases", nil, "{0} дела"}, // no count: "other"
		{"ar", "{0} cases", []any{0}, "لا حالات"},
		{"ar", "{0} cases", []any{2}, "حالتان"},
		{"ar", "{0} cases", []any{3}, "3 حالات"},
		{"ar", "{0} cases", []any{11}, "11 حالة"},
		{"ar", "{0} cases", []any{100}, "100 حالة"},
		{"fr", "{0} cases", []any{1}, "1 case"},  // no French: English, by English rules
		{"fr", "Hello", nil, "Hello"},            // left empty: English
		{"zh", "{0} cases", []any{2}, "2 cases"}, // no catalogue at all
		{"ru", "Hello", nil, "Привет"},           // plain strings as before
		{"ru", "Not there {0}", []any{7}, "Not there 7"},
	} {
		if got := b.Translate(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("Translate(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
		}
	}
}

// TestCount: which argument is the count.
func TestCount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []any
		n    int
		ok   bool
	}{
		{nil, 0, false},
		{[]any{"ABCD-EFGH"}, 0, false},
		{[]any{"ABCD-EFGH", 3}, 3, true},
		{[]any{"12"}, 12, true},
		{[]any{""}, 0, false},
		{[]any{"-1"}, 0, false},
		{[]any{"1.5"}, 0, false},
		{[]any{strings.Repeat("9", 19)}, 0, false},
		{[]any{int8(2), 5}, 2, true},
		{[]any{uint64(1) << 63}, 1 << 62, true},
		{[]any{2.5, 4}, 4, true},
	} {
		n, ok := Count(tt.args...)
		if n != tt.n || ok != tt.ok {
			t.Errorf("Count(%v) = %d, %v, want %d, %v", tt.args, n, ok, tt.n, tt.ok)
		}
	}
}

// TestParse: malformed catalogues are refused with a reason; good ones
// read plain strings and plural forms.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, lang, src, err string
	}{
		{"plain strings", "fr", `{"a": "b", "c {0}": "d {0}"}`, ""},
		{"empty string (untranslated)", "fr", `{"a": ""}`, ""},
		{"plural forms", "fr", `{"{0} cases": {"one": "{0} dossier", "other": "{0} dossiers"}}`, ""},
		{"Chinese other only", "zh", `{"{0} cases": {"other": "{0} 个案件"}}`, ""},
		{"Russian", "ru", `{"{0} cases": {"one": "a", "few": "b", "many": "c", "other": "d"}}`, ""},
		{"Arabic", "ar", `{"{0} cases": {"zero": "a", "one": "b", "two": "c", "few": "d", "many": "e", "other": "f"}}`, ""},
		{"empty catalogue", "fr", `{}`, ""},
		{"not JSON", "fr", `{"a": "b"`, "EOF"},
		{"not an object", "fr", `["a"]`, "one JSON object"},
		{"a string", "fr", `"a"`, "one JSON object"},
		{"nothing", "fr", ``, "one JSON object"},
		{"two objects", "fr", `{"a": "b"} {"c": "d"}`, "nothing after it"},
		{"trailing garbage", "fr", `{"a": "b"} x`, "nothing after it"},
		{"a key twice", "fr", `{"a": "b", "c": "d", "a": "e"}`, `"a" is there twice`},
		{"a plural key twice", "fr", `{"a": {"one": "b", "other": "c"}, "a": "e"}`, `"a" is there twice`},
		{"bad value", "fr", `{"a": tru}`, "invalid character"},
		{"a number", "fr", `{"a": 1}`, "a string or an object"},
		{"null", "fr", `{"a": null}`, "a string or an object"},
		{"a list", "fr", `{"a": ["b"]}`, "a string or an object"},
		{"no other", "fr", `{"a": {"one": "b"}}`, `no "other"`},
		{"empty forms", "zh", `{"a": {}}`, `no "other"`},
		{"unknown category", "fr", `{"a": {"one": "b", "plural": "c", "other": "d"}}`, "not a CLDR category"},
		{"category in capitals", "fr", `{"a": {"One": "b", "other": "d"}}`, "not a CLDR category"},
		{"empty form", "fr", `{"a": {"one": "", "other": "d"}}`, "is empty"},
		{"form not a string", "fr", `{"a": {"one": 1, "other": "d"}}`, "plural forms"},
		{"nested forms", "fr", `{"a": {"one": {"one": "x"}, "other": "d"}}`, "plural forms"},
		{"missing category", "ru", `{"a": {"one": "a", "few": "b", "other": "d"}}`, "ru uses [one few many other]"},
		{"extra category", "fr", `{"a": {"one": "a", "many": "b", "other": "d"}}`, "fr uses [one other]"},
		{"English only other", "en", `{"a": {"other": "a"}}`, "en uses [one other]"},
		{"Chinese with one", "zh", `{"a": {"one": "a", "other": "b"}}`, "zh uses [other]"},
		{"Arabic without zero", "ar", `{"a": {"one": "b", "two": "c", "few": "d", "many": "e", "other": "f"}}`, "ar uses"},
	} {
		_, err := Parse(tt.lang, []byte(tt.src))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && err == nil:
			t.Errorf("%s: accepted", tt.name)
		case tt.err != "" && !strings.Contains(err.Error(), tt.err):
			t.Errorf("%s: error %q, want one with %q", tt.name, err, tt.err)
		}
	}
}

// TestCheck: placeholders kept in every form, except that a form for a
// single number may leave one out.
func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, lang, key string
		m               Message
		ok              bool
	}{
		{"plain kept", "fr", "{0} of {1}", Message{Text: "{1} sur {0}"}, true},
		{"plain lost", "fr", "{0} of {1}", Message{Text: "{0}"}, false},
		{"plain invented", "fr", "{0}", Message{Text: "{0} {1}"}, false},
		{"forms kept", "ru", "{0} cases", Message{Forms: map[string]string{One: "{0} дело", Few: "{0} дела", Many: "{0} дел", Other: "{0} дела"}}, true},
		{"Russian one covers 21", "ru", "{0} cases", Message{Forms: map[string]string{One: "одно дело", Few: "{0} дела", Many: "{0} дел", Other: "{0} дела"}}, false},
		{"French one covers 0", "fr", "{0} cases", Message{Forms: map[string]string{One: "un dossier", Other: "{0} dossiers"}}, false},
		{"Arabic one and two", "ar", "{0} cases in {1}", Message{Forms: map[string]string{Zero: "لا حالات في {1}", One: "حالة واحدة في {1}", Two: "حالتان في {1}", Few: "{0} حالات في {1}", Many: "{0} حالة في {1}", Other: "{0} حالة في {1}"}}, true},
		{"Arabic two loses the other placeholder", "ar", "{0} cases in {1}", Message{Forms: map[string]string{Zero: "{0} {1}", One: "{0} {1}", Two: "حالتان", Few: "{0} {1}", Many: "{0} {1}", Other: "{0} {1}"}}, false},
		{"Arabic few must keep the count", "ar", "{0} cases", Message{Forms: map[string]string{Zero: "{0}", One: "{0}", Two: "{0}", Few: "حالات", Many: "{0}", Other: "{0}"}}, false},
		{"invented in a form", "en", "{0} cases", Message{Forms: map[string]string{One: "{0} case {1}", Other: "{0} cases"}}, false},
	} {
		if err := Check(tt.lang, tt.key, tt.m); (err == nil) != tt.ok {
			t.Errorf("%s: Check = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// TestFormErrors: a plural message with a form missing or extra is named,
// and so is a language without any plural message.
func TestFormErrors(t *testing.T) {
	t.Parallel()
	ok := Message{Forms: map[string]string{One: "{0} дело", Few: "{0} дела", Many: "{0} дел", Other: "{0} дела"}}
	tests := []struct {
		name string
		book Book
		want []string
	}{
		{"right forms", Book{"ru": {"{0} cases": ok}}, nil},
		{"few missing", Book{"ru": {"{0} cases": {Forms: map[string]string{One: "a", Many: "b", Other: "c"}}}},
			[]string{`ru: "{0} cases" has the forms [one many other]`}},
		{"two extra", Book{"ru": {"{0} cases": {Forms: map[string]string{One: "a", Two: "x", Few: "d", Many: "b", Other: "c"}}}},
			[]string{`ru: "{0} cases" has the forms [one two few many other]`}},
		{"no plural message", Book{"ru": {"{0} cases": ok}, "fr": {"Case": {Text: "Dossier"}}},
			[]string{"fr: no plural message"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.book.FormErrors()
			if len(errs) != len(tt.want) {
				t.Fatalf("errors %v, want %d", errs, len(tt.want))
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tt.want[i]) {
					t.Errorf("error %q, want it to start %q", e, tt.want[i])
				}
			}
		})
	}
}

func TestNoun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0 cases"}, {1, "1 case"}, {2, "2 cases"}, {21, "21 cases"}} {
		if got := Noun(tt.n, "case", "cases"); got != tt.want {
			t.Errorf("Noun(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
