package sgreport

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Consent levels that allow a case in the CSV, from least to most.
const (
	PatternOnly = "pattern_only"
	Anonymous   = "anonymous"
	Named       = "named"
)

// column is one CSV column: the consent levels that may see it, and its
// values for a case at a level (one per victim or incident for the
// aligned ones, each once for categories), joined in one cell by how.
type column struct {
	name   string
	levels []string
	how    joining
	values func(c *Case, level, lang string) []string
}

// joining is how a column's values make one cell.
type joining int

const (
	joinOne       joining = iota // a single value
	joinSet                      // categories, each once, empty ones dropped
	joinPositions                // one per victim or incident, empty ones kept
	joinParagraph                // texts separated by a blank line
)

var (
	all           = []string{PatternOnly, Anonymous, Named}
	anonymousUp   = []string{Anonymous, Named}
	namedOnly     = []string{Named}
	monthRE       = regexp.MustCompile(`^\d{4}-\d{2}`)
	joinSeparator = "; "
)

func one(f func(c *Case, level, lang string) string) func(c *Case, level, lang string) []string {
	return func(c *Case, level, lang string) []string { return []string{f(c, level, lang)} }
}

// columns are the CSV's columns, in order, with the consent levels allowed
// to see each: the one table of the field sets that the package doc
// describes. The annex drafts read a case through the same table (view).
var columns = []column{
	{"reference", all, joinOne, one(func(c *Case, _, _ string) string { return c.Reference })},
	{"publication", all, joinOne, one(func(c *Case, level, _ string) string { return level })},
	{"linked_cases", all, joinSet, func(c *Case, _, _ string) []string { return c.linked }},
	{"received", all, joinOne, one(func(c *Case, level, _ string) string {
		if level == PatternOnly {
			return c.ReceivedOn.Format("2006-01")
		}
		return c.ReceivedOn.Format(dayLayout)
	})},
	{"state", all, joinOne, one(func(c *Case, _, _ string) string { return stateKey(c.Report.StateConcerned) })},
	{"state_name", all, joinOne, one(func(c *Case, _, lang string) string { return country.Name(c.Report.StateConcerned, lang) })},
	{"un_body", all, joinOne, one(func(c *Case, _, _ string) string { return choiceKey("un_body", c.Report.Cooperation.Body) })},
	{"incident_types", all, joinSet, func(c *Case, _, _ string) []string { return incidentTypes(&c.Report) }},
	{"victim_roles", all, joinSet, func(c *Case, _, _ string) []string { return victimRoles(&c.Report) }},
	{"perpetrator_kinds", all, joinSet, func(c *Case, _, _ string) []string {
		return distinct("perpetrator", incidents(c, func(in envelope.Incident) string { return in.PerpetratorKind }))
	}},
	{"cooperation_nature", anonymousUp, joinOne, one(func(c *Case, _, _ string) string { return choiceKey("cooperation", c.Report.Cooperation.Nature) })},
	{"incident_dates", anonymousUp, joinPositions, func(c *Case, level, _ string) []string {
		return incidents(c, func(in envelope.Incident) string {
			if level == Named {
				return in.Date
			}
			return monthRE.FindString(in.Date)
		})
	}},
	{"victim_count", anonymousUp, joinOne, one(func(c *Case, _, _ string) string { return strconv.Itoa(len(c.Report.Victims)) })},
	{"victim_kinds", anonymousUp, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return choiceKey("victim_kind", v.Kind) })
	}},
	{"victim_genders", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return v.Gender })
	}},
	{"victim_statuses", anonymousUp, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return choiceKey("victim_status", v.Status) })
	}},
	{"victim_names", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return v.Name })
	}},
	{"victim_ages", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return v.Age })
	}},
	{"victim_nationalities", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return v.Nationality })
	}},
	{"places_of_detention", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return victims(c, func(v envelope.Victim) string { return v.PlaceOfDetention })
	}},
	{"un_body_other", namedOnly, joinOne, one(func(c *Case, _, _ string) string { return c.Report.Cooperation.BodyOther })},
	{"session_ref", namedOnly, joinOne, one(func(c *Case, _, _ string) string { return c.Report.Cooperation.SessionRef })},
	{"cooperation_form", namedOnly, joinOne, one(func(c *Case, _, _ string) string { return c.Report.Cooperation.Form })},
	{"incident_places", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return incidents(c, func(in envelope.Incident) string { return in.Place })
	}},
	{"perpetrators", namedOnly, joinPositions, func(c *Case, _, _ string) []string {
		return incidents(c, func(in envelope.Incident) string { return in.Perpetrator })
	}},
	{"narratives", namedOnly, joinParagraph, func(c *Case, _, _ string) []string {
		return incidents(c, func(in envelope.Incident) string { return in.Narrative })
	}},
	// The reporter's answer whether the act was already referred to in an
	// official UN document (calls for input to the report ask it): the
	// answer describes one case; the symbol is typed by the reporter, so
	// it is free text.
	{"un_document", anonymousUp, joinOne, one(func(c *Case, _, _ string) string {
		if c.Report.StepsTaken.UNDocument == "" {
			return ""
		}
		return choiceKey("yes_no_unsure", c.Report.StepsTaken.UNDocument)
	})},
	{"un_document_symbol", namedOnly, joinOne, one(func(c *Case, _, _ string) string { return c.Report.StepsTaken.UNDocumentSymbol })},
}

