package sgreport

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/envelope"
)

// Draft is the drafts of the two annexes of the Secretary-General's
// report for a period, in one UN language: Annex I, the cases received in
// the period and not published in an earlier report; Annex II, the cases
// published in an earlier report with UN actions or State responses
// since. Each annex is by State, in the alphabetical order of the
// language. A case's linked cases are one entry with several sources.
type Draft struct {
	Period Period
	Lang   string // the report's language: en, fr or es (State names and order)
	New    []Section
	// FollowUp is Annex II.
	FollowUp []Section
	// Excluded counts the cases of either annex left out because of their
	// consent or status, by reason (as Result.Excluded).
	Excluded Tally
}

// Section is one State's part of an annex.
type Section struct {
	State   string // ISO code, country.NotSure, NotRecorded or Invalid
	Name    string // the State's name in the draft's language ("" for the others)
	Entries []AnnexEntry
	// Pattern are the cases whose consent allows them only as part of a
	// pattern: never described one by one, only counted, with their
	// incident types.
	Pattern      int
	PatternTypes []string
}

// AnnexEntry is one case (a group of linked cases) of an annex, built
// only from what its consent level allows.
type AnnexEntry struct {
	Reference string   // the group's first case
	Sources   []string // every case of the group, Reference first
	Level     string   // Named or Anonymous
	// Fields are the CSV's columns that Level allows, by column name,
	// unjoined: what the CSV row of Reference holds at that level.
	Fields map[string][]string
	// Actions and Responses are the UN's actions and the State's
	// responses (all of them in Annex I; those since the last earlier
	// publication in Annex II), by date.
	Actions   []envelope.Action
	Responses []envelope.Response
	// Published are the earlier reports the case appeared in (Annex II).
	Published []envelope.Published
}

// DraftLanguages are the languages a draft can be made in: OHCHR's
// working languages.
var DraftLanguages = []string{"en", "fr", "es"}

// Annexes drafts Annex I and Annex II for period p in lang (one of
// DraftLanguages; English otherwise). Cases left out of every figure
// (duplicates, not a report) are left out; so are cases whose consent
// does not allow publication, withdrawn consent, or on hold.
func Annexes(cases []Case, p Period, lang string) Draft {
	if !slices.Contains(DraftLanguages, lang) {
		lang = "en"
	}
	d := Draft{Period: p, Lang: lang, Excluded: Tally{}}
	newBy, followBy := map[string]*Section{}, map[string]*Section{}
	for _, g := range Groups(cases) {
		kind := g.kind(p)
		if kind == "" {
			continue
		}
		if reason := g.exclusion(); reason != "" {
			d.Excluded[reason]++
			continue
		}
		into := newBy
		if kind == KindFollowUp {
			into = followBy
		}
		prim := g.Primary()
		state := stateKey(prim.Report.StateConcerned)
		sec := into[state]
		if sec == nil {
			sec = &Section{State: state, Name: country.Name(state, lang)}
			into[state] = sec
		}
		lvl := level(g.publication())
		if lvl == PatternOnly {
			sec.Pattern++
			var types []string
			for _, c := range g.Cases {
				types = append(types, incidentTypes(&c.Report)...)
			}
			sec.PatternTypes = distinct("incident_type", append(types, sec.PatternTypes...))
			continue
		}
		e := AnnexEntry{Reference: prim.Reference, Sources: g.References(), Level: lvl, Fields: view(prim, lvl, lang)}
		if kind == KindNew {
			e.Actions, e.Responses = g.actions(), g.responses()
		} else {
			var last time.Time
			e.Published, last = g.publishedBefore(p)
			e.Actions, e.Responses = g.followUp(last, dayOf(p.To))
		}
		sec.Entries = append(sec.Entries, e)
	}
	d.New, d.FollowUp = sortSections(newBy, lang), sortSections(followBy, lang)
	return d
}

