package sgreport_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// words is a Words that keeps English and names choices by kind:value.
type words struct{}

func (words) T(s string, args ...any) string {
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}
func (words) L(kind, v string) string { return kind + ":" + v }

func acase(ref, received, state, publication string, edit func(c *sgreport.Case)) sgreport.Case {
	r := intaketest.Report("special_procedures")
	r.StateConcerned = state
	r.Consent.Publication = publication
	c := sgreport.Case{Reference: ref, ReceivedOn: day(received), Status: "sg_report_candidate", Report: *r}
	if edit != nil {
		edit(&c)
	}
	return c
}

func link(other string) sgreport.Entry {
	return sgreport.Entry{Entry: envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: other}}}
}

func action(date, symbol string) sgreport.Entry {
	return sgreport.Entry{Entry: envelope.Entry{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: date, Symbol: symbol, Summary: "ACTSUM"}}}
}

func response(date string) sgreport.Entry {
	return sgreport.Entry{Entry: envelope.Entry{Response: &envelope.Response{Date: date, Stance: envelope.StanceDenies}}}
}

// published is a publication in a report dated on (sealed).
func published(on string) sgreport.Entry {
	return sgreport.Entry{Entry: envelope.Entry{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I", Date: on}}}
}

// annexCases are cases for the annexes of AnnualPeriod(2026), that is
// 2025-05-01 to 2026-04-30; the comments say what each one tests.
func annexCases() []sgreport.Case {
	plant := func(c *sgreport.Case) { intaketest.PlantCanary(&c.Report, canary) }
	return []sgreport.Case{
		// New cases in seven States, whose order differs between English,
		// French (accents: Égypte, États-Unis) and Spanish.
		acase("DEDE-2222", "2025-06-01", "DE", "anonymous", plant),
		acase("EGEG-2222", "2025-06-02", "EG", "anonymous", plant),
		acase("ESES-2222", "2025-06-03", "ES", "anonymous", plant),
		acase("TDTD-2222", "2025-06-04", "TD", "anonymous", plant),
		acase("USUS-2222", "2025-06-05", "US", "anonymous", plant),
		acase("PAPA-2222", "2025-06-06", "PA", "anonymous", plant),
		acase("PEPE-2222", "2025-06-07", "PE", "anonymous", plant),
		// Two sources on the same person, linked from one side only: one
		// entry with two sources, at the more restrictive consent.
		acase("LLLL-2222", "2025-07-01", "BY", "named", func(c *sgreport.Case) {
			plant(c)
			c.Entries = []sgreport.Entry{action("2025-08-01", "AL BLR 1/2025"), response("2025-09-15")}
		}),
		acase("LLLL-3333", "2025-07-09", "BY", "anonymous", func(c *sgreport.Case) {
			plant(c)
			c.Entries = []sgreport.Entry{link("LLLL-2222"), action("2025-10-01", "UA BLR 2/2025")}
		}),
		// Named: its text is shown, hostile as it is.
		acase("NNNN-2222", "2025-08-01", "BY", "named", func(c *sgreport.Case) {
			c.Report.Victims[0].Name = "# Heading\n## injected [click](javascript:alert(1)) <script>x</script> \u202eevil\x1b[31m |a|b| ![i](http://x/i.png) *bold* `code` 1. list"
			c.Report.Incidents[0].Narrative = "First paragraph.\n- not a list\n\n> not a quote\n\n---"
			c.Entries = []sgreport.Entry{action("2025-09-01", "AL BLR 3/2025")}
		}),
		// Pattern only: counted in its State, never described.
		acase("PTPT-2222", "2025-09-01", "BY", "pattern_only", plant),
		// Published in an earlier report (dated before the period's
		// end), with an action before and one after the publication:
		// Annex II, the later action only.
		acase("FFFF-2222", "2024-06-01", "EG", "named", func(c *sgreport.Case) {
			c.Entries = []sgreport.Entry{action("2024-07-01", "AL EGY 1/2024"), published("2025-08-20"), action("2025-11-01", "AL EGY 9/2025"), response("2025-12-01")}
		}),
		// Published earlier, nothing since: in neither annex.
		acase("QQQQ-2222", "2024-06-02", "EG", "named", func(c *sgreport.Case) {
			c.Entries = []sgreport.Entry{action("2024-07-01", "AL EGY 2/2024"), published("2025-08-20")}
		}),
		// Published in the report being drafted (dated after the
		// period's end): still new, in Annex I.
		acase("RRRR-2222", "2025-10-01", "EG", "anonymous", func(c *sgreport.Case) {
			plant(c)
			c.Entries = []sgreport.Entry{published("2026-08-01")}
		}),
		// Not a report, and a duplicate: in no figure, no annex.
		acase("JUNK-2222", "2025-10-02", "DE", "named", func(c *sgreport.Case) { c.Status, c.StatusDetail = "closed", handlerapi.NotAReport; plant(c) }),
		acase("DUPE-2222", "2025-10-03", "DE", "named", func(c *sgreport.Case) { c.Status, c.StatusDetail = "duplicate", "DEDE-2222"; plant(c) }),
		// Consent withdrawn: counted, left out of the annexes.
		acase("WWWW-2222", "2025-10-04", "DE", "named", func(c *sgreport.Case) {
			c.Status, c.StatusDetail = "closed", "consent_withdrawn"
			plant(c)
		}),
		// Received before the period, never published: in neither.
		acase("OOOO-2222", "2025-04-30", "DE", "named", plant),
	}
}

func TestAnnexOrder(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"BY", "TD", "EG", "DE", "PA", "PE", "ES", "US"}},
		{"fr", []string{"DE", "BY", "EG", "ES", "US", "PA", "PE", "TD"}},
		{"es", []string{"DE", "BY", "TD", "EG", "ES", "US", "PA", "PE"}},
		{"xx", []string{"BY", "TD", "EG", "DE", "PA", "PE", "ES", "US"}}, // English
	} {
		d := sgreport.Annexes(annexCases(), sgreport.AnnualPeriod(2026), tt.lang)
		var got []string
		for _, s := range d.New {
			got = append(got, s.State)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Annex I States %v, want %v", tt.lang, got, tt.want)
		}
	}
	d := sgreport.Annexes(annexCases(), sgreport.AnnualPeriod(2026), "fr")
	if d.New[2].Name != "Égypte" {
		t.Errorf("French name %q", d.New[2].Name)
	}
}