// cell joins a column's values into one CSV cell.
func (col column) cell(vals []string) string {
	switch col.how {
	case joinSet:
		return join(vals)
	case joinPositions:
		return joinAligned(vals)
	case joinParagraph:
		return strings.Join(vals, "\n\n")
	}
	return strings.Join(vals, "")
}

// view returns the columns that consent level lvl allows, by name, with
// their values for c: what the CSV row holds, unjoined. Nothing else of
// the report is read by the annex drafts.
func view(c *Case, lvl, lang string) map[string][]string {
	out := make(map[string][]string, len(columns))
	for _, col := range columns {
		if slices.Contains(col.levels, lvl) {
			out[col.name] = col.values(c, lvl, lang)
		}
	}
	return out
}

// Columns returns the CSV header, and for each column the consent levels
// that see it.
func Columns() (names []string, levels map[string][]string) {
	levels = map[string][]string{}
	for _, col := range columns {
		names = append(names, col.name)
		levels[col.name] = append([]string(nil), col.levels...)
	}
	return names, levels
}

// WriteCSV writes the header and one row per included case of r, with
// State names in lang (one of country.Languages; English otherwise). Each
// row holds only the cells its consent level allows, every cell made safe
// for spreadsheets.
func WriteCSV(w io.Writer, r Result, lang string) error {
	cw := csv.NewWriter(w)
	names, _ := Columns()
	if err := cw.Write(names); err != nil {
		return fmt.Errorf("sgreport: writing the CSV: %w", err)
	}
	row := make([]string, len(columns))
	for i := range r.Included {
		c := &r.Included[i]
		lvl := shownLevel(c)
		if lvl == "" || !Counted(*c) || exclusion(*c) != "" {
			return fmt.Errorf("sgreport: case %s is not one the CSV may include", c.Reference)
		}
		for j, col := range columns {
			row[j] = ""
			for _, l := range col.levels {
				if l == lvl {
					row[j] = SafeCell(col.cell(col.values(c, lvl, lang)))
				}
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("sgreport: writing the CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("sgreport: writing the CSV: %w", err)
	}
	return nil
}

// MaxCell is the most characters a cell holds; spreadsheets hold 32,767.
const MaxCell = 32000

// SafeCell makes s inert in a spreadsheet: it is cut to MaxCell
// characters, and if it begins, or begins after white space, with a
// character that starts a formula (= + - @, their full-width forms, tab,
// carriage return, line feed), it gets a leading apostrophe, which
// spreadsheets show as text. Invalid UTF-8 is replaced; C0 controls other
// than tab, line feed and carriage return, DEL, C1 and bidirectional
// controls are written as a visible \uXXXX, so they can neither reorder
// what a reader sees nor reach a terminal.
func SafeCell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = escapeControls(s)
	if utf8.RuneCountInString(s) > MaxCell {
		s = string([]rune(s)[:MaxCell-1]) + "…"
	}
	first := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != '\t' && r != '\r' && r != '\n' })
	if first != "" && strings.ContainsRune("=+-@\t\r\n＝＋－＠", []rune(first)[0]) {
		return "'" + s
	}
	return s
}

// escapeControls writes every rune handlerapi.Unsafe names, except tab,
// line feed and carriage return (a CSV cell may hold them), as \uXXXX.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, cellUnsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if cellUnsafe(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func cellUnsafe(r rune) bool {
	return r != '\t' && r != '\n' && r != '\r' && handlerapi.Unsafe(r)
}

func join(vals []string) string {
	var out []string
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, joinSeparator)
}

// joinAligned joins one value per victim or incident, keeping empty ones
// so that positions match between columns ("34; ; 50"); all empty is "".
func joinAligned(vals []string) string {
	if join(vals) == "" {
		return ""
	}
	return strings.Join(vals, joinSeparator)
}

func victims(c *Case, f func(envelope.Victim) string) []string {
	out := make([]string, 0, len(c.Report.Victims))
	for _, v := range c.Report.Victims {
		out = append(out, f(v))
	}
	return out
}

func incidents(c *Case, f func(envelope.Incident) string) []string {
	out := make([]string, 0, len(c.Report.Incidents))
	for _, in := range c.Report.Incidents {
		out = append(out, f(in))
	}
	return out
}
