package envelope

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is a structured entry of a case's thread: what the UN did about
// the case (Action), what the State answered (Response), where the case
// was published (Published), or a link to another case (Link). Exactly
// one member is set. It is sealed inside an ordinary team note (kind
// "note", Note.Entry), so the server stores nothing it did not store
// before; the note's Text carries a short human summary (Entry.Summary)
// for readers that know no entries.
//
// Everything in an entry is untrusted when opened: anyone holding the
// team's recipients, the server included, can seal a note. ParseEntry
// (through OpenNote) refuses an entry that is not well formed.
type Entry struct {
	Action    *Action    `json:"action,omitempty"`
	Response  *Response  `json:"response,omitempty"`
	Published *Published `json:"published,omitempty"`
	Link      *Link      `json:"link,omitempty"`
}

// The kinds of UN action.
const (
	ActionCommunication   = "communication"     // a communication by a special procedure (AL, UA, OL...)
	ActionRaisedWithState = "raised_with_state" // raised with the State (bilaterally, by OHCHR)
	ActionPublicStatement = "public_statement"  // a public statement or press release
	ActionReferral        = "referral"          // referred to a mechanism (treaty body, special procedure...)
	ActionOther           = "other"
)

// ActionKinds lists the kinds of action in the order forms show them.
var ActionKinds = []string{ActionCommunication, ActionRaisedWithState, ActionPublicStatement, ActionReferral, ActionOther}

// The stances of a State's response.
const (
	StanceDenies       = "denies"
	StanceAcknowledges = "acknowledges"
	StanceInvestigates = "investigates"
	StanceOther        = "other" // another position, or none taken
)

// Stances lists a response's stances in the order forms show them.
var Stances = []string{StanceDenies, StanceAcknowledges, StanceInvestigates, StanceOther}

// Annexes of the Secretary-General's report: I new cases, II follow-up.
var Annexes = []string{"I", "II"}

// The kinds of link between two cases.
const (
	LinkSame      = "same"      // the same person or event: another source
	LinkDuplicate = "duplicate" // a duplicate of the other case
)

// LinkKinds lists the kinds of link.
var LinkKinds = []string{LinkSame, LinkDuplicate}

// Limits on an entry's fields, in characters.
const (
	MaxSymbol       = 100  // a reference symbol: "AL BLR 1/2026", "A/HRC/60/62"
	MaxEntrySummary = 2000 // an action's or a response's summary
	MaxParagraph    = 20   // a paragraph number or range in a report
)

// DateLayout is the layout of every entry date (YYYY-MM-DD).
const DateLayout = "2006-01-02"

// Action is a UN action taken on the case.
type Action struct {
	Kind string `json:"kind"` // one of ActionKinds
	Date string `json:"date"` // YYYY-MM-DD
	// Symbol is the action's reference symbol, if it has one (a special
	// procedures communication: "AL BLR 1/2026").
	Symbol  string `json:"symbol,omitempty"`
	Summary string `json:"summary,omitempty"`
}

// Response is the State's response to the UN.
type Response struct {
	Date    string `json:"date"` // YYYY-MM-DD
	Stance  string `json:"stance"`
	Summary string `json:"summary,omitempty"`
}

// Published says the case appears in a report of the Secretary-General.
type Published struct {
	Report    string `json:"report"` // the report's symbol: "A/HRC/60/62"
	Annex     string `json:"annex"`  // "I" or "II"
	Paragraph string `json:"paragraph,omitempty"`
	// Date is the report's date (its publication), YYYY-MM-DD: what tells
	// a publication in an earlier report from one in the report being
	// drafted. Every publication sealed now has one (ValidateNew); one
	// sealed before the field existed has none, and opens (Validate) as
	// an undated publication: see sgreport for how the drafts read it.
	Date string `json:"date,omitempty"`
}

