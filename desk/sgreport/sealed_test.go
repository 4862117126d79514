package sgreport_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
)

// annexOf names the annex each case of cases is in for p: "I", "II" or
// "" (neither), by every reference of its group.
func annexOf(cases []sgreport.Case, p sgreport.Period) map[string]string {
	out := map[string]string{}
	d := sgreport.Annexes(cases, p, "en")
	for annex, secs := range map[string][]sgreport.Section{"I": d.New, "II": d.FollowUp} {
		for _, s := range secs {
			for _, e := range s.Entries {
				for _, ref := range e.Sources {
					out[ref] = annex
				}
			}
		}
	}
	return out
}

func pub(date string) sgreport.Entry {
	return sgreport.Entry{Entry: envelope.Entry{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I", Date: date}}}
}

// TestPublishedDates: the annexes read a publication's sealed date
// (earlier report or the one being drafted), and an undated one (sealed
// before publications carried a date) counts, as documented, as
// published just before the period: its follow-up is what is dated in
// the period.
func TestPublishedDates(t *testing.T) {
	t.Parallel()
	p := sgreport.AnnualPeriod(2026) // 2025-05-01 to 2026-04-30
	with := func(ref, received string, entries ...sgreport.Entry) sgreport.Case {
		return acase(ref, received, "EG", "named", func(c *sgreport.Case) { c.Entries = entries })
	}
	cases := []sgreport.Case{
		// Dated in an earlier report, an action since: Annex II.
		with("AAAA-2222", "2024-06-01", pub("2025-09-10"), action("2025-10-01", "A")),
		// Dated in an earlier report, the action before it: neither.
		with("BBBB-2222", "2024-06-01", action("2025-08-01", "B"), pub("2025-09-10")),
		// Dated after the period (the report being drafted): Annex I.
		with("CCCC-2222", "2025-06-01", pub("2026-09-10"), action("2025-10-01", "C")),
		// Undated: an earlier report; an action dated in the period is
		// its follow-up, one dated before the period is not.
		with("DDDD-2222", "2024-06-01", pub(""), action("2025-06-01", "D")),
		with("EEEE-2222", "2024-06-01", pub(""), action("2025-04-30", "E")),
		// Undated and received in the period: an earlier report all the
		// same, so never Annex I.
		with("FFFF-2222", "2025-06-01", pub(""), action("2025-07-01", "F")),
		with("GGGG-2222", "2025-06-01", pub("")),
		// An undated and a dated publication: the dated one is the last.
		with("HHHH-2222", "2024-06-01", pub(""), pub("2025-12-01"), action("2025-11-01", "H")),
	}
	want := map[string]string{"AAAA-2222": "II", "CCCC-2222": "I", "DDDD-2222": "II", "FFFF-2222": "II"}
	got := annexOf(cases, p)
	for _, c := range cases {
		if got[c.Reference] != want[c.Reference] {
			t.Errorf("%s in annex %q, want %q", c.Reference, got[c.Reference], want[c.Reference])
		}
	}
	r := sgreport.Compute(cases, p)
	if r.Counts.New != 1 || r.Counts.FollowUp != 3 {
		t.Errorf("new %d, follow-up %d; want 1, 3", r.Counts.New, r.Counts.FollowUp)
	}
	if d, ok := sgreport.PublishedOn(envelope.Published{}, p); !ok || !d.Equal(time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("an undated publication counts as of %v", d)
	}
}

// TestUnlink: a link's undoing sealed later (on either case) separates
// the cases in the figures and the annexes, whatever order the server
// lists the notes in; a link sealed again after the undoing joins them
// again; an undone duplicate link counts the case again.
func TestUnlink(t *testing.T) {
	t.Parallel()
	p := sgreport.AnnualPeriod(2026)
	at := func(s string) time.Time { return time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC).Add(mustDuration(t, s)) }
	l := func(kind, other string, undo bool, when string) sgreport.Entry {
		var a time.Time
		if when != "" {
			a = at(when)
		}
		return sgreport.Entry{Entry: envelope.Entry{Link: &envelope.Link{Kind: kind, Other: other, Undo: undo, At: a}}}
	}
	same := envelope.LinkSame
	for _, tt := range []struct {
		name    string
		a, b    []sgreport.Entry // AAAA-2222's and BBBB-2222's entries
		groups  int              // groups of the two cases (0 when a duplicate is left out)
		sources int              // the largest group's sources
	}{
		{"linked", []sgreport.Entry{l(same, "BBBB-2222", false, "1h")}, nil, 1, 2},
		{"linked before links had a time", []sgreport.Entry{l(same, "BBBB-2222", false, "")}, nil, 1, 2},
		{"undone on the same case", []sgreport.Entry{l(same, "BBBB-2222", false, "1h"), l(same, "BBBB-2222", true, "2h")}, nil, 2, 1},
		{"undone, listed first", []sgreport.Entry{l(same, "BBBB-2222", true, "2h"), l(same, "BBBB-2222", false, "1h")}, nil, 2, 1},
		{"undone on the other case", []sgreport.Entry{l(same, "BBBB-2222", false, "1h")}, []sgreport.Entry{l(same, "AAAA-2222", false, "1h"), l(same, "AAAA-2222", true, "2h")}, 2, 1},
		{"undone, an untimed link", []sgreport.Entry{l(same, "BBBB-2222", false, "")}, []sgreport.Entry{l(same, "AAAA-2222", true, "2h")}, 2, 1},
		{"linked again", []sgreport.Entry{l(same, "BBBB-2222", false, "1h"), l(same, "BBBB-2222", true, "2h")}, []sgreport.Entry{l(same, "AAAA-2222", false, "3h")}, 1, 2},
		{"linked again, listed first", []sgreport.Entry{l(same, "BBBB-2222", false, "3h"), l(same, "BBBB-2222", true, "2h"), l(same, "BBBB-2222", false, "1h")}, nil, 1, 2},
		{"duplicate", []sgreport.Entry{l(envelope.LinkDuplicate, "BBBB-2222", false, "1h")}, nil, 1, 1},
		{"duplicate undone", []sgreport.Entry{l(envelope.LinkDuplicate, "BBBB-2222", false, "1h"), l(envelope.LinkDuplicate, "BBBB-2222", true, "2h")}, nil, 2, 1},
		// An undoing of a duplicate link sealed on the original says
		// nothing about the duplicate.
		{"duplicate undone from the wrong side", []sgreport.Entry{l(envelope.LinkDuplicate, "BBBB-2222", false, "1h")}, []sgreport.Entry{l(envelope.LinkDuplicate, "AAAA-2222", true, "2h")}, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cases := []sgreport.Case{
				acase("AAAA-2222", "2025-06-01", "EG", "anonymous", func(c *sgreport.Case) { c.Entries = tt.a }),
				acase("BBBB-2222", "2025-06-02", "EG", "anonymous", func(c *sgreport.Case) { c.Entries = tt.b }),
			}
			g := sgreport.Groups(cases)
			most := 0
			for _, x := range g {
				most = max(most, x.Sources())
			}
			if len(g) != tt.groups || most != tt.sources {
				t.Fatalf("%d groups, at most %d sources; want %d, %d", len(g), most, tt.groups, tt.sources)
			}
			r := sgreport.Compute(cases, p)
			if r.Counts.Cases != tt.groups {
				t.Errorf("counted %d cases, want %d", r.Counts.Cases, tt.groups)
			}
			var entries int
			for _, s := range sgreport.Annexes(cases, p, "en").New {
				entries += len(s.Entries)
			}
			if entries != tt.groups {
				t.Errorf("%d annex entries, want %d", entries, tt.groups)
			}
		})
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestUNDocumentInAnnexes: the reporter's answer whether the act was
// already referred to in an official UN document is in the annex entry
// and the CSV as far as consent allows: the answer from anonymous up, the
// symbol (typed by the reporter) for named cases only, nothing for a
// case that did not answer.
func TestUNDocumentInAnnexes(t *testing.T) {
	t.Parallel()
	p := sgreport.AnnualPeriod(2026)
	withDoc := func(ref, publication, answer, symbol string) sgreport.Case {
		return acase(ref, "2025-06-01", "EG", publication, func(c *sgreport.Case) {
			c.Report.StepsTaken.UNDocument, c.Report.StepsTaken.UNDocumentSymbol = answer, symbol
		})
	}
	cases := []sgreport.Case{
		withDoc("NAME-2222", "named", "yes", "A/HRC/57/30"),
		withDoc("ANON-2222", "anonymous", "yes", "A/HRC/ZZSECRET/1"),
		withDoc("NONE-2222", "named", "", ""),
		withDoc("PATT-2222", "pattern_only", "yes", "A/HRC/ZZPATTERN/1"),
	}
	lines := map[string]string{}
	for _, st := range sgreport.Annexes(cases, p, "en").Word(words{}).Annexes[0].States {
		for _, e := range st.Entries {
			for _, l := range e.Lines {
				if l.Label == "Already referred to in an official UN document (the reporter's word)" {
					lines[e.Heading] = l.Value
				}
			}
		}
	}
	want := map[string]string{"Case NAME-2222": "yes_no_unsure:yes (A/HRC/57/30)", "Case ANON-2222": "yes_no_unsure:yes"}
	if len(lines) != len(want) {
		t.Errorf("UN document lines %v, want %v", lines, want)
	}
	for h, v := range want {
		if lines[h] != v {
			t.Errorf("%s: UN document %q, want %q", h, lines[h], v)
		}
	}
	var csv bytes.Buffer
	if err := sgreport.WriteCSV(&csv, sgreport.Compute(cases, p), "en"); err != nil {
		t.Fatal(err)
	}
	out := csv.String()
	for _, never := range []string{"ZZSECRET", "ZZPATTERN"} {
		if strings.Contains(out, never) {
			t.Errorf("the CSV holds a symbol its consent level does not allow (%s):\n%s", never, out)
		}
	}
	for _, row := range []string{"NAME-2222,", "ANON-2222,"} {
		i := strings.Index(out, row)
		if i < 0 || !strings.Contains(strings.SplitN(out[i:], "\n", 2)[0], ",yes,") {
			t.Errorf("the CSV row %s lacks the answer:\n%s", row, out)
		}
	}
	if !strings.Contains(out, ",yes,A/HRC/57/30\n") {
		t.Errorf("the named row lacks the symbol:\n%s", out)
	}
}
