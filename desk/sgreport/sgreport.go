package sgreport

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Case is one decrypted case: its clear metadata, as the handler API lists
// it, and the report decrypted on the handler's machine.
type Case struct {
	Reference    string
	ReceivedOn   time.Time // the day it was received; the time of day is ignored
	Status       string    // workflow status key, such as "closed"
	StatusDetail string    // the closure reason of a closed case, such as "consent_withdrawn"
	Urgency      string    // "U1" to "U4", or ""
	Report       envelope.Report
	// Entries are the case's structured entries (UN actions, State
	// responses, publications, links), in the order they were added.
	Entries []Entry

	// Set by Compute on the cases it includes: the consent level of the
	// case's group (the most restrictive of its sources'), and the other
	// cases of its group.
	groupLevel string
	linked     []string
}

// Entry is one structured entry of a case, as the handler's client opened
// it from a sealed team note (envelope.Entry, checked by envelope.OpenNote).
// Nothing in it is the server's word: every date the drafts and the
// counts read is sealed (an action's, a response's, a publication's own
// date, a link's time), never the day the server lists the note as added.
type Entry struct {
	envelope.Entry
}

// Keys used in counts besides the report's own values.
const (
	// NotRecorded is the State of a report made before the field existed.
	NotRecorded = "not_recorded"
	// Invalid stands for a value that is not one of the known choices.
	Invalid = "invalid"
)

// Reasons for leaving a case of the period out of the CSV.
const (
	ExcludedNoPublication    = "publication_no"
	ExcludedConsentWithdrawn = "consent_withdrawn"
	ExcludedOnHold           = "on_hold"
	ExcludedUnknownConsent   = "unknown_consent"
)

// Period is a range of received days, both ends included.
type Period struct{ From, To time.Time }

const dayLayout = "2006-01-02"

// NewPeriod returns the period from one day to another, both written
// YYYY-MM-DD.
func NewPeriod(from, to string) (Period, error) {
	f, err := time.Parse(dayLayout, from)
	if err != nil {
		return Period{}, fmt.Errorf("sgreport: the first day must be written YYYY-MM-DD")
	}
	t, err := time.Parse(dayLayout, to)
	if err != nil {
		return Period{}, fmt.Errorf("sgreport: the last day must be written YYYY-MM-DD")
	}
	if t.Before(f) {
		return Period{}, fmt.Errorf("sgreport: the period ends before it starts")
	}
	return Period{From: f, To: t}, nil
}

// AnnualPeriod returns the usual period of the report presented in year:
// from 1 May of the year before to 30 April (the cut-off is around 1 May).
func AnnualPeriod(year int) Period {
	return Period{
		From: time.Date(year-1, time.May, 1, 0, 0, 0, 0, time.UTC),
		To:   time.Date(year, time.April, 30, 0, 0, 0, 0, time.UTC),
	}
}

// Contains reports whether day (its date, in its own location) is in p.
func (p Period) Contains(day time.Time) bool {
	d := dayOf(day)
	return !d.Before(dayOf(p.From)) && !d.After(dayOf(p.To))
}

func (p Period) String() string {
	return p.From.Format(dayLayout) + " to " + p.To.Format(dayLayout)
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Tally counts cases by a value.
type Tally map[string]int

// Row is one value of a Tally and its count.
type Row struct {
	Key   string
	Count int
}

// Rows returns the tally's values, the largest count first, then by key.
func (t Tally) Rows() []Row {
	rows := make([]Row, 0, len(t))
	for k, n := range t {
		rows = append(rows, Row{k, n})
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key))
	})
	return rows
}

// Counts are the period's cases counted along the report's dimensions. A
// group of linked cases (Group) counts as one case, under each value any
// of its sources has, and under its consent to publication (the most
// restrictive of its sources').
type Counts struct {
	Cases          int // cases in the period (groups of linked cases count once), duplicates and what is not a report left out
	ByState        Tally
	ByIncidentType Tally
	ByUNBody       Tally
	ByVictimRole   Tally
	ByPublication  Tally
	// New are the period's cases not published in an earlier report
	// (Annex I's); FollowUp the cases published in an earlier report with
	// UN actions or State responses since (Annex II's), whenever received.
	New, FollowUp int
	// BySources counts the period's cases by how many sources (linked
	// cases) each has: "1", "2"...
	BySources Tally
}

// Result is what Compute finds for a period.
type Result struct {
	Period Period
	Counts Counts
	// Included are the cases the CSV holds, in the order it lists them
	// (by State code, then received day, then reference).
	Included []Case
	// Excluded counts the period's cases left out of the CSV, by reason.
	Excluded Tally
}