// Link links the case to another case, or (Undo) withdraws an earlier
// link of the same kind to the same case.
type Link struct {
	Kind  string `json:"kind"`  // one of LinkKinds
	Other string `json:"other"` // the other case's reference
	// Undo withdraws the link of Kind to Other: the cases are no longer
	// the same person or event (or this one no longer a duplicate).
	Undo bool `json:"undo,omitempty"`
	// At is when the handler's client sealed the link or its undoing
	// (UTC): of a pair's links and undoings, the latest At is in force
	// (LinkSet), whatever order the server lists the notes in. Links
	// sealed before the field existed have none and count as the
	// earliest; every undoing has one.
	At time.Time `json:"at,omitzero"`
}

// ErrEntry is an entry that is not well formed; the EntryError says why.
var ErrEntry = errors.New("envelope: not a well-formed entry")

// EntryError names the field of an entry that is wrong. It matches
// ErrEntry. Field is a JSON name ("action.date"); Problem a short English
// phrase ("required", "not a date", "too long", "not a choice", "control
// character").
type EntryError struct{ Field, Problem string }

func (e *EntryError) Error() string { return fmt.Sprintf("envelope: entry %s: %s", e.Field, e.Problem) }

// Is makes errors.Is(err, ErrEntry) true.
func (e *EntryError) Is(target error) bool { return target == ErrEntry }

// Member names the member set ("action", "response", "published",
// "link"), or "" when there is not exactly one.
func (e Entry) Member() string {
	var names []string
	if e.Action != nil {
		names = append(names, "action")
	}
	if e.Response != nil {
		names = append(names, "response")
	}
	if e.Published != nil {
		names = append(names, "published")
	}
	if e.Link != nil {
		names = append(names, "link")
	}
	if len(names) != 1 {
		return ""
	}
	return names[0]
}

// Validate checks an entry whole: exactly one member, known kinds, dates
// that are dates, bounded fields without control characters (a summary
// may hold newlines and tabs).
func (e Entry) Validate() error {
	switch e.Member() {
	case "action":
		a := e.Action
		return first(
			choice("action.kind", a.Kind, ActionKinds),
			date("action.date", a.Date),
			line("action.symbol", a.Symbol, MaxSymbol, false),
			text("action.summary", a.Summary, MaxEntrySummary, a.Kind == ActionOther),
		)
	case "response":
		r := e.Response
		return first(
			date("response.date", r.Date),
			choice("response.stance", r.Stance, Stances),
			text("response.summary", r.Summary, MaxEntrySummary, false),
		)
	case "published":
		p := e.Published
		var when error
		if p.Date != "" {
			when = date("published.date", p.Date)
		}
		return first(
			line("published.report", p.Report, MaxSymbol, true),
			choice("published.annex", p.Annex, Annexes),
			line("published.paragraph", p.Paragraph, MaxParagraph, false),
			when,
		)
	case "link":
		l := e.Link
		if err := choice("link.kind", l.Kind, LinkKinds); err != nil {
			return err
		}
		if !ValidReference(l.Other) {
			return &EntryError{"link.other", "not a case reference"}
		}
		if l.At.IsZero() && l.Undo {
			return &EntryError{"link.at", "required"}
		}
		if !l.At.IsZero() && (l.At.Year() < 2000 || l.At.Year() > 9999 || l.At.Location() != time.UTC) {
			return &EntryError{"link.at", "not a date"}
		}
		return nil
	}
	return &EntryError{"entry", "not exactly one of action, response, published, link"}
}

// ValidateNew checks an entry about to be sealed: Validate, and the
// fields that entries sealed before them lack are required (a
// publication's date, a link's time). Entries are sealed only if they
// pass it (SealEntry); opened ones need only pass Validate.
func (e Entry) ValidateNew() error {
	if err := e.Validate(); err != nil {
		return err
	}
	switch {
	case e.Published != nil && e.Published.Date == "":
		return &EntryError{"published.date", "required"}
	case e.Link != nil && e.Link.At.IsZero():
		return &EntryError{"link.at", "required"}
	}
	return nil
}

func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func choice(field, v string, of []string) error {
	for _, c := range of {
		if v == c {
			return nil
		}
	}
	if v == "" {
		return &EntryError{field, "required"}
	}
	return &EntryError{field, "not a choice"}
}

