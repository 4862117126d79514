package sgreport

import (
	"cmp"
	"slices"
	"time"

	"github.com/ohchr-reprisals/intake/envelope"
)

// Group is a case and the cases linked to it as "same person or event"
// (corroborating sources): the report counts it as one case with
// len(Cases) sources. A case with no links is a group of one.
type Group struct {
	// Cases are the group's cases, the first received first (then by
	// reference); Cases[0] is the one the annexes describe.
	Cases []*Case
}

// Primary is the group's first case.
func (g Group) Primary() *Case { return g.Cases[0] }

// Sources is how many cases (sources) the group has.
func (g Group) Sources() int { return len(g.Cases) }

// References are the group's case references, Primary's first.
func (g Group) References() []string {
	out := make([]string, len(g.Cases))
	for i, c := range g.Cases {
		out[i] = c.Reference
	}
	return out
}

// ReceivedOn is the day the group's first case was received: the group
// belongs to the period of its first report.
func (g Group) ReceivedOn() time.Time { return dayOf(g.Primary().ReceivedOn) }

// links folds the sealed link entries of every case into the links in
// force (envelope.LinkSet: a later undoing withdraws a link, whatever
// order the server listed the notes in).
func links(cases []Case) *envelope.LinkSet {
	var ls envelope.LinkSet
	for i := range cases {
		for _, e := range cases[i].Entries {
			if e.Link != nil {
				ls.Add(cases[i].Reference, *e.Link)
			}
		}
	}
	return &ls
}

// left reports whether c is left out of every figure and annex: a
// duplicate (its original is counted), by status or by a sealed
// "duplicate" link in force, or a case closed as not a report.
func left(c *Case, ls *envelope.LinkSet) bool {
	return !Counted(*c) || len(ls.Others(envelope.LinkDuplicate, c.Reference)) > 0
}

// Groups joins cases linked as the same person or event, leaving out
// the cases left of every figure (left). A link sealed on either case
// joins them (the server may withhold the other side's note, never forge
// one), until an undoing sealed later on either case withdraws it; a
// link to a case not among cases is ignored. Groups are in the order of
// their first received day, then reference.
func Groups(cases []Case) []Group {
	ls := links(cases)
	idx := make(map[string]int, len(cases))
	for i := range cases {
		if !left(&cases[i], ls) {
			idx[cases[i].Reference] = i
		}
	}
	parent := make([]int, len(cases))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, pair := range ls.Pairs(envelope.LinkSame) {
		i, ok := idx[pair[0]]
		j, ok2 := idx[pair[1]]
		if ok && ok2 {
			a, b := find(i), find(j)
			if a != b {
				parent[a] = b
			}
		}
	}
	byRoot := map[int]int{}
	var groups []Group
	for i := range cases {
		if j, ok := idx[cases[i].Reference]; !ok || j != i {
			continue
		}
		r := find(i)
		k, ok := byRoot[r]
		if !ok {
			k = len(groups)
			byRoot[r] = k
			groups = append(groups, Group{})
		}
		groups[k].Cases = append(groups[k].Cases, &cases[i])
	}
	byDay := func(a, b *Case) int {
		return cmp.Or(dayOf(a.ReceivedOn).Compare(dayOf(b.ReceivedOn)), cmp.Compare(a.Reference, b.Reference))
	}
	for _, g := range groups {
		slices.SortFunc(g.Cases, byDay)
	}
	slices.SortFunc(groups, func(a, b Group) int { return byDay(a.Primary(), b.Primary()) })
	return groups
}

// rank orders the publication answers from the most restrictive: a group
// may be shown only as far as every one of its sources allows.
var rank = map[string]int{"no": 1, PatternOnly: 2, Anonymous: 3, Named: 4}

// publication is the group's consent to publication: the most restrictive
// of its cases' answers (an unknown answer is the most restrictive of all).
func (g Group) publication() string {
	out := ""
	for _, c := range g.Cases {
		p := c.Report.Consent.Publication
		if _, ok := rank[p]; !ok {
			p = Invalid
		}
		if out == "" || rank[p] < rank[out] {
			out = p
		}
	}
	return out
}

