package console

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"testing"
)

var dumpKeys = flag.Bool("dump-keys", false, "print every translatable string as a JSON object, for translators")

var placeholder = regexp.MustCompile(`\{\d+\}`)

// TestMessages fails when a string of the console lacks its French or its
// Spanish, when a translation is no longer used, or when a {0}
// placeholder is lost.
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
		out := map[string]map[string]string{}
		for k := range keys {
			out[k] = map[string]string{}
			for _, l := range languages[1:] {
				out[k][l.Tag] = cat[l.Tag][k]
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
	for _, l := range languages[1:] {
		var missing, unused []string
		for k := range keys {
			if cat[l.Tag][k] == "" {
				missing = append(missing, k)
			}
		}
		for k, v := range cat[l.Tag] {
			if !keys[k] {
				unused = append(unused, k)
				continue
			}
			want, got := placeholder.FindAllString(k, -1), placeholder.FindAllString(v, -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s: %q has placeholders %v, its translation %v", l.Tag, k, want, got)
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