// Compute counts the cases received in p and selects those whose consent
// allows them in the Secretary-General's report. It does not modify cases.
func Compute(cases []Case, p Period) Result {
	r := Result{
		Period: p,
		Counts: Counts{
			ByState: Tally{}, ByIncidentType: Tally{}, ByUNBody: Tally{}, ByVictimRole: Tally{}, ByPublication: Tally{},
			BySources: Tally{},
		},
		Excluded: Tally{},
	}
	for _, g := range Groups(cases) {
		switch g.kind(p) {
		case KindNew:
			r.Counts.New++
		case KindFollowUp:
			r.Counts.FollowUp++
		}
		if !p.Contains(g.ReceivedOn()) {
			continue
		}
		r.Counts.Cases++
		r.Counts.BySources[strconv.Itoa(g.Sources())]++
		r.Counts.ByPublication[choiceKey("publication", g.publication())]++
		states, bodies, types, roles := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, c := range g.Cases {
			rep := &c.Report
			states[stateKey(rep.StateConcerned)] = true
			bodies[choiceKey("un_body", rep.Cooperation.Body)] = true
			for _, t := range incidentTypes(rep) {
				types[t] = true
			}
			for _, role := range victimRoles(rep) {
				roles[role] = true
			}
		}
		for _, m := range []struct {
			t    Tally
			seen map[string]bool
		}{{r.Counts.ByState, states}, {r.Counts.ByUNBody, bodies}, {r.Counts.ByIncidentType, types}, {r.Counts.ByVictimRole, roles}} {
			for k := range m.seen {
				m.t[k]++
			}
		}
		if reason := g.exclusion(); reason != "" {
			r.Excluded[reason]++
			continue
		}
		refs := g.References()
		for _, c := range g.Cases {
			in := *c
			in.groupLevel = g.publication()
			in.linked = slices.DeleteFunc(slices.Clone(refs), func(s string) bool { return s == c.Reference })
			r.Included = append(r.Included, in)
		}
	}
	slices.SortStableFunc(r.Included, func(a, b Case) int {
		return cmp.Or(
			cmp.Compare(a.Report.StateConcerned, b.Report.StateConcerned),
			dayOf(a.ReceivedOn).Compare(dayOf(b.ReceivedOn)),
			cmp.Compare(a.Reference, b.Reference))
	})
	return r
}

// Counted reports whether c is in the report's figures at all. A
// duplicate (its original is counted) and a case closed as not a report
// (handlerapi.NotAReport: machine-written junk and the like) are left out
// of everything: the counts, the CSV and the annex drafts. Every figure
// this package computes asks Counted first.
func Counted(c Case) bool {
	return c.Status != "duplicate" && !(c.Status == "closed" && c.StatusDetail == handlerapi.NotAReport)
}

// exclusion returns why c stays out of the CSV, or "".
func exclusion(c Case) string {
	switch {
	case c.Status == "closed" && c.StatusDetail == "consent_withdrawn":
		return ExcludedConsentWithdrawn
	case c.Status == "on_hold":
		return ExcludedOnHold
	case c.Report.Consent.Publication == "no":
		return ExcludedNoPublication
	case level(c.Report.Consent.Publication) == "":
		return ExcludedUnknownConsent
	}
	return ""
}

// shownLevel is the level a case is shown at: its own consent level, or
// its group's when Compute set one (never more than its own).
func shownLevel(c *Case) string {
	own := level(c.Report.Consent.Publication)
	if own == "" || c.groupLevel == "" {
		return own
	}
	if g := level(c.groupLevel); g != "" && rank[g] < rank[own] {
		return g
	}
	return own
}

// level returns the consent level of a publication answer that allows
// inclusion, or "".
func level(publication string) string {
	switch publication {
	case "named", "anonymous", "pattern_only":
		return publication
	}
	return ""
}

func stateKey(code string) string {
	switch {
	case code == "":
		return NotRecorded
	case country.Valid(code):
		return code
	}
	return Invalid
}

func choiceKey(choice, v string) string {
	if slices.Contains(envelope.Choices[choice], v) {
		return v
	}
	return Invalid
}

// distinct returns the known values of vals once each, in the choice's
// order, with Invalid last if any value is unknown.
func distinct(choice string, vals []string) []string {
	var out []string
	invalid := false
	for _, known := range envelope.Choices[choice] {
		if slices.Contains(vals, known) {
			out = append(out, known)
		}
	}
	for _, v := range vals {
		if !slices.Contains(envelope.Choices[choice], v) {
			invalid = true
		}
	}
	if invalid {
		out = append(out, Invalid)
	}
	return out
}

func incidentTypes(r *envelope.Report) []string {
	var all []string
	for _, in := range r.Incidents {
		all = append(all, in.Types...)
	}
	return distinct("incident_type", all)
}

func victimRoles(r *envelope.Report) []string {
	var all []string
	for _, v := range r.Victims {
		all = append(all, v.Roles...)
	}
	return distinct("victim_role", all)
}
