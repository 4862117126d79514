package sgreport_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestNotAReportInNoFigure: cases closed as not a report (a flood of
// machine-written junk, here with named consent and every field a real
// case would count under) change no count, no exclusion tally and no CSV
// row, and a Result altered to include one cannot be written. A case
// closed for any other reason still counts.
func TestNotAReportInNoFigure(t *testing.T) {
	p := sgreport.AnnualPeriod(2026)
	base := sgreport.Compute(seeded(), p)
	var baseCSV bytes.Buffer
	if err := sgreport.WriteCSV(&baseCSV, base, "en"); err != nil {
		t.Fatal(err)
	}
	junk := func(ref, status, detail string) sgreport.Case {
		r := intaketest.Report("upr")
		r.StateConcerned = "KP"
		r.Consent.Publication = "named"
		r.Incidents[0].Types = []string{"killing", "travel_ban"}
		r.Incidents[0].Narrative = "JUNKJUNK buy cheap followers now"
		return sgreport.Case{Reference: ref, ReceivedOn: day("2025-11-11"), Status: status, StatusDetail: detail, Report: *r}
	}
	var flood []sgreport.Case
	for _, ref := range []string{"QQQQ-2222", "QQQQ-3333", "QQQQ-4444"} {
		flood = append(flood, junk(ref, "closed", handlerapi.NotAReport))
	}
	got := sgreport.Compute(append(seeded(), flood...), p)
	if diff := cmp.Diff(base.Counts, got.Counts); diff != "" {
		t.Errorf("counts changed by cases that are not reports (-without +with):\n%s", diff)
	}
	if diff := cmp.Diff(base.Excluded, got.Excluded); diff != "" {
		t.Errorf("exclusions changed (-without +with):\n%s", diff)
	}
	var csv bytes.Buffer
	if err := sgreport.WriteCSV(&csv, got, "en"); err != nil {
		t.Fatal(err)
	}
	if csv.String() != baseCSV.String() || strings.Contains(csv.String(), "JUNKJUNK") {
		t.Errorf("the CSV changed:\n%s", csv.String())
	}
	// The annex drafts and the groups of sources: the same with the flood.
	for _, lang := range sgreport.DraftLanguages {
		if diff := cmp.Diff(sgreport.Annexes(seeded(), p, lang), sgreport.Annexes(append(seeded(), flood...), p, lang)); diff != "" {
			t.Errorf("annex drafts (%s) changed by cases that are not reports (-without +with):\n%s", lang, diff)
		}
	}
	refs := func(gs []sgreport.Group) (out [][]string) {
		for _, g := range gs {
			out = append(out, g.References())
		}
		return out
	}
	if diff := cmp.Diff(refs(sgreport.Groups(seeded())), refs(sgreport.Groups(append(seeded(), flood...)))); diff != "" {
		t.Errorf("groups changed (-without +with):\n%s", diff)
	}
	// Altered to include one: refused.
	if err := sgreport.WriteCSV(&bytes.Buffer{}, sgreport.Result{Included: flood[:1]}, "en"); err == nil {
		t.Error("a case closed as not a report was written to the CSV")
	}
	// Closed for another reason, or a reason that only looks alike: counted.
	for _, detail := range []string{"resolved", "Not_A_Report", "not_a_report "} {
		r := sgreport.Compute([]sgreport.Case{junk("RRRR-2222", "closed", detail)}, p)
		if r.Counts.Cases != 1 {
			t.Errorf("closed %q: %d cases counted, want 1", detail, r.Counts.Cases)
		}
	}
	for c, want := range map[*sgreport.Case]bool{
		{Status: "closed", StatusDetail: handlerapi.NotAReport}: false,
		{Status: "duplicate", StatusDetail: "AAAA-2222"}:        false,
		{Status: "closed", StatusDetail: "resolved"}:            true,
		{Status: "received", StatusDetail: ""}:                  true,
		{Status: "under_assessment", Report: envelope.Report{}}: true,
	} {
		if sgreport.Counted(*c) != want {
			t.Errorf("Counted(%s %s) = %v", c.Status, c.StatusDetail, !want)
		}
	}
}
