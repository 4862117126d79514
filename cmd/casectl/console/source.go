package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework/handlerapi"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
)

// Limits on what the console loads.
const (
	// MaxCases bounds the inbox: a team with more cases sees the newest.
	MaxCases = 50_000
	// fetchPage is the page size asked of the server when loading the
	// inbox (its maximum).
	fetchPage = 500
)

// Source is the console's view of the team's cases: fetched through the
// handler API and decrypted in memory with the handler's identities. It
// owns every decrypted buffer and zeroes them on Wipe.
type Source struct {
	api     *handlerapi.Client
	ids     []age.Identity
	rosters *rosterBook

	mu     sync.RWMutex
	team   handlerapi.Team
	cases  []*Case // newest first
	byRef  map[string]*Case
	seen   map[string]int64 // per case, the newest follow-up opened here
	loaded time.Time
}

// NewSource returns a source reading through api (logged in), decrypting
// with ids, and encrypting notes and replies only to the team rosters
// verified against the roster keys pinned in pinsPath (casectl's pin
// file).
func NewSource(api *handlerapi.Client, ids []age.Identity, pinsPath string) *Source {
	return &Source{api: api, ids: ids, rosters: newRosterBook(api, pinsPath), byRef: map[string]*Case{}, seen: map[string]int64{}}
}

// Case is one case: its clear metadata and, when this identity can open
// it, the decrypted report and the summary a handler triages by.
type Case struct {
	Meta handlerapi.CaseMeta
	// Problem says why the report is not shown ("" when it is).
	Problem string
	Env     intake.Envelope
	Summary Summary
	// LastFollowUp is the id of the newest reporter follow-up (0: none).
	LastFollowUp int64
	FollowUps    int

	replyTo string // the reporter's reply recipient, as the server names it

	text []byte // lower-cased searchable text, owned; zeroed on wipe
}

// Readable reports whether the report was decrypted.
func (c *Case) Readable() bool { return c.Problem == "" }

// Summary is what the inbox shows of a decrypted report.
type Summary struct {
	State           string   // ISO 3166-1 code, "" when the report has none
	Who             []string // victims' names
	Group           bool     // one of the victims is a group or organisation
	IncidentTypes   []string // keys, each once
	UNBody          string   // key
	ImmediateDanger string   // yes, no, unsure
	Language        string
	Publication     string // the consent to publication, a key
}

// Problems a case can have instead of a report.
const (
	problemNotForYou = "Not encrypted to your identity yet: a colleague who can read it runs a rekey."
	problemTampered  = "The server sent content that does not belong to this case. Do not trust it; tell your security focal point."
	problemBroken    = "The case could not be decrypted or read."
)

// Handler and Team name the signed-in handler.
func (s *Source) Handler() string { s.mu.RLock(); defer s.mu.RUnlock(); return s.team.Handler }

// Team is the handler's team.
func (s *Source) Team() string { s.mu.RLock(); defer s.mu.RUnlock(); return s.team.Team }

// Workflow returns the team's workflow: statuses, urgencies, reasons.
func (s *Source) Workflow() handlerapi.Team { s.mu.RLock(); defer s.mu.RUnlock(); return s.team }

// Load fetches the team's workflow and every case with its ciphertext, a
// page at a time (GET /inbox), and decrypts them on every core. What was
// loaded before is wiped.
func (s *Source) Load(ctx context.Context) error {
	team, err := s.api.Team(ctx)
	if err != nil {
		return err
	}
	var sealed []Sealed
	for page := 1; len(sealed) < MaxCases; page++ {
		p, err := s.api.Inbox(ctx, page, fetchPage)
		if err != nil {
			return err
		}
		for _, c := range p.Cases {
			sealed = append(sealed, Sealed{Meta: c.CaseMeta, Ciphertext: c.Ciphertext, ReplyTo: c.ReplyRecipient,
				FollowUps: c.FollowUps, LastFollowUp: c.LastFollowUp})
		}
		if len(p.Cases) == 0 || page*p.PerPage >= p.Total {
			break
		}
	}
	s.replace(team, OpenCases(sealed, s.ids))
	return nil
}

// replace installs a freshly loaded inbox, wiping the old one.
func (s *Source) replace(team handlerapi.Team, cases []*Case) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cases {
		c.wipe()
	}
	s.team, s.cases, s.byRef, s.loaded = team, cases, make(map[string]*Case, len(cases)), time.Now()
	for _, c := range cases {
		s.byRef[c.Meta.Reference] = c
	}
}

