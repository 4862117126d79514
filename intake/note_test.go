package intake_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/intake"
)

func TestOpenNote(t *testing.T) {
	bound, err := intake.SealNote("reply", "ABCD-EFGH", "omar", "We raised it.\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := intake.SealNote("report", "ABCD-EFGH", "omar", "x"); err == nil {
		t.Error("SealNote accepted the kind report")
	}
	for _, tt := range []struct {
		name, plain, kind, ref string
		want                   intake.NoteBinding
		text                   string
	}{
		{"bound", string(bound), "reply", "ABCD-EFGH", intake.NoteBound, "We raised it.\n"},
		{"another case", string(bound), "reply", "WXYZ-EFGH", intake.NoteForeign, ""},
		{"another kind", string(bound), "note", "ABCD-EFGH", intake.NoteForeign, ""},
		{"no reference asked", string(bound), "reply", "", intake.NoteForeign, ""},
		{"older plain text", "Called the family.\n", "note", "ABCD-EFGH", intake.NoteUnbound, "Called the family.\n"},
		{"a report", `{"version":1,"kind":"report","reference":"ABCD-EFGH"}`, "note", "ABCD-EFGH", intake.NoteForeign, ""},
		{"a follow-up", `{"version":1,"kind":"followup","reference":"ABCD-EFGH","text":"x"}`, "reply", "ABCD-EFGH", intake.NoteForeign, ""},
		{"other version", `{"version":2,"kind":"reply","reference":"ABCD-EFGH","text":"x"}`, "reply", "ABCD-EFGH", intake.NoteForeign, ""},
		{"a manifest", `{"version":1,"kind":"attachment","reference":"ABCD-EFGH","key":"AGE-SECRET-KEY-1"}`, "note", "ABCD-EFGH", intake.NoteForeign, ""},
		{"broken JSON is text", `{"kind":`, "note", "ABCD-EFGH", intake.NoteUnbound, `{"kind":`},
		{"empty", "", "note", "ABCD-EFGH", intake.NoteUnbound, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, got := intake.OpenNote([]byte(tt.plain), tt.kind, tt.ref)
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
	bound, _ := intake.SealNote("note", "ABCD-EFGH", "omar", "text")
	for _, s := range []string{string(bound), "plain", `{}`, `{"version":1,"kind":"note","reference":"ABCD-EFGH","text":"x"}`,
		`{"version":1,"kind":"note","reference":"ABCD-EFGH","kind":"reply"}`, "{\"text\":\"\xff\"}", strings.Repeat("{", 100), " {} "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, got := intake.OpenNote(b, "note", "ABCD-EFGH")
		switch got {
		case intake.NoteBound:
			if env.Kind != "note" || env.Reference != "ABCD-EFGH" || env.Version != intake.EnvelopeVersion || !utf8.ValidString(env.Text) {
				t.Fatalf("bound but %+v", env)
			}
		case intake.NoteForeign:
			if env != (intake.NoteEnvelope{}) {
				t.Fatalf("foreign but text returned: %+v", env)
			}
		case intake.NoteUnbound:
			if env.Text != string(b) {
				t.Fatal("unbound text changed")
			}
		}
	})
}
