package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// The structured entries of a case: what the UN did (action), what the
// State answered (response), where the case was published (published).
// desk seals each as a team note; these commands only read flags and
// print.

// entryCommands are the commands with subcommands for entries, and what
// each takes.
var entryCommands = map[string][]string{
	"action":    {"add", "list"},
	"response":  {"add"},
	"published": {"add"},
}

const entryUsage = `usage: casectl action add|list, casectl response add, casectl published add

  action add     record a UN action on a case (a communication by a special procedure, raised with the State...)
  action list    print a case's UN actions, State responses, publications and links, in order
  response add   record the State's response
  published add  record that the case was published in a report of the Secretary-General

('casectl action add -h' and so on for each)`

// entryFlags are the flags of the entry commands.
type entryFlags struct {
	kind, date, symbol, stance, report, annex, paragraph string
}

// addEntryFlags declares the flags of entry command name.
func (c *cli) addEntryFlags(name string) {
	f := &c.entry
	switch name {
	case "action add":
		c.fs.StringVar(&f.kind, "kind", "", "the action: "+strings.Join(envelope.ActionKinds, ", "))
		c.fs.StringVar(&f.date, "date", "", "when, as YYYY-MM-DD")
		c.fs.StringVar(&f.symbol, "symbol", "", "its reference symbol, if any (such as \"AL BLR 1/2026\")")
		c.fs.StringVar(&c.message, "m", "", "a short summary (needed for -kind other)")
	case "response add":
		c.fs.StringVar(&f.date, "date", "", "when the State answered, as YYYY-MM-DD")
		c.fs.StringVar(&f.stance, "stance", "", "the State's position: "+strings.Join(envelope.Stances, ", ")+" (other: another position, or none)")
		c.fs.StringVar(&c.message, "m", "", "a short summary of the response")
	case "published add":
		c.fs.StringVar(&f.report, "report", "", "the report's symbol (such as A/HRC/60/62)")
		c.fs.StringVar(&f.annex, "annex", "", "I (new cases) or II (follow-up)")
		c.fs.StringVar(&f.paragraph, "paragraph", "", "the paragraph, if known")
		c.fs.StringVar(&f.date, "date", "", "the report's date (when it was issued), as YYYY-MM-DD: it tells an earlier report from the one being drafted")
	}
}

// entryCmd runs action add|list, response add and published add.
func (c *cli) entryCmd() error {
	if c.name == "action list" {
		return c.listEntries()
	}
	var e envelope.Entry
	f := c.entry
	switch c.name {
	case "action add":
		e.Action = &envelope.Action{Kind: f.kind, Date: f.date, Symbol: f.symbol, Summary: c.message}
	case "response add":
		e.Response = &envelope.Response{Date: f.date, Stance: f.stance, Summary: c.message}
	case "published add":
		e.Published = &envelope.Published{Report: f.report, Annex: f.annex, Paragraph: f.paragraph, Date: f.date}
	}
	ref, err := c.ref()
	if err != nil {
		return err
	}
	var d desk.Desk
	if c.identityFile != "" {
		ids, err := c.identities()
		if err != nil {
			return err
		}
		d, err = c.desk(ids)
	} else {
		d, err = c.desk(nil)
	}
	if err != nil {
		return err
	}
	sealed, id, err := d.Record(c.ctx, ref, e)
	if err != nil {
		return entryRefusal(c, ref, err)
	}
	fmt.Fprintf(c.out, "Added to %s as team note %d: %s\n", handlerapi.Safe(ref), id, handlerapi.Safe(sealed.Summary()))
	if st := desk.SuggestedStatus(sealed); st != "" {
		fmt.Fprintf(c.out, "To move the case on: casectl triage -status %s %s\n", st, handlerapi.Safe(ref))
	}
	return nil
}

// entryFlagNames maps an entry's JSON field to the flag that sets it.
var entryFlagNames = map[string]string{
	"action.kind": "-kind", "action.date": "-date", "action.symbol": "-symbol", "action.summary": "-m",
	"response.date": "-date", "response.stance": "-stance", "response.summary": "-m",
	"published.report": "-report", "published.annex": "-annex", "published.paragraph": "-paragraph", "published.date": "-date",
}

