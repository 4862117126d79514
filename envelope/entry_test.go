package envelope_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/envelope"
)

func TestEntryValidate(t *testing.T) {
	action := func(kind, date, symbol, summary string) envelope.Entry {
		return envelope.Entry{Action: &envelope.Action{Kind: kind, Date: date, Symbol: symbol, Summary: summary}}
	}
	response := func(date, stance, summary string) envelope.Entry {
		return envelope.Entry{Response: &envelope.Response{Date: date, Stance: stance, Summary: summary}}
	}
	published := func(report, annex, para string) envelope.Entry {
		return envelope.Entry{Published: &envelope.Published{Report: report, Annex: annex, Paragraph: para, Date: "2025-09-10"}}
	}
	dated := func(date string) envelope.Entry {
		return envelope.Entry{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I", Date: date}}
	}
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	link := func(kind string, undo bool, when time.Time) envelope.Entry {
		return envelope.Entry{Link: &envelope.Link{Kind: kind, Other: "9WXY-3ABC", Undo: undo, At: when}}
	}
	for _, tt := range []struct {
		name  string
		e     envelope.Entry
		field string // "" when valid
	}{
		{"communication", action("communication", "2026-03-14", "AL BLR 1/2026", "Joint allegation letter."), ""},
		{"raised with the State, no symbol", action("raised_with_state", "2026-03-14", "", ""), ""},
		{"summary on lines", action("public_statement", "2026-03-14", "", "Line one.\n\tLine two."), ""},
		{"other needs a summary", action("other", "2026-03-14", "", " "), "action.summary"},
		{"other with a summary", action("other", "2026-03-14", "", "Visit."), ""},
		{"unknown kind", action("letter", "2026-03-14", "", ""), "action.kind"},
		{"no kind", action("", "2026-03-14", "", ""), "action.kind"},
		{"no date", action("referral", "", "", ""), "action.date"},
		{"month only", action("referral", "2026-03", "", ""), "action.date"},
		{"no such day", action("referral", "2026-02-30", "", ""), "action.date"},
		{"time too", action("referral", "2026-02-03T10:00:00Z", "", ""), "action.date"},
		{"before the UN", action("referral", "1900-01-01", "", ""), "action.date"},
		{"symbol too long", action("communication", "2026-03-14", strings.Repeat("A", 101), ""), "action.symbol"},
		{"symbol of 100", action("communication", "2026-03-14", strings.Repeat("é", 100), ""), ""},
		{"newline in a symbol", action("communication", "2026-03-14", "AL\nBLR", ""), "action.symbol"},
		{"escape in a summary", action("communication", "2026-03-14", "", "a\x1b[2Jb"), "action.summary"},
		{"bidi override in a summary", action("communication", "2026-03-14", "", "a\u202eb"), "action.summary"},
		{"C1 in a symbol", action("communication", "2026-03-14", "a\u009bb", ""), "action.symbol"},
		{"carriage return", action("communication", "2026-03-14", "", "a\rb"), "action.summary"},
		{"summary too long", action("communication", "2026-03-14", "", strings.Repeat("x", 2001)), "action.summary"},
		{"not UTF-8", action("communication", "2026-03-14", "", "a\xffb"), "action.summary"},
		{"response", response("2026-04-01", "denies", "The State denies any link."), ""},
		{"response without summary", response("2026-04-01", "investigates", ""), ""},
		{"response stance unknown", response("2026-04-01", "angry", ""), "response.stance"},
		{"response no stance", response("2026-04-01", "", ""), "response.stance"},
		{"response bad date", response("01/04/2026", "other", ""), "response.date"},
		{"published", published("A/HRC/60/62", "I", "12"), ""},
		{"published annex II, no paragraph", published("A/HRC/60/62", "II", ""), ""},
		{"published annex III", published("A/HRC/60/62", "III", ""), "published.annex"},
		{"published no report", published(" ", "I", ""), "published.report"},
		{"published paragraph too long", published("A/HRC/60/62", "I", strings.Repeat("1", 21)), "published.paragraph"},
		{"published, month only", dated("2025-09"), "published.date"},
		{"published, no such day", dated("2025-02-29"), "published.date"},
		{"published before the UN", dated("1900-01-01"), "published.date"},
		{"published with a time", dated("2025-09-10T00:00:00Z"), "published.date"},
		{"link same", link("same", false, at), ""},
		{"link undone", link("same", true, at), ""},
		{"duplicate undone", link("duplicate", true, at), ""},
		{"undone without a time", link("same", true, time.Time{}), "link.at"},
		{"link at a zone's time", link("same", false, at.In(time.FixedZone("X", 3600))), "link.at"},
		{"link in year 1", link("same", false, time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)), "link.at"},
		{"link bad reference", envelope.Entry{Link: &envelope.Link{Kind: "same", Other: "9WXY"}}, "link.other"},
		{"link bad kind", envelope.Entry{Link: &envelope.Link{Kind: "cousin", Other: "9WXY-3ABC"}}, "link.kind"},
		{"none", envelope.Entry{}, "entry"},
		{"two", envelope.Entry{Action: &envelope.Action{Kind: "referral", Date: "2026-01-01"}, Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I"}}, "entry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			var ee *envelope.EntryError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "":
				if _, err := envelope.SealEntry("7KQ4-M2XD", "omar", tt.e); err != nil {
					t.Fatalf("SealEntry: %v", err)
				}
			case !errors.As(err, &ee) || !errors.Is(err, envelope.ErrEntry) || ee.Field != tt.field:
				t.Fatalf("Validate = %v, want an error on %s", err, tt.field)
			default:
				if _, err := envelope.SealEntry("7KQ4-M2XD", "omar", tt.e); !errors.Is(err, envelope.ErrEntry) {
					t.Fatalf("SealEntry sealed an invalid entry: %v", err)
				}
			}
		})
	}
}

