package console

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

// FuzzDownloadName: whatever name a reporter gives a file, the download's
// name is a non-empty base name of at most 120 bytes, valid UTF-8, with no
// directory, control, bidirectional or quoting character.
func FuzzDownloadName(f *testing.F) {
	for _, s := range []string{"photo.jpg", "../../etc/passwd", `C:\Users\x\evil.exe`, "photo\u202egpj.exe", "a\x00b", "\"q\".txt",
		"", ".", "..", strings.Repeat("é", 200), "\xff\xfe", "name\nwith\nlines.pdf", " spaced .doc "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := downloadName(name)
		if got == "" || len(got) > 120 || !utf8.ValidString(got) {
			t.Fatalf("downloadName(%q) = %q", name, got)
		}
		if strings.ContainsAny(got, "/\\\":*?<>|") || handlerapi.Safe(got) != got || got == "." || got == ".." {
			t.Fatalf("downloadName(%q) = %q keeps a dangerous character", name, got)
		}
	})
}

// FuzzParseFilter: any query gives a filter whose values are bounded and
// whose sort and page are valid, and which survives a round trip.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "q=kim&state=KP&urgency=U1", "sort=urgency&page=3", "page=-1", "page=99999999999999999999",
		"sort=../../x", "q=" + strings.Repeat("a", 500), "unread=1&assignee=-", "%zz", "junk=similar&q=x", "junk=bogus"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		fl := parseFilter(q)
		for _, v := range []string{fl.Query, fl.State, fl.Urgency, fl.Status, fl.Assignee} {
			if len(v) > maxQuery {
				t.Fatalf("a filter value of %d bytes", len(v))
			}
		}
		if fl.Page < 1 || fl.Page > MaxCases/perPage+1 {
			t.Fatalf("page %d", fl.Page)
		}
		found := false
		for _, s := range sorts {
			found = found || s == fl.Sort
		}
		if !found {
			t.Fatalf("sort %q", fl.Sort)
		}
		again, err := url.ParseQuery(strings.TrimPrefix(strings.TrimPrefix(fl.query(fl.Page), "/"), "?"))
		if err != nil {
			t.Fatal(err)
		}
		if back := parseFilter(again); back != fl && utf8.ValidString(fl.Query) {
			t.Fatalf("round trip: %+v became %+v", fl, back)
		}
	})
}

// FuzzTemplatesFile: a templates file (which a team shares, so it is
// untrusted) either loads with every template valid, or is refused.
func FuzzTemplatesFile(f *testing.F) {
	for _, s := range []string{`[]`, `[{"id":"a","title":"T","language":"fr","text":"Bonjour"}]`,
		`[{"id":"A B","title":"T","language":"fr","text":"x"}]`, `[{"id":"a","title":"","language":"xx","text":""}]`,
		`{"id":"a"}`, `[` + strings.Repeat(`{"id":"a","title":"T","language":"en","text":"x"},`, 3) + `{}]`, "\x00", ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "templates.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		tpl, err := LoadTemplates(path)
		if err != nil {
			return
		}
		for _, rt := range tpl.List() {
			if err := rt.check(); err != nil {
				t.Fatalf("loaded an invalid template %+v: %v", rt, err)
			}
		}
	})
}
