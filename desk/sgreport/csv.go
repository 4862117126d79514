package sgreport

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
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
// value for a case at a level.
type column struct {
	name   string
	levels []string
	value  func(c *Case, level, lang string) string
}

var (
	all           = []string{PatternOnly, Anonymous, Named}
	anonymousUp   = []string{Anonymous, Named}
	namedOnly     = []string{Named}
	monthRE       = regexp.MustCompile(`^\d{4}-\d{2}`)
	joinSeparator = "; "
)

// columns are the CSV's columns, in order, with the consent levels allowed
// to see each: the one table of the field sets that the package doc
// describes.
var columns = []column{
	{"reference", all, func(c *Case, _, _ string) string { return c.Reference }},
	{"publication", all, func(c *Case, level, _ string) string { return level }},
	{"received", all, func(c *Case, level, _ string) string {
		if level == PatternOnly {
			return c.ReceivedOn.Format("2006-01")
		}
		return c.ReceivedOn.Format(dayLayout)
	}},
	{"state", all, func(c *Case, _, _ string) string { return stateKey(c.Report.StateConcerned) }},
	{"state_name", all, func(c *Case, _, lang string) string { return country.Name(c.Report.StateConcerned, lang) }},
	{"un_body", all, func(c *Case, _, _ string) string { return choiceKey("un_body", c.Report.Cooperation.Body) }},
	{"incident_types", all, func(c *Case, _, _ string) string { return join(incidentTypes(&c.Report)) }},
	{"victim_roles", all, func(c *Case, _, _ string) string { return join(victimRoles(&c.Report)) }},
	{"perpetrator_kinds", all, func(c *Case, _, _ string) string {
		return join(distinct("perpetrator", incidents(c, func(in envelope.Incident) string { return in.PerpetratorKind })))
	}},
	{"cooperation_nature", anonymousUp, func(c *Case, _, _ string) string { return choiceKey("cooperation", c.Report.Cooperation.Nature) }},
	{"incident_dates", anonymousUp, func(c *Case, level, _ string) string {
		return joinAligned(incidents(c, func(in envelope.Incident) string {
			if level == Named {
				return in.Date
			}
			return monthRE.FindString(in.Date)
		}))
	}},
	{"victim_count", anonymousUp, func(c *Case, _, _ string) string { return strconv.Itoa(len(c.Report.Victims)) }},
	{"victim_kinds", anonymousUp, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return choiceKey("victim_kind", v.Kind) }))
	}},
	{"victim_genders", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return v.Gender }))
	}},
	{"victim_statuses", anonymousUp, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return choiceKey("victim_status", v.Status) }))
	}},
	{"victim_names", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return v.Name }))
	}},
	{"victim_ages", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return v.Age }))
	}},
	{"victim_nationalities", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return v.Nationality }))
	}},
	{"places_of_detention", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(victims(c, func(v envelope.Victim) string { return v.PlaceOfDetention }))
	}},
	{"un_body_other", namedOnly, func(c *Case, _, _ string) string { return c.Report.Cooperation.BodyOther }},
	{"session_ref", namedOnly, func(c *Case, _, _ string) string { return c.Report.Cooperation.SessionRef }},
	{"cooperation_form", namedOnly, func(c *Case, _, _ string) string { return c.Report.Cooperation.Form }},
	{"incident_places", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(incidents(c, func(in envelope.Incident) string { return in.Place }))
	}},
	{"perpetrators", namedOnly, func(c *Case, _, _ string) string {
		return joinAligned(incidents(c, func(in envelope.Incident) string { return in.Perpetrator }))
	}},
	{"narratives", namedOnly, func(c *Case, _, _ string) string {
		return strings.Join(incidents(c, func(in envelope.Incident) string { return in.Narrative }), "\n\n")
	}},
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
		lvl := level(c.Report.Consent.Publication)
		if lvl == "" || !Counted(*c) || exclusion(*c) != "" {
			return fmt.Errorf("sgreport: case %s is not one the CSV may include", c.Reference)
		}
		for j, col := range columns {
			row[j] = ""
			for _, l := range col.levels {
				if l == lvl {
					row[j] = SafeCell(col.value(c, lvl, lang))
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