// fetch gets one case and its notes (encrypted), and decrypts the case.
func (s *Source) fetch(ctx context.Context, ref string) (*Case, []handlerapi.Note, error) {
	cs, err := s.api.Case(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	notes, err := s.api.Notes(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	c := OpenCase(cs.CaseMeta, cs.Ciphertext, s.ids)
	if c.Meta.Reference != ref {
		c.Problem = problemTampered
	}
	c.replyTo = cs.ReplyRecipient
	for _, n := range notes {
		if n.Kind == "followup" {
			c.FollowUps++
			c.LastFollowUp = max(c.LastFollowUp, n.ID)
		}
	}
	return c, notes, nil
}

// OpenCase decrypts a case's ciphertext with ids and builds its summary.
// A ciphertext that is not this case's report (another reference, another
// kind) is refused and marked, never shown.
func OpenCase(meta handlerapi.CaseMeta, ciphertext []byte, ids []age.Identity) *Case {
	c := &Case{Meta: meta}
	plain, err := crypto.Open(ciphertext, ids...)
	var nm *age.NoIdentityMatchError
	switch {
	case errors.As(err, &nm):
		c.Problem = problemNotForYou
		return c
	case err != nil:
		c.Problem = problemBroken
		return c
	}
	// The envelope's strings are copies: the decrypted bytes are zeroed
	// at once.
	err = json.Unmarshal(plain, &c.Env)
	clear(plain)
	if err != nil {
		c.wipe()
		c.Problem = problemBroken
		return c
	}
	if c.Env.Kind != "report" || c.Env.Reference != meta.Reference {
		c.wipe()
		c.Env = intake.Envelope{}
		c.Problem = problemTampered
		return c
	}
	c.Summary = summarise(&c.Env.Report)
	c.text = searchText(meta, &c.Env)
	return c
}

// wipe zeroes the buffers the case owns and drops its decrypted content.
func (c *Case) wipe() {
	clear(c.text)
	c.text = nil
	c.Env = intake.Envelope{}
	c.Summary = Summary{}
}

func summarise(r *intake.Report) Summary {
	s := Summary{
		State: reportState(r), UNBody: r.Cooperation.Body, ImmediateDanger: r.Risk.ImmediateDanger,
		Language: r.Language, Publication: r.Consent.Publication,
	}
	seen := map[string]bool{}
	for _, v := range r.Victims {
		s.Who = append(s.Who, v.Name)
		s.Group = s.Group || v.Kind == "group"
	}
	for _, in := range r.Incidents {
		for _, t := range in.Types {
			if !seen[t] {
				seen[t] = true
				s.IncidentTypes = append(s.IncidentTypes, t)
			}
		}
	}
	return s
}

// searchText is every text of the report and the case's clear fields,
// lower-cased, for full-text search in memory.
func searchText(meta handlerapi.CaseMeta, env *intake.Envelope) []byte {
	b := make([]byte, 0, 4096)
	for _, s := range []string{meta.Reference, meta.Status, meta.StatusName, meta.Urgency, meta.Assignee, meta.Channel} {
		b = append(b, s...)
		b = append(b, '\n')
	}
	b = appendStrings(b, reflect.ValueOf(env.Report))
	if env.Intermediary != nil {
		b = appendStrings(b, reflect.ValueOf(*env.Intermediary))
	}
	lower := bytes.ToLower(b)
	clear(b)
	return lower
}

// appendStrings appends every string in v (a struct of strings, string
// lists and such structs), one per line.
func appendStrings(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			b = append(b, v.String()...)
			b = append(b, '\n')
		}
	case reflect.Struct:
		for i := range v.NumField() {
			b = appendStrings(b, v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			b = appendStrings(b, v.Index(i))
		}
	}
	return b
}

// Wipe drops every decrypted case, zeroing the buffers the source owns.
func (s *Source) Wipe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cases {
		c.wipe()
	}
	s.cases, s.byRef = nil, map[string]*Case{}
	runtime.GC()
}

// Loaded says when the inbox was last loaded (zero: never).
func (s *Source) Loaded() time.Time { s.mu.RLock(); defer s.mu.RUnlock(); return s.loaded }

// Lookup returns a loaded case.
func (s *Source) Lookup(ref string) (*Case, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.byRef[ref]
	return c, ok
}

// Unread reports whether the case has a follow-up not yet opened here.
func (s *Source) Unread(c *Case) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return c.LastFollowUp > s.seen[c.Meta.Reference]
}

// MarkRead records that the case's follow-ups up to id were opened.
func (s *Source) MarkRead(ref string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[ref] = max(s.seen[ref], id)
}

// Refresh fetches one case again (to show it, or after an action),
// replaces it in the inbox and returns it with its encrypted notes.
func (s *Source) Refresh(ctx context.Context, ref string) (*Case, []handlerapi.Note, error) {
	c, notes, err := s.fetch(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byRef[ref]; ok {
		for i := range s.cases {
			if s.cases[i] == old {
				s.cases[i] = c
			}
		}
		// Only the owned buffer: a page being rendered may still read
		// the old case's fields.
		clear(old.text)
	} else {
		s.cases = append([]*Case{c}, s.cases...)
	}
	s.byRef[ref] = c
	return c, notes, nil
}

// Snapshot returns the loaded cases, newest first.
func (s *Source) Snapshot() []*Case {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Case(nil), s.cases...)
}

// Sealed is a case as the server sends it: clear metadata, ciphertext and
// what the console needs besides.
type Sealed struct {
	Meta         handlerapi.CaseMeta
	Ciphertext   []byte
	ReplyTo      string
	FollowUps    int
	LastFollowUp int64
}

// OpenCases decrypts many cases at once, on every core, keeping their
// order.
func OpenCases(list []Sealed, ids []age.Identity) []*Case {
	out := make([]*Case, len(list))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= len(list) {
					return
				}
				sc := &list[j]
				c := OpenCase(sc.Meta, sc.Ciphertext, ids)
				c.replyTo, c.FollowUps, c.LastFollowUp = sc.ReplyTo, sc.FollowUps, sc.LastFollowUp
				out[j] = c
			}
		}()
	}
	wg.Wait()
	return out
}
