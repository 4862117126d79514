package console

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"slices"
	"testing"

	"github.com/ohchr-reprisals/intake/internal/plural"
)

var dumpKeys = flag.Bool("dump-keys", false, "print every translatable string as a JSON object, for translators")

// TestMessages fails when a string of the console lacks its French or its
// Spanish, when a translation (or an English plural form) is no longer
// used, or when a {0} placeholder is lost. A message may be a plain
// string or plural forms (loadCatalog checks their categories).
func TestMessages(t *testing.T) {
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal("no templates", err)
	}
	src := map[string]string{}
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		src[f] = string(b)
	}
	keys := translatable(src)
	if *dumpKeys {
		cat, _ := loadCatalog()
		out := map[string]map[string]plural.Message{}
		for k := range keys {
			out[k] = map[string]plural.Message{}
			for _, l := range languages {
				if m, ok := cat[l.Tag][k]; ok {
					out[k][l.Tag] = m
				}
			}
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Println(string(b))
		return
	}
	if len(keys) < 150 {
		t.Fatalf("only %d translatable strings found: the patterns are broken", len(keys))
	}
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, l := range languages {
		tags = append(tags, l.Tag)
	}
	if want := []string{"en", "fr", "es"}; !slices.Equal(tags, want) {
		t.Fatalf("console languages %v, want %v", tags, want)
	}
	// English holds only plural forms, keyed by their "other" form.
	for k, m := range cat["en"] {
		if !keys[k] {
			t.Errorf("en: plural forms of %q, which no page uses", k)
		}
		if !m.Plural() || m.Forms[plural.Other] != k {
			t.Errorf("en: %q is not a plural message whose \"other\" form is its key", k)
		}
		if err := plural.Check("en", k, m); err != nil {
			t.Error(err)
		}
		for _, l := range languages[1:] {
			if tr := cat[l.Tag][k]; l.Tag != "en" && !tr.Empty() && !tr.Plural() {
				t.Errorf("%s: %q has plural forms in English but a plain string in %s", l.Tag, k, l.Tag)
			}
		}
	}
	for _, l := range languages[1:] {
		var missing, unused []string
		for k := range keys {
			if cat[l.Tag][k].Empty() {
				missing = append(missing, k)
			}
		}
		for k, m := range cat[l.Tag] {
			if !keys[k] {
				unused = append(unused, k)
				continue
			}
			if err := plural.Check(l.Tag, k, m); err != nil {
				t.Error(err)
			}
		}
		slices.Sort(missing)
		slices.Sort(unused)
		if len(missing) > 0 {
			t.Errorf("%s: %d strings not translated, such as %q", l.Tag, len(missing), missing[:min(5, len(missing))])
		}
		if len(unused) > 0 {
			t.Errorf("%s: %d translations of strings no page uses, such as %q", l.Tag, len(unused), unused[:min(5, len(unused))])
		}
	}
}

// TestPluralCategories: every plural message of every catalogue of the
// console has exactly the CLDR categories its language uses (x/text's
// rules): no form missing, none extra; and the catalogues hold some.
func TestPluralCategories(t *testing.T) {
	t.Parallel()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range plural.Book(cat).FormErrors() {
		t.Error(err)
	}
}
