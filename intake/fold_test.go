package intake

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldKeyMatchesEncodingJSON: for every rune with case, foldKey puts
// it with exactly the keys encoding/json would match to the same field:
// every member of its case-folding orbit folds alike, and a key of that
// rune fills a field whose name is foldKey's representative.
func TestFoldKeyMatchesEncodingJSON(t *testing.T) {
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || unicode.SimpleFold(r) == r {
			continue
		}
		rep := foldKey(string(r))
		for s := unicode.SimpleFold(r); s != r; s = unicode.SimpleFold(s) {
			if got := foldKey(string(s)); got != rep {
				t.Fatalf("foldKey(%q) = %q but foldKey(%q) = %q", r, rep, s, got)
			}
		}
		if f, _ := utf8.DecodeRuneInString(rep); !unicode.IsLetter(f) {
			continue // not a valid field name (a combining mark): encoding/json ignores such a tag
		}
		typ := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:"` + rep + `"`)}})
		v := reflect.New(typ)
		key, _ := json.Marshal(string(r))
		if err := json.Unmarshal([]byte(`{`+string(key)+`:1}`), v.Interface()); err != nil || v.Elem().Field(0).Int() != 1 {
			t.Fatalf("encoding/json does not match key %q to a field named %q (foldKey's representative)", r, rep)
		}
	}
	if foldKey("cooperation") != foldKey("Cooperation") || foldKey("body") != foldKey("BODY") || foldKey("kind") != foldKey("\u212aind") {
		t.Error("the review's keys do not fold alike")
	}
	if foldKey("\u0130d") == foldKey("id") {
		t.Error("U+0130 folds with i, which encoding/json keeps apart")
	}
	if foldKey("body") != "body" {
		t.Error("a lower-case ASCII key is not returned as it is")
	}
}
