package intake

import (
	"errors"
	"testing"
	"time"
)

func TestNormalizeMonthDate(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"2026-03", "2026-03"},
		{" 2026-03-05 ", "2026-03-05"},
		{"2026/03", "2026-03"},
		{"2026.3", "2026-03"},
		{"03/2026", "2026-03"},
		{"3-2026", "2026-03"},
		{"٢٠٢٦-٠٣", "2026-03"}, // Arabic-Indic
		{"٢٠٢٦/٠٣", "2026-03"}, // Arabic-Indic, slash
		{"۰۳/۲۰۲۶", "2026-03"}, // Extended Arabic-Indic (Persian, Urdu)
		{"२०२६-०३", "2026-03"}, // Devanagari
		{"２０２６－03", "２０２６－03"}, // a full-width hyphen is not a separator
		{"２０２６/03", "2026-03"}, // full-width digits
		{"𝟐𝟎𝟐𝟔-𝟎𝟑", "2026-03"}, // mathematical digits, runs that follow one another
		{"25/03/2026", "2026-03-25"},
		{"03/25/2026", "2026-03-25"},
		{"05/03/2026", "05/03/2026"}, // day or month first: left for the validator
		{"2026-13", "2026-13"},
		{"March 2026", "March 2026"},
		{"", ""},
		{"2026--03", "2026--03"},
		{"/2026", "/2026"},
		{"12345-01", "12345-01"},
	} {
		if got := NormalizeMonthDate(tt.in); got != tt.want {
			t.Errorf("NormalizeMonthDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzNormalizeMonthDate: whatever comes in, the result is either what
// came in (trimmed) or a well-formed date, and normalising is idempotent.
func FuzzNormalizeMonthDate(f *testing.F) {
	for _, s := range []string{"2026-03", "٢٠٢٦/٠٣", "03/2026", "25/03/2026", "𝟐𝟎𝟐𝟔-𝟎𝟑", "x", "9999-99-99", "\u060d"} {
		f.Add(s)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeMonthDate(s)
		if got != NormalizeMonthDate(got) {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, NormalizeMonthDate(got))
		}
		if monthDate.MatchString(got) {
			validMonthDate(got, now) // must not panic
		}
		if len(got) > len(s) && !monthDate.MatchString(got) {
			t.Fatalf("%q grew into %q", s, got)
		}
	})
}

// TestValidateNormalisesDates: the validator accepts dates as people type
// them and keeps them as YYYY-MM.
func TestValidateNormalisesDates(t *testing.T) {
	v := NewValidator(func() time.Time { return time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC) })
	for in, want := range map[string]string{"٢٠٢٦/٠٣": "2026-03", "03/2026": "2026-03", "2026.3": "2026-03", "25/03/2026": "2026-03-25"} {
		r := &Report{Incidents: []Incident{{Date: in}}}
		err := v.Validate(r)
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				if f.Path == "incidents[0].date" {
					t.Errorf("%q refused: %s", in, f.Message)
				}
			}
		}
		if r.Incidents[0].Date != want {
			t.Errorf("%q kept as %q, want %q", in, r.Incidents[0].Date, want)
		}
	}
}