// TestEntriesFromBefore: an entry sealed before publications carried a
// date and links a time opens (Validate), and is never sealed again
// without them (ValidateNew, SealEntry: the field named).
func TestEntriesFromBefore(t *testing.T) {
	for _, tt := range []struct {
		name, entry, field string
	}{
		{"undated publication", `{"published":{"report":"A/HRC/60/62","annex":"I"}}`, "published.date"},
		{"untimed link", `{"link":{"kind":"same","other":"9WXY-3ABC"}}`, "link.at"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plain := `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":` + tt.entry + `}`
			n, b := envelope.OpenNote([]byte(plain), "note", "7KQ4-M2XD")
			if b != envelope.NoteBound || n.Entry == nil {
				t.Fatalf("an older entry does not open: %v %+v", b, n)
			}
			var ee *envelope.EntryError
			if err := n.Entry.ValidateNew(); !errors.As(err, &ee) || ee.Field != tt.field || ee.Problem != "required" {
				t.Errorf("ValidateNew = %v, want %s required", err, tt.field)
			}
			if _, err := envelope.SealEntry("7KQ4-M2XD", "omar", *n.Entry); !errors.As(err, &ee) || ee.Field != tt.field {
				t.Errorf("SealEntry = %v, want %s refused", err, tt.field)
			}
		})
	}
}

func TestEntrySealedAsNote(t *testing.T) {
	e := envelope.Entry{Action: &envelope.Action{Kind: "communication", Date: "2026-03-14", Symbol: "AL BLR 1/2026", Summary: "Joint letter."}}
	plain, err := envelope.SealEntry("7KQ4-M2XD", "omar", e)
	if err != nil {
		t.Fatal(err)
	}
	// The server learns nothing new: the record is a team note.
	if err := envelope.Check(plain, envelope.KindNote, "7KQ4-M2XD", false); err != nil {
		t.Fatalf("not a note of the case: %v", err)
	}
	n, b := envelope.OpenNote(plain, "note", "7KQ4-M2XD")
	if b != envelope.NoteBound || n.Entry == nil || *n.Entry.Action != *e.Action {
		t.Fatalf("opened to %v %+v", b, n)
	}
	if want := "UN action: communication by a special procedure, 2026-03-14, AL BLR 1/2026: Joint letter."; n.Text != want {
		t.Errorf("text for older readers %q, want %q", n.Text, want)
	}
	if _, b := envelope.OpenNote(plain, "note", "9WXY-3ABC"); b != envelope.NoteForeign {
		t.Error("an entry of another case opened")
	}
	for _, tt := range []struct{ name, plain, kind string }{
		{"empty entry", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{}}`, "note"},
		{"two members", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"action":{"kind":"referral","date":"2026-01-01"},"response":{"date":"2026-01-01","stance":"denies"}}}`, "note"},
		{"unknown kind", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"action":{"kind":"coffee","date":"2026-01-01"}}}`, "note"},
		{"bad date", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"response":{"date":"2026-13-01","stance":"denies"}}}`, "note"},
		{"bad publication date", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"published":{"report":"A/HRC/60/62","annex":"I","date":"10/09/2025"}}}`, "note"},
		{"undoing without a time", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"link":{"kind":"same","other":"9WXY-3ABC","undo":true}}}`, "note"},
		{"link time not a time", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"link":{"kind":"same","other":"9WXY-3ABC","at":"yesterday"}}}`, "note"},
		{"long field", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":{"published":{"report":"` + strings.Repeat("A", 101) + `","annex":"I"}}}`, "note"},
		{"entry on a reply", `{"version":1,"kind":"reply","reference":"7KQ4-M2XD","text":"x","entry":{"action":{"kind":"referral","date":"2026-01-01"}}}`, "reply"},
		{"entry not an object", `{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":"action"}`, "note"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n, b := envelope.OpenNote([]byte(tt.plain), tt.kind, "7KQ4-M2XD"); b != envelope.NoteForeign || n.Entry != nil || n.Text != "" {
				t.Fatalf("OpenNote = %v %+v, want refused", b, n)
			}
			if err := envelope.Check([]byte(tt.plain), tt.kind, "7KQ4-M2XD", true); !errors.Is(err, envelope.ErrBroken) {
				t.Fatalf("Check = %v, want broken", err)
			}
		})
	}
	// A null entry is a plain note.
	if n, b := envelope.OpenNote([]byte(`{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"x","entry":null}`), "note", "7KQ4-M2XD"); b != envelope.NoteBound || n.Entry != nil {
		t.Fatalf("null entry: %v %+v", b, n)
	}
}

