package envelope_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/envelope"
)

func TestOpenNote(t *testing.T) {
	bound, err := envelope.SealNote("reply", "ABCD-EFGH", "omar", "We raised it.\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.SealNote("report", "ABCD-EFGH", "omar", "x"); err == nil {
		t.Error("SealNote accepted the kind report")
	}
	for _, tt := range []struct {
		name, plain, kind, ref string
		want                   envelope.NoteBinding
		text                   string
	}{
		{"bound", string(bound), "reply", "ABCD-EFGH", envelope.NoteBound, "We raised it.\n"},
		{"another case", string(bound), "reply", "WXYZ-EFGH", envelope.NoteForeign, ""},
		{"another kind", string(bound), "note", "ABCD-EFGH", envelope.NoteForeign, ""},
		{"no reference asked", string(bound), "reply", "", envelope.NoteForeign, ""},
		{"older plain text", "Called the family.\n", "note", "ABCD-EFGH", envelope.NoteUnbound, "Called the family.\n"},
		{"a report", `{"version":1,"kind":"report","reference":"ABCD-EFGH"}`, "note", "ABCD-EFGH", envelope.NoteForeign, ""},
		{"a follow-up", `{"version":1,"kind":"followup","reference":"ABCD-EFGH","text":"x"}`, "reply", "ABCD-EFGH", envelope.NoteForeign, ""},
		{"other version", `{"version":2,"kind":"reply","reference":"ABCD-EFGH","text":"x"}`, "reply", "ABCD-EFGH", envelope.NoteForeign, ""},
		{"a manifest", `{"version":1,"kind":"attachment","reference":"ABCD-EFGH","key":"AGE-SECRET-KEY-1"}`, "note", "ABCD-EFGH", envelope.NoteForeign, ""},
		{"broken JSON is text", `{"kind":`, "note", "ABCD-EFGH", envelope.NoteUnbound, `{"kind":`},
		{"empty", "", "note", "ABCD-EFGH", envelope.NoteUnbound, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, got := envelope.OpenNote([]byte(tt.plain), tt.kind, tt.ref)
			if got != tt.want || env.Text != tt.text {
				t.Errorf("OpenNote = %v %q, want %v %q", got, env.Text, tt.want, tt.text)
			}
		})
	}
}

// FuzzOpenNote: whatever a server lists as a note, OpenNote never panics,
// calls bound only an envelope of the kind and reference asked for, and
// returns no text for a foreign one.
func FuzzOpenNote(f *testing.F) {
	bound, _ := envelope.SealNote("note", "ABCD-EFGH", "omar", "text")
	for _, s := range []string{string(bound), "plain", `{}`, `{"version":1,"kind":"note","reference":"ABCD-EFGH","text":"x"}`,
		`{"version":1,"kind":"note","reference":"ABCD-EFGH","kind":"reply"}`, "{\"text\":\"\xff\"}", strings.Repeat("{", 100), " {} "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, got := envelope.OpenNote(b, "note", "ABCD-EFGH")
		switch got {
		case envelope.NoteBound:
			if env.Kind != "note" || env.Reference != "ABCD-EFGH" || env.Version != envelope.Version || !utf8.ValidString(env.Text) {
				t.Fatalf("bound but %+v", env)
			}
		case envelope.NoteForeign:
			if env != (envelope.Note{}) {
				t.Fatalf("foreign but text returned: %+v", env)
			}
		case envelope.NoteUnbound:
			if env.Text != string(b) {
				t.Fatal("unbound text changed")
			}
		}
	})
}
