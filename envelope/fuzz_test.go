package envelope_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ohchr-reprisals/intake/envelope"
)

// FuzzCheck feeds decrypted plaintexts (what a hostile server can have
// sealed to a handler) to the one check of every kind: it never panics,
// and whatever it accepts is a record of the kind and case asked for.
func FuzzCheck(f *testing.F) {
	kinds := []string{envelope.KindReport, envelope.KindFollowUp, envelope.KindNote, envelope.KindReply, envelope.KindAttachment}
	for _, s := range []string{
		`{"version":1,"kind":"report","reference":"7KQ4-M2XD","report":{"language":"en"}}`,
		`{"version":1,"kind":"followup","reference":"7KQ4-M2XD","text":"x"}`,
		`{"version":1,"kind":"note","reference":"7KQ4-M2XD","author":"omar","text":"x"}`,
		`{"version":1,"kind":"reply","reference":"7KQ4-M2XD","text":"x"}`,
		`{"version":1,"kind":"attachment","reference":"7KQ4-M2XD","size":1,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","key":"AGE-SECRET-KEY-1LZU4UCT0V035QQF5TQW847J79DWE9U56SR5E8NDJCDR9EGR2TJNSAUED0W"}`,
		`{"version":2,"kind":"report","reference":"7KQ4-M2XD"}`,
		`{"version":1,"kind":"report","reference":"7KQ4-M2XD","version":2}`,
		`{"Version":1,"KIND":"report","reference":"7KQ4-M2XD"}`,
		"an older note\n",
		"   ",
		`[1,2]`,
		`{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":5}`,
	} {
		for i := range kinds {
			f.Add([]byte(s), uint8(i), "7KQ4-M2XD", i%2 == 0)
		}
	}
	f.Fuzz(func(t *testing.T, plain []byte, k uint8, ref string, unbound bool) {
		kind := kinds[int(k)%len(kinds)]
		err := envelope.Check(plain, kind, ref, unbound)
		if err != nil {
			if !errors.Is(err, envelope.ErrForeign) && !errors.Is(err, envelope.ErrBroken) {
				t.Fatalf("Check: an error that is neither foreign nor broken: %v", err)
			}
			return
		}
		if ref == "" {
			t.Fatal("accepted a record for no case")
		}
		if kind == envelope.KindNote && unbound {
			if _, b := envelope.OpenNote(plain, kind, ref); b == envelope.NoteUnbound {
				return
			}
		}
		var h struct {
			Version   int    `json:"version"`
			Kind      string `json:"kind"`
			Reference string `json:"reference"`
		}
		if json.Unmarshal(plain, &h) != nil || h.Version != envelope.Version || h.Kind != kind || h.Reference != ref {
			t.Fatalf("accepted %q as the %s of %s", plain, kind, ref)
		}
	})
}