// FuzzEntry: whatever a server seals as a note, OpenNote never panics,
// and an entry it accepts is well formed: exactly one member, a kind it
// knows, dates that are dates, bounded fields without control
// characters; and it seals again to the same entry.
func FuzzEntry(f *testing.F) {
	for _, s := range []string{
		`{"action":{"kind":"communication","date":"2026-03-14","symbol":"AL BLR 1/2026","summary":"x"}}`,
		`{"action":{"kind":"other","date":"2026-03-14"}}`,
		`{"response":{"date":"2026-04-01","stance":"denies","summary":"a\nb"}}`,
		`{"published":{"report":"A/HRC/60/62","annex":"II","paragraph":"3"}}`,
		`{"published":{"report":"A/HRC/60/62","annex":"II","paragraph":"3","date":"2025-09-10"}}`,
		`{"published":{"report":"A/HRC/60/62","annex":"I","date":"2025-02-29"}}`,
		`{"published":{"report":"A/HRC/60/62","annex":"I","date":""}}`,
		`{"link":{"kind":"same","other":"9WXY-3ABC"}}`,
		`{"link":{"kind":"same","other":"9WXY-3ABC","at":"2026-03-14T10:00:00.123456789Z"}}`,
		`{"link":{"kind":"same","other":"9WXY-3ABC","undo":true,"at":"2026-03-14T10:00:00Z"}}`,
		`{"link":{"kind":"duplicate","other":"9WXY-3ABC","undo":true}}`,
		`{"link":{"kind":"same","other":"9WXY-3ABC","at":"2026-03-14T10:00:00+01:00"}}`,
		`{"link":{"kind":"same","other":"9WXY-3ABC","undo":false,"at":"0001-01-01T00:00:00Z"}}`,
		`{}`, `null`, `[]`, `"x"`,
		`{"action":{"kind":"referral","date":"2026-01-01"},"link":{"kind":"same","other":"9WXY-3ABC"}}`,
		`{"action":{"kind":"referral","date":"2026-01-01","summary":"\u001b[2J"}}`,
		`{"action":{"kind":"referral","date":"2026-01-01","summary":"\u202e"}}`,
		`{"response":{"date":"2026-02-29","stance":"denies"}}`,
		`{"action":null,"response":{"date":"2026-01-01","stance":"other"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		plain := []byte(`{"version":1,"kind":"note","reference":"7KQ4-M2XD","text":"t","entry":` + entry + `}`)
		n, b := envelope.OpenNote(plain, "note", "7KQ4-M2XD")
		if b != envelope.NoteBound || n.Entry == nil {
			return
		}
		e := *n.Entry
		if err := e.Validate(); err != nil {
			t.Fatalf("accepted an invalid entry %s: %v", entry, err)
		}
		if e.Member() == "" {
			t.Fatalf("accepted %s with not exactly one member", entry)
		}
		for _, s := range []string{fieldsOf(e)} {
			for _, r := range s {
				if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r == 0x202e {
					t.Fatalf("accepted a control character in %q", s)
				}
			}
		}
		// An entry from before publications carried a date and links a
		// time opens, and seals again only once given one.
		var ee *envelope.EntryError
		if err := e.ValidateNew(); err != nil {
			if !errors.As(err, &ee) || ee.Problem != "required" || (ee.Field != "published.date" && ee.Field != "link.at") {
				t.Fatalf("an accepted entry is refused for sealing: %v", err)
			}
			switch {
			case e.Published != nil:
				p := *e.Published
				p.Date = "2025-09-10"
				e.Published = &p
			case e.Link != nil:
				l := *e.Link
				l.At = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
				e.Link = &l
			}
		}
		again, err := envelope.SealEntry("7KQ4-M2XD", "", e)
		if err != nil {
			t.Fatalf("an accepted entry does not seal again: %v", err)
		}
		m, b := envelope.OpenNote(again, "note", "7KQ4-M2XD")
		x, _ := json.Marshal(e)
		y, _ := json.Marshal(m.Entry)
		if b != envelope.NoteBound || string(x) != string(y) {
			t.Fatalf("sealed again to %s, was %s", y, x)
		}
	})
}

func fieldsOf(e envelope.Entry) string {
	b, _ := json.Marshal(e)
	var v map[string]map[string]string
	json.Unmarshal(b, &v)
	var s strings.Builder
	for _, m := range v {
		for _, f := range m {
			s.WriteString(f)
		}
	}
	return s.String()
}