// entryRefusal words desk's refusal of an entry.
func entryRefusal(c *cli, ref string, err error) error {
	var ee *envelope.EntryError
	if !errors.As(err, &ee) {
		return c.noteRefusal(ref, err)
	}
	flag := entryFlagNames[ee.Field]
	var why string
	switch ee.Problem {
	case "required":
		why = "is needed"
	case "not a date":
		why = "must be a date, YYYY-MM-DD"
	case "not a choice":
		why = "must be one of " + strings.Join(choicesOf(ee.Field), ", ")
	case "too long":
		why = "is too long"
	case "control character":
		why = "holds a control character (only a summary may have several lines)"
	default:
		why = "is not valid"
	}
	if ee.Field == "action.summary" && ee.Problem == "required" {
		why = "is needed for -kind other: say what was done"
	}
	return fmt.Errorf("%s %s. Nothing was sent", flag, why)
}

// choicesOf are the values an entry's choice field takes.
func choicesOf(field string) []string {
	switch field {
	case "action.kind":
		return envelope.ActionKinds
	case "response.stance":
		return envelope.Stances
	case "published.annex":
		return envelope.Annexes
	}
	return nil
}

// listEntries prints a case's structured entries, opened and checked to
// be sealed for the case (desk.CaseRecords); every field through
// handlerapi.Safe or SafeText.
func (c *cli) listEntries() error {
	ref, ids, err := c.refAndIdentities()
	if err != nil {
		return err
	}
	d, err := c.desk(ids)
	if err != nil {
		return err
	}
	recs, err := d.CaseRecords(c.ctx, ref)
	if err != nil {
		return err
	}
	writeRecords(c.out, ref, recs)
	return nil
}

// writeRecords prints structured entries, one block each.
func writeRecords(w io.Writer, ref string, recs []desk.Record) {
	if len(recs) == 0 {
		fmt.Fprintf(w, "No UN actions, State responses or publications recorded on %s.\n", handlerapi.Safe(ref))
		return
	}
	safe, text := handlerapi.Safe, func(s string) string {
		return strings.ReplaceAll(handlerapi.SafeText(s), "\n", "\n    ")
	}
	for _, r := range recs {
		fmt.Fprintf(w, "-- note %d by %s, %s\n", r.ID, safe(r.Author), safe(r.CreatedOn))
		switch {
		case r.Action != nil:
			a := r.Action
			fmt.Fprintf(w, "UN action:  %s\nDate:       %s\n", actionName(a.Kind), safe(a.Date))
			if a.Symbol != "" {
				fmt.Fprintf(w, "Symbol:     %s\n", safe(a.Symbol))
			}
			if a.Summary != "" {
				fmt.Fprintf(w, "Summary:    %s\n", text(a.Summary))
			}
		case r.Response != nil:
			s := r.Response
			fmt.Fprintf(w, "State response: %s\nDate:       %s\n", stanceName(s.Stance), safe(s.Date))
			if s.Summary != "" {
				fmt.Fprintf(w, "Summary:    %s\n", text(s.Summary))
			}
		case r.Published != nil:
			p := r.Published
			fmt.Fprintf(w, "Published in: %s, annex %s\n", safe(p.Report), safe(p.Annex))
			if p.Paragraph != "" {
				fmt.Fprintf(w, "Paragraph:  %s\n", safe(p.Paragraph))
			}
			if p.Date != "" {
				fmt.Fprintf(w, "Report's date: %s\n", safe(p.Date))
			} else {
				fmt.Fprintf(w, "Report's date: not recorded (added before publications carried their date)\n")
			}
		case r.Link != nil:
			fmt.Fprintf(w, "%s\n", safe(r.Summary()))
		}
	}
}

func actionName(kind string) string {
	if !slices.Contains(envelope.ActionKinds, kind) {
		return handlerapi.Safe(kind)
	}
	return map[string]string{
		envelope.ActionCommunication:   "communication by a special procedure",
		envelope.ActionRaisedWithState: "raised with the State",
		envelope.ActionPublicStatement: "public statement",
		envelope.ActionReferral:        "referral to a mechanism",
		envelope.ActionOther:           "other",
	}[kind]
}

func stanceName(stance string) string {
	if !slices.Contains(envelope.Stances, stance) {
		return handlerapi.Safe(stance)
	}
	return map[string]string{
		envelope.StanceDenies:       "denies",
		envelope.StanceAcknowledges: "acknowledges",
		envelope.StanceInvestigates: "investigates",
		envelope.StanceOther:        "another position, or none",
	}[stance]
}