// sortSections orders an annex's States alphabetically in lang (by the
// language's collation: country.Sorted), the answers that are not a State
// last (not sure, not recorded, invalid).
func sortSections(by map[string]*Section, lang string) []Section {
	order := stateOrder(lang)
	out := make([]Section, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	pos := func(code string) int {
		if i, ok := order[code]; ok {
			return i
		}
		switch code {
		case country.NotSure:
			return len(order)
		case NotRecorded:
			return len(order) + 1
		}
		return len(order) + 2
	}
	slices.SortFunc(out, func(a, b Section) int {
		return cmp.Or(cmp.Compare(pos(a.State), pos(b.State)), cmp.Compare(a.State, b.State))
	})
	return out
}

// stateOrder maps each State's code to its place in lang's alphabetical
// order.
func stateOrder(lang string) map[string]int {
	opts := country.Sorted(lang)
	m := make(map[string]int, len(opts))
	for i, o := range opts {
		m[o.Code] = i
	}
	return m
}

// Phrases are every English phrase Draft.Word asks Words to translate:
// a catalogue must translate each (the console's TestMessages checks it).
var Phrases = []string{
	"Acts",
	"Alleged perpetrators",
	"Already referred to in an official UN document (the reporter's word)",
	"Annex I: new cases",
	"Annex II: follow-up",
	"Case {0}",
	"Case {0}, {1} sources ({2})",
	"Cases published in an earlier report, with UN actions or State responses since, by State.",
	"Cases received in the period and not published in an earlier report, by State.",
	"Cases to be mentioned only as part of a pattern: {0} ({1}).",
	"Confidential draft, built from decrypted cases: each entry shows only what its consent to publication allows. Check every entry with the case before use.",
	"Consent to publication",
	"Cooperation with the UN",
	"Dates",
	"Draft annexes to the report of the Secretary-General on cooperation with the United Nations",
	"Form of cooperation",
	"Invalid value",
	"No case.",
	"None received.",
	"None recorded.",
	"Period: {0} to {1}",
	"Perpetrators named",
	"Places",
	"Published in",
	"Received",
	"Response of the State",
	"Role",
	"Session or reference",
	"State not known to the reporter",
	"State not recorded (older report)",
	"Status now",
	"UN action",
	"Who",
	"annex {0}",
	"paragraph {0}",
	"{0} (not named)",
}

// Words give a draft its words in the draft's language: T translates an
// English phrase (with {0}, {1}... replaced by args), L names a choice
// value (kind is the choice, as in envelope.Choices, or "action_kind",
// "stance"). The console's message catalogue provides them.
type Words interface {
	T(english string, args ...any) string
	L(kind, value string) string
}

// Doc is a draft worded for reading: every value a plain string, not yet
// escaped. The console's HTML page and the Markdown are both written from
// it, so they say the same.
type Doc struct {
	Title, Period, Warning string
	Annexes                []DocAnnex
}

// DocAnnex is one annex of a Doc.
type DocAnnex struct {
	ID, Title, Intro, Empty string
	States                  []DocState
}

// DocState is one State of an annex.
type DocState struct {
	Name    string
	Entries []DocEntry
	Pattern string // the sentence on the pattern-only cases, or ""
}

// DocEntry is one case.
type DocEntry struct {
	Heading    string
	Lines      []DocLine
	Narratives []string
}

// DocLine is one labelled line of an entry.
type DocLine struct{ Label, Value string }

// Word returns d worded by w.
func (d Draft) Word(w Words) Doc {
	doc := Doc{
		Title:   w.T("Draft annexes to the report of the Secretary-General on cooperation with the United Nations"),
		Period:  w.T("Period: {0} to {1}", d.Period.From.Format(dayLayout), d.Period.To.Format(dayLayout)),
		Warning: w.T("Confidential draft, built from decrypted cases: each entry shows only what its consent to publication allows. Check every entry with the case before use."),
	}
	annex := func(id, title, intro string, secs []Section) DocAnnex {
		a := DocAnnex{ID: id, Title: w.T(title), Intro: w.T(intro), Empty: w.T("No case.")}
		for _, s := range secs {
			ds := DocState{Name: sectionName(s, w)}
			for _, e := range s.Entries {
				ds.Entries = append(ds.Entries, wordEntry(e, w))
			}
			if s.Pattern > 0 {
				var types []string
				for _, t := range s.PatternTypes {
					types = append(types, w.L("incident_type", t))
				}
				ds.Pattern = w.T("Cases to be mentioned only as part of a pattern: {0} ({1}).", s.Pattern, strings.Join(types, "; "))
			}
			a.States = append(a.States, ds)
		}
		return a
	}
	doc.Annexes = []DocAnnex{
		annex("annex-i", "Annex I: new cases", "Cases received in the period and not published in an earlier report, by State.", d.New),
		annex("annex-ii", "Annex II: follow-up", "Cases published in an earlier report, with UN actions or State responses since, by State.", d.FollowUp),
	}
	return doc
}

func sectionName(s Section, w Words) string {
	switch s.State {
	case country.NotSure:
		return w.T("State not known to the reporter")
	case NotRecorded:
		return w.T("State not recorded (older report)")
	case Invalid:
		return w.T("Invalid value")
	}
	return s.Name
}

// wordEntry words one entry: only the fields in e.Fields (its consent
// level's), the actions and the responses.
func wordEntry(e AnnexEntry, w Words) DocEntry {
	f := e.Fields
	de := DocEntry{Heading: w.T("Case {0}", e.Reference)}
	if len(e.Sources) > 1 {
		de.Heading = w.T("Case {0}, {1} sources ({2})", e.Reference, len(e.Sources), strings.Join(e.Sources, ", "))
	}
	add := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			de.Lines = append(de.Lines, DocLine{w.T(label), value})
		}
	}
	labels := func(kind string, keys []string) string {
		var out []string
		for _, k := range keys {
			if k != "" {
				out = append(out, w.L(kind, k))
			}
		}
		return strings.Join(out, "; ")
	}
	add("Consent to publication", w.L("publication", e.Level))
	if e.Level == Named {
		add("Who", strings.Join(nonEmpty(f["victim_names"]), "; "))
	} else {
		add("Who", w.T("{0} (not named)", labels("victim_kind", f["victim_kinds"])))
	}
	add("Role", labels("victim_role", f["victim_roles"]))
	add("Status now", labels("victim_status", f["victim_statuses"]))
	add("Acts", labels("incident_type", f["incident_types"]))
	add("Alleged perpetrators", labels("perpetrator", f["perpetrator_kinds"]))
	add("Perpetrators named", strings.Join(nonEmpty(f["perpetrators"]), "; "))
	add("Dates", strings.Join(nonEmpty(f["incident_dates"]), "; "))
	add("Places", strings.Join(nonEmpty(f["incident_places"]), "; "))
	coop := labels("un_body", f["un_body"])
	if other := strings.Join(nonEmpty(f["un_body_other"]), ""); other != "" {
		coop += " (" + other + ")"
	}
	if nature := labels("cooperation", f["cooperation_nature"]); nature != "" {
		coop += "; " + nature
	}
	add("Cooperation with the UN", coop)
	add("Form of cooperation", strings.Join(nonEmpty(f["cooperation_form"]), ""))
	add("Session or reference", strings.Join(nonEmpty(f["session_ref"]), ""))
	add("Received", strings.Join(f["received"], ""))
	if answer := strings.Join(f["un_document"], ""); answer != "" {
		v := w.L("yes_no_unsure", answer)
		if sym := strings.Join(nonEmpty(f["un_document_symbol"]), ""); sym != "" {
			v += " (" + sym + ")"
		}
		add("Already referred to in an official UN document (the reporter's word)", v)
	}
	for _, p := range e.Published {
		v := p.Report + ", " + w.T("annex {0}", p.Annex)
		if p.Paragraph != "" {
			v += ", " + w.T("paragraph {0}", p.Paragraph)
		}
		add("Published in", v)
	}
	for _, a := range e.Actions {
		v := a.Date + ": " + w.L("action_kind", a.Kind)
		if a.Symbol != "" {
			v += " (" + a.Symbol + ")"
		}
		if a.Summary != "" && e.Level == Named {
			v += ". " + a.Summary
		}
		add("UN action", v)
	}
	if len(e.Actions) == 0 {
		add("UN action", w.T("None recorded."))
	}
	for _, r := range e.Responses {
		v := r.Date + ": " + w.L("stance", r.Stance)
		if r.Summary != "" && e.Level == Named {
			v += ". " + r.Summary
		}
		add("Response of the State", v)
	}
	if len(e.Responses) == 0 {
		add("Response of the State", w.T("None received."))
	}
	de.Narratives = nonEmpty(f["narratives"])
	return de
}

func nonEmpty(vals []string) []string {
	var out []string
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}