func TestAnnexes(t *testing.T) {
	t.Parallel()
	d := sgreport.Annexes(annexCases(), sgreport.AnnualPeriod(2026), "en")
	type got struct {
		State   string
		Refs    [][]string
		Levels  []string
		Pattern int
	}
	summary := func(secs []sgreport.Section) []got {
		var out []got
		for _, s := range secs {
			g := got{State: s.State, Pattern: s.Pattern}
			for _, e := range s.Entries {
				g.Refs = append(g.Refs, e.Sources)
				g.Levels = append(g.Levels, e.Level)
			}
			out = append(out, g)
		}
		return out
	}
	wantNew := []got{
		{"BY", [][]string{{"LLLL-2222", "LLLL-3333"}, {"NNNN-2222"}}, []string{"anonymous", "named"}, 1},
		{"TD", [][]string{{"TDTD-2222"}}, []string{"anonymous"}, 0},
		{"EG", [][]string{{"EGEG-2222"}, {"RRRR-2222"}}, []string{"anonymous", "anonymous"}, 0},
		{"DE", [][]string{{"DEDE-2222"}}, []string{"anonymous"}, 0},
		{"PA", [][]string{{"PAPA-2222"}}, []string{"anonymous"}, 0},
		{"PE", [][]string{{"PEPE-2222"}}, []string{"anonymous"}, 0},
		{"ES", [][]string{{"ESES-2222"}}, []string{"anonymous"}, 0},
		{"US", [][]string{{"USUS-2222"}}, []string{"anonymous"}, 0},
	}
	if diff := cmp.Diff(wantNew, summary(d.New)); diff != "" {
		t.Errorf("Annex I (-want +got):\n%s", diff)
	}
	wantFollow := []got{{"EG", [][]string{{"FFFF-2222"}}, []string{"named"}, 0}}
	if diff := cmp.Diff(wantFollow, summary(d.FollowUp)); diff != "" {
		t.Errorf("Annex II (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sgreport.Tally{"consent_withdrawn": 1}, d.Excluded); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
	// The linked group: both sources' actions, in date order; the
	// follow-up: only what came after the publication.
	by := d.New[0].Entries[0]
	var syms []string
	for _, a := range by.Actions {
		syms = append(syms, a.Symbol)
	}
	if !slices.Equal(syms, []string{"AL BLR 1/2025", "UA BLR 2/2025"}) || len(by.Responses) != 1 {
		t.Errorf("linked group's actions %v, responses %v", syms, by.Responses)
	}
	fu := d.FollowUp[0].Entries[0]
	if len(fu.Actions) != 1 || fu.Actions[0].Symbol != "AL EGY 9/2025" || len(fu.Responses) != 1 || len(fu.Published) != 1 {
		t.Errorf("follow-up entry %+v", fu)
	}

	// Consent: an anonymous entry holds only the columns its level
	// allows, and no free text at all (the canary planted in every text
	// field is absent, summaries of actions included).
	_, levels := sgreport.Columns()
	for _, s := range d.New {
		for _, e := range s.Entries {
			for col := range e.Fields {
				if !slices.Contains(levels[col], e.Level) {
					t.Errorf("%s (%s) shows column %s", e.Reference, e.Level, col)
				}
			}
		}
	}
	var md bytes.Buffer
	if err := sgreport.WriteMarkdown(&md, d.Word(words{})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), canary) {
		t.Errorf("the Markdown holds text no consent level allows:\n%s", md.String())
	}
	doc := d.Word(words{})
	if by := doc.Annexes[0].States[0].Entries[0]; strings.Contains(fmt.Sprint(by), "ACTSUM") {
		t.Errorf("an anonymous entry shows an action's summary: %v", by)
	}
	if fu := doc.Annexes[1].States[0].Entries[0]; !strings.Contains(fmt.Sprint(fu), "ACTSUM") {
		t.Errorf("a named entry does not show its action's summary: %v", fu)
	}
	for _, ref := range []string{"JUNK-2222", "DUPE-2222", "WWWW-2222", "OOOO-2222", "QQQQ-2222", "PTPT-2222", "LLLL-3333 ", "AL EGY 1/2024"} {
		if strings.Contains(md.String(), strings.ReplaceAll(ref, "/", `\/`)) && !strings.HasPrefix(ref, "LLLL") {
			t.Errorf("the Markdown names %s", ref)
		}
	}
	if !strings.Contains(md.String(), "Cases to be mentioned only as part of a pattern: 1") {
		t.Errorf("no pattern line:\n%s", md.String())
	}
}

// TestCountsWithLinks checks that a group of linked cases counts once,
// with its sources, and new against follow-up; not-a-report cases count
// nowhere.
func TestCountsWithLinks(t *testing.T) {
	t.Parallel()
	r := sgreport.Compute(annexCases(), sgreport.AnnualPeriod(2026))
	// In the period: 7 + the linked pair (1) + NNNN + PTPT + RRRR + WWWW.
	if r.Counts.Cases != 12 {
		t.Errorf("cases %d, want 12", r.Counts.Cases)
	}
	if diff := cmp.Diff(sgreport.Tally{"1": 11, "2": 1}, r.Counts.BySources); diff != "" {
		t.Errorf("by sources (-want +got):\n%s", diff)
	}
	if r.Counts.New != 12 || r.Counts.FollowUp != 1 {
		t.Errorf("new %d, follow-up %d; want 12, 1", r.Counts.New, r.Counts.FollowUp)
	}
	if r.Counts.ByState["BY"] != 3 || r.Counts.ByState["DE"] != 2 {
		t.Errorf("by State %v", r.Counts.ByState)
	}
	// The CSV shows the linked named case at its group's level.
	var buf bytes.Buffer
	if err := sgreport.WriteCSV(&buf, r, "en"); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "LLLL-2222,") && !strings.HasPrefix(line, "LLLL-2222,anonymous,LLLL-3333,") {
			t.Errorf("linked case's row: %s", line)
		}
	}
	if strings.Contains(buf.String(), canary) || strings.Contains(buf.String(), "JUNK-2222") {
		t.Errorf("CSV holds a canary or a junk case:\n%s", buf.String())
	}
}

