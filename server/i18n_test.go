package server

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/internal/plural"
	"github.com/ohchr-reprisals/intake/web"
)

var dumpKeys = flag.Bool("dump-keys", false, "print every translatable string as a JSON object, for translators")

// templateString matches a Go template string literal.
const templateString = `"((?:[^"\\]|\\.)*)"`

var keyPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\.(?:T|Tr) ` + templateString),                                // {{.T "..."}}, {{$p.T "..."}}
	regexp.MustCompile(`\$p\.F (?:"[^"]*"|\(printf "[^"]*" \$n\)) ` + templateString), // field labels
	regexp.MustCompile(`WithHint ` + templateString),                                  // field hints
}

// translatable returns every English string the reporter pages can show.
func translatable(t *testing.T) map[string]bool {
	keys := map[string]bool{}
	files, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal("no templates", err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(web.Templates, f)
		for _, re := range keyPatterns {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				s, err := strconv.Unquote(`"` + m[1] + `"`)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if s != "" {
					keys[s] = true
				}
			}
		}
	}
	for name, labels := range choiceLabels {
		if name == "language" {
			continue
		}
		for _, l := range labels {
			keys[l] = true
		}
	}
	for _, s := range reporterStatus {
		keys[s] = true
	}
	for _, s := range orgStatus {
		keys[s] = true
	}
	for _, s := range intake.MessageKeys() {
		keys[s] = true
	}
	for _, s := range goStrings {
		keys[s] = true
	}
	return keys
}

// TestMessages fails when a language lacks a translation, has one (or an
// English plural form) that is no longer used, or loses or invents a {0}
// placeholder. A message may be a plain string or plural forms
// (loadCatalog checks their categories).
func TestMessages(t *testing.T) {
	keys := translatable(t)
	if *dumpKeys {
		out := map[string]string{}
		for k := range keys {
			out[k] = ""
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
		for _, l := range uiLanguages {
			if tr := cat[l.Tag][k]; l.Tag != "en" && !tr.Empty() && !tr.Plural() {
				t.Errorf("%s: %q has plural forms in English but a plain string in %s", l.Tag, k, l.Tag)
			}
		}
	}
	for _, l := range uiLanguages {
		if l.Tag == "en" {
			continue
		}
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
// reporter pages has exactly the CLDR categories its language uses (x/text's
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