// date accepts a calendar date YYYY-MM-DD from 1946 (the UN's first
// year of work) to 9999.
func date(field, v string) error {
	if v == "" {
		return &EntryError{field, "required"}
	}
	d, err := time.Parse(DateLayout, v)
	if err != nil || d.Year() < 1946 {
		return &EntryError{field, "not a date"}
	}
	return nil
}

func line(field, v string, max int, required bool) error { return str(field, v, max, required, false) }
func text(field, v string, max int, required bool) error { return str(field, v, max, required, true) }

func str(field, v string, max int, required, multiline bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return &EntryError{field, "required"}
	case !utf8.ValidString(v):
		return &EntryError{field, "not UTF-8"}
	case utf8.RuneCountInString(v) > max:
		return &EntryError{field, "too long"}
	}
	for _, r := range v {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if controlRune(r) {
			return &EntryError{field, "control character"}
		}
	}
	return nil
}

// controlRune is a rune that can change how a terminal or a text layout
// shows what follows it (the runes handlerapi.Safe escapes): C0, DEL,
// C1, bidirectional controls, line and paragraph separators, BOM and
// interlinear annotations.
func controlRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff, r == 0xfff9, r == 0xfffa, r == 0xfffb:
		return true
	}
	return false
}

// actionNames and stanceNames word kinds in English for Summary.
var (
	actionNames = map[string]string{
		ActionCommunication:   "communication by a special procedure",
		ActionRaisedWithState: "raised with the State",
		ActionPublicStatement: "public statement",
		ActionReferral:        "referral to a mechanism",
		ActionOther:           "other action",
	}
	stanceNames = map[string]string{
		StanceDenies:       "denies",
		StanceAcknowledges: "acknowledges",
		StanceInvestigates: "investigates",
		StanceOther:        "other or no position",
	}
)

// Summary is a short English line for a reader that knows no entries
// (it is sealed as the note's Text): "UN action: raised with the State,
// 2026-03-14, AL BLR 1/2026: ...". e must be valid.
func (e Entry) Summary() string {
	var b strings.Builder
	switch {
	case e.Action != nil:
		a := e.Action
		fmt.Fprintf(&b, "UN action: %s, %s", actionNames[a.Kind], a.Date)
		if a.Symbol != "" {
			fmt.Fprintf(&b, ", %s", a.Symbol)
		}
		if a.Summary != "" {
			fmt.Fprintf(&b, ": %s", a.Summary)
		}
	case e.Response != nil:
		r := e.Response
		fmt.Fprintf(&b, "State response, %s (%s)", r.Date, stanceNames[r.Stance])
		if r.Summary != "" {
			fmt.Fprintf(&b, ": %s", r.Summary)
		}
	case e.Published != nil:
		p := e.Published
		fmt.Fprintf(&b, "Published in %s, annex %s", p.Report, p.Annex)
		if p.Paragraph != "" {
			fmt.Fprintf(&b, ", paragraph %s", p.Paragraph)
		}
		if p.Date != "" {
			fmt.Fprintf(&b, ", %s", p.Date)
		}
	case e.Link != nil:
		l := e.Link
		switch {
		case l.Kind == LinkDuplicate && l.Undo:
			fmt.Fprintf(&b, "No longer a duplicate of case %s", l.Other)
		case l.Kind == LinkDuplicate:
			fmt.Fprintf(&b, "Duplicate of case %s", l.Other)
		case l.Undo:
			fmt.Fprintf(&b, "No longer the same person or event as case %s", l.Other)
		default:
			fmt.Fprintf(&b, "Same person or event as case %s", l.Other)
		}
	}
	return b.String()
}

// SealEntry returns the plaintext to seal for a structured entry on case
// ref: a team note (kind "note") with the entry and its Summary as the
// text. An entry that is not valid for sealing is refused (ErrEntry,
// ValidateNew).
func SealEntry(ref, author string, e Entry) ([]byte, error) {
	if err := e.ValidateNew(); err != nil {
		return nil, err
	}
	return marshalJSON(Note{Version: Version, Kind: KindNote, Reference: ref, Author: author, Text: e.Summary(), Entry: &e})
}
