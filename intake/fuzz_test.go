package intake_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// FuzzDecodeJSON: any body either decodes to a report whose every string
// is UTF-8 text without NUL (nothing silently changed), or fails with a
// *DecodeError written for the client. Never a panic.
func FuzzDecodeJSON(f *testing.F) {
	good, _ := json.Marshal(intaketest.Report("upr"))
	for _, s := range []string{
		string(good), `{}`, `[]`, `null`, `{"language":"en","language":"fr"}`,
		`{"cooperation":{"body":"upr"},"cooperation":{"body":"other"}}`, `{"victims":[{"name":"a","name":"b"}]}`,
		`{"cooperation":{"body":"upr"},"Cooperation":{"body":"hrc_session"}}`, `{"cooperation":{"body":"upr","BODY":"hrc_session"}}`,
		"{\"\u212aind\":1}", `{"LANGUAGE":"en"}`,
		"{\"language\":\"\xff\xfe\"}", `{"language":"\u0000"}`, `{"language":"\ud800"}`, `{"language":"\ud83d\ude00"}`,
		`{"language":"\\u0000"}`, strings.Repeat("[", 40) + strings.Repeat("]", 40), `{} {}`, `{"a":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := intake.DecodeJSON(bytes.NewReader(b))
		if err != nil {
			var de *intake.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if !utf8.Valid(b) || !json.Valid(bytes.TrimSpace(b)) {
			t.Fatalf("accepted a body that is not valid UTF-8 JSON: %q", b)
		}
		if n, m := countKeys(b); n != m {
			t.Fatalf("accepted %q: %d keys, %d distinct without regard to case", b, n, m)
		}
		checkStrings(t, reflect.ValueOf(rep).Elem())
	})
}

func checkStrings(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("decoded a string that was changed or cannot be stored: %q", s)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			checkStrings(t, v.Field(i))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkStrings(t, v.Index(i))
		}
	}
}

// FuzzCheckJSON: the strict check never panics, and a document it passes
// has no object with two keys that encoding/json would put in one field
// (the same key, or the same without regard to case).
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[{"a":1},{"a":2}]}`, `{"a":1,"a":1}`, `[{"x":{"y":1,"y":2}}]`, `{"a":{}, "b":[], "c":{"d":[1,{"e":null}]}}`, `"\\"`, `{"a\u0062":1,"ab":2}`,
		`{"cooperation":{"body":"upr"},"Cooperation":{"body":"hrc_session"}}`, `{"cooperation":{"body":"upr","BODY":"hrc_session"}}`,
		"{\"kind\":1,\"\u212aind\":2}", `[{"a":1},{"A":1}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := intake.CheckJSON(b)
		if err != nil {
			var de *intake.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if !json.Valid(b) {
			return
		}
		if n, m := countKeys(b); n != m {
			t.Fatalf("passed %q: %d keys, %d distinct without regard to case", b, n, m)
		}
	})
}

// countKeys counts the keys of every object in b, as written and as
// distinct without regard to case (strings.EqualFold, which is how
// encoding/json matches a key to a struct field).
func countKeys(b []byte) (written, kept int) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			var seen []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return false
				}
				written++
				if !slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, k.(string)) }) {
					seen = append(seen, k.(string))
				}
				if !walk() {
					return false
				}
			}
			kept += len(seen)
			dec.Token()
		case json.Delim('['):
			for dec.More() {
				if !walk() {
					return false
				}
			}
			dec.Token()
		}
		return true
	}
	walk()
	return written, kept
}

// FuzzDecodeForm: any form body decodes without a panic, within the list
// limits.
func FuzzDecodeForm(f *testing.F) {
	f.Add("victims[0].name=a&incidents[1].types=arrest&incidents[1].types=travel_ban&language=en")
	f.Add("victims[99999999999].name=a&victims[-1].name=b&victims[3]=x&incidents[0].date.x=1")
	f.Add("consent.share_with_ohchr=yes&urgent=on&victims[0].roles=defender&%FF=%00")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		rep := intake.DecodeForm(v)
		if len(rep.Victims) > intake.MaxVictims || len(rep.Incidents) > intake.MaxIncidents {
			t.Fatalf("%d victims, %d incidents from %q", len(rep.Victims), len(rep.Incidents), q)
		}
	})
}
