package plural

import (
	"slices"
	"testing"
)

// FuzzParseCatalogue: catalogues are embedded, not untrusted, but a
// translator's file may be anything. Parse never panics; what it accepts
// has plural messages with exactly the language's categories, and every
// message picks one of its own forms for any count.
func FuzzParseCatalogue(f *testing.F) {
	for _, s := range []string{
		`{"a": "b", "c {0}": "d {0}"}`,
		`{"{0} cases": {"one": "{0} dossier", "other": "{0} dossiers"}}`,
		`{"{0} cases": {"one": "a", "few": "b", "many": "c", "other": "d"}}`,
		`{"a": {"one": "b"}}`, `{"a": null}`, `{"a": "b", "a": "c"}`, `{"a": {"other": {"x": 1}}}`, `[]`, ``,
	} {
		for _, lang := range []string{"fr", "ru", "ar", "zh"} {
			f.Add(lang, s)
		}
	}
	f.Fuzz(func(t *testing.T, lang, src string) {
		c, err := Parse(lang, []byte(src))
		if err != nil {
			return
		}
		want := Categories(lang)
		for k, m := range c {
			if m.Plural() {
				if _, ok := m.Forms[Other]; !ok || len(m.Forms) != len(want) {
					t.Fatalf("%q: forms %v accepted for %s (%v)", k, m.Forms, lang, want)
				}
			}
			for _, n := range []int{0, 1, 2, 3, 11, 21, 100} {
				got := m.Pick(lang, n)
				if m.Plural() {
					forms := make([]string, 0, len(m.Forms))
					for _, v := range m.Forms {
						forms = append(forms, v)
					}
					if !slices.Contains(forms, got) {
						t.Fatalf("%q, %d: picked %q, not one of its forms", k, n, got)
					}
				} else if got != m.Text {
					t.Fatalf("%q: plain message picked %q", k, got)
				}
			}
		}
	})
}