func TestMarkdownHostileText(t *testing.T) {
	t.Parallel()
	d := sgreport.Annexes(annexCases(), sgreport.AnnualPeriod(2026), "en")
	var md bytes.Buffer
	if err := sgreport.WriteMarkdown(&md, d.Word(words{})); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			if !slices.ContainsFunc([]string{"# Draft", "## Annex", "### ", "#### Case "}, func(p string) bool { return strings.HasPrefix(line, p) }) {
				t.Errorf("a heading from reporter text: %q", line)
			}
		case strings.HasPrefix(line, ">") && !strings.HasPrefix(line, "> Confidential"),
			strings.HasPrefix(line, "---"), strings.HasPrefix(line, "- ") && !strings.HasPrefix(line, "- **"):
			t.Errorf("markup from reporter text: %q", line)
		}
	}
	// Unescaped markup: a tag, a link or image, emphasis, code, a table.
	for _, bad := range []string{`(^|[^\\])<script`, `(^|[^\\])\[`, `(^|[^\\])!\[`, `(^|[^\\])\*bold`, "(^|[^\\\\])`", `(^|[^\\])\|a`, "\u202e", "\x1b"} {
		if regexp.MustCompile(bad).MatchString(out) {
			t.Errorf("the Markdown holds %q", bad)
		}
	}
	if !strings.Contains(out, `\<script\>x\<\/script\>`) && !strings.Contains(out, `\<script\>x\</script\>`) {
		t.Errorf("the hostile name is not shown escaped:\n%s", out)
	}
}