// exclusion returns why the group stays out of the CSV and the annexes,
// or "": the first reason any of its cases has.
func (g Group) exclusion() string {
	for _, reason := range []string{ExcludedConsentWithdrawn, ExcludedOnHold, ExcludedNoPublication, ExcludedUnknownConsent} {
		for _, c := range g.Cases {
			if exclusion(*c) == reason {
				return reason
			}
		}
	}
	if level(g.publication()) == "" {
		return ExcludedUnknownConsent
	}
	return ""
}

// entries returns the group's entries of one member, in the order of
// their dates (sealed), then of their cases and positions.
func (g Group) actions() []envelope.Action {
	var out []envelope.Action
	for _, c := range g.Cases {
		for _, e := range c.Entries {
			if e.Action != nil {
				out = append(out, *e.Action)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b envelope.Action) int { return cmp.Compare(a.Date, b.Date) })
	return out
}

func (g Group) responses() []envelope.Response {
	var out []envelope.Response
	for _, c := range g.Cases {
		for _, e := range c.Entries {
			if e.Response != nil {
				out = append(out, *e.Response)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b envelope.Response) int { return cmp.Compare(a.Date, b.Date) })
	return out
}

// publishedBefore returns the group's publications in reports dated on
// or before p's last day (earlier reports than the one being drafted),
// and the day of the last of them (zero if none). Only sealed dates are
// read (PublishedOn), never the day the server lists a note as added.
func (g Group) publishedBefore(p Period) ([]envelope.Published, time.Time) {
	var out []envelope.Published
	var last time.Time
	end := dayOf(p.To)
	for _, c := range g.Cases {
		for _, e := range c.Entries {
			if e.Published == nil {
				continue
			}
			on, ok := PublishedOn(*e.Published, p)
			if !ok || on.After(end) {
				continue
			}
			out = append(out, *e.Published)
			if on.After(last) {
				last = on
			}
		}
	}
	return out, last
}

// PublishedOn is the day publication pub counts as made in period p's
// drafts: its sealed Date; for an undated one (sealed before
// publications carried their date, so nothing sealed says when), the
// day before p begins: it counts as an earlier report, and its follow-up
// is what is dated in p. ok is false for a date that does not parse
// (Validate refuses those).
func PublishedOn(pub envelope.Published, p Period) (day time.Time, ok bool) {
	if pub.Date == "" {
		return dayOf(p.From).AddDate(0, 0, -1), true
	}
	d, err := time.Parse(envelope.DateLayout, pub.Date)
	return d, err == nil
}

// followUp returns the group's actions and responses dated after since
// and on or before to: the follow-up an Annex II entry reports.
func (g Group) followUp(since, to time.Time) ([]envelope.Action, []envelope.Response) {
	after := func(d string) bool {
		t, err := time.Parse(envelope.DateLayout, d)
		return err == nil && t.After(since) && !t.After(to)
	}
	var acts []envelope.Action
	for _, a := range g.actions() {
		if after(a.Date) {
			acts = append(acts, a)
		}
	}
	var resps []envelope.Response
	for _, r := range g.responses() {
		if after(r.Date) {
			resps = append(resps, r)
		}
	}
	return acts, resps
}

// kind says which annex the group belongs to for period p: "new" (first
// received in p, not published in an earlier report), "follow_up"
// (published in an earlier report, with actions or responses since, up to
// the period's end), or "" (neither).
func (g Group) kind(p Period) string {
	published, last := g.publishedBefore(p)
	if len(published) == 0 {
		if p.Contains(g.ReceivedOn()) {
			return KindNew
		}
		return ""
	}
	acts, resps := g.followUp(last, dayOf(p.To))
	if len(acts)+len(resps) > 0 {
		return KindFollowUp
	}
	return ""
}

// Kinds of a group in a period's annexes.
const (
	KindNew      = "new"       // Annex I
	KindFollowUp = "follow_up" // Annex II
)