func TestMarkdownText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"# h", `\# h`},
		{"- x - y", `\- x - y`}, {"> q", `\> q`}, {"12) x", `12\) x`}, {"2026-01-10: AL X 1/2026 (a)", "2026-01-10: AL X 1/2026 (a)"},
		{"a\nb\r\n\tc", "a b c"},
		{"<b>&amp;", `\<b\>\&amp;`}, {"[x](y)", `\[x\](y)`},
		{"1. item", `1\. item`},
		{"x\u202ey\u2066z\x00\x1b\u009b", "xyz"},
		{"bad\xff", "bad\uFFFD"},
		{"a | b", `a \| b`},
		{"  lead", "lead"},
	} {
		if got := sgreport.MarkdownText(tt.in); got != tt.want {
			t.Errorf("MarkdownText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMarkdownText checks that whatever a reporter types, the text
// written is one line, without controls, with every metacharacter escaped.
func FuzzMarkdownText(f *testing.F) {
	for _, s := range []string{"", "# x", "[a](b)", "<script>", "\u202e", "a\nb", "\\*", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sgreport.MarkdownText(s)
		if strings.ContainsFunc(out, handlerapi.Unsafe) {
			t.Errorf("%q keeps a control", out)
		}
		esc := false
		for _, r := range out {
			if esc {
				esc = false
				continue
			}
			if r == '\\' {
				esc = true
				continue
			}
			if strings.ContainsRune("`*_[]<>#|!&", r) {
				t.Fatalf("%q: %q is not escaped", out, r)
			}
		}
		if esc {
			t.Errorf("%q ends in a lone backslash", out)
		}
	})
}

// BenchmarkAnnexes drafts both annexes, in French, over 10,000 decrypted
// cases with actions, responses, publications and links, and writes them
// as Markdown (docs/performance.md).
func BenchmarkAnnexes(b *testing.B) {
	seed := annexCases()
	states := []string{"DE", "EG", "ES", "TD", "US", "PA", "PE", "BY", "KP", "PS", "TR", "IR", "RU", "CN", "VE"}
	cases := make([]sgreport.Case, 0, 10000)
	for i := range 10000 {
		c := seed[i%len(seed)]
		c.Reference = fmt.Sprintf("%04d-%04d", i/10000, i%10000)
		c.Report.StateConcerned = states[i%len(states)]
		c.ReceivedOn = day("2024-05-01").AddDate(0, 0, i%730)
		c.Entries = []sgreport.Entry{action("2025-08-01", "AL X 1/2025"), response("2025-09-01")}
		if i%3 == 0 {
			c.Entries = append(c.Entries, published("2025-06-01"), action("2025-12-01", "AL X 2/2025"))
		}
		if i%4 == 1 {
			c.Entries = append(c.Entries, link(fmt.Sprintf("%04d-%04d", (i-1)/10000, (i-1)%10000)))
		}
		cases = append(cases, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		d := sgreport.Annexes(cases, sgreport.AnnualPeriod(2026), "fr")
		var buf bytes.Buffer
		if err := sgreport.WriteMarkdown(&buf, d.Word(words{})); err != nil {
			b.Fatal(err)
		}
		r := sgreport.Compute(cases, sgreport.AnnualPeriod(2026))
		b.SetBytes(int64(buf.Len()))
		_ = r
	}
}

// recording is a Words that fails on a phrase not in Phrases.
type recording struct{ t *testing.T }

func (r recording) T(s string, args ...any) string {
	if !slices.Contains(sgreport.Phrases, s) {
		r.t.Errorf("Word asks for %q, which is not in Phrases", s)
	}
	return words{}.T(s, args...)
}
func (recording) L(kind, v string) string { return words{}.L(kind, v) }

// TestPhrases checks that Phrases lists every phrase a draft is worded
// with, so that a catalogue checked against it misses none.
func TestPhrases(t *testing.T) {
	t.Parallel()
	cases := append(annexCases(), acase("UNSU-2222", "2025-06-01", "unsure", "anonymous", nil), acase("NORE-2222", "2025-06-01", "", "anonymous", nil),
		acase("INVA-2222", "2025-06-01", "ZZ", "anonymous", nil))
	cases[len(cases)-1].Entries = []sgreport.Entry{{Entry: envelope.Entry{Published: &envelope.Published{Report: "A/HRC/1/1", Annex: "II", Paragraph: "4", Date: "2025-01-01"}}}, action("2025-09-09", "X")}
	sgreport.Annexes(cases, sgreport.AnnualPeriod(2026), "en").Word(recording{t})
	sgreport.Annexes(nil, sgreport.AnnualPeriod(2026), "en").Word(recording{t})
}
