package console

import (
	"bytes"
	"context"
	"reflect"
	"runtime"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
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
	own     []string          // the handler's own recipients
	signing crypto.SigningKey // signs replies (zero: none)
	rosters *rosterBook

	mu     sync.RWMutex
	team   handlerapi.Team
	cases  []*Case // newest first
	byRef  map[string]*Case
	seen   map[string]int64 // per case, the newest follow-up opened here
	loaded time.Time
	gen    uint64 // counts every change to cases, for what is computed from them

	// junkMu guards junk, the signs of junk computed for one generation
	// (junk.go); it is taken before mu, never while holding it.
	junkMu sync.Mutex
	junk   *junkIndex

	// The background part of a load.
	total       int
	cancel      context.CancelFunc
	done        chan struct{}
	fetchFailed bool
	malformed   int // cases left out: the server sent a malformed reference
}

// NewSource returns a source reading through api (logged in), decrypting
// with ids, and encrypting notes and replies only to the team rosters
// verified against the roster keys pinned in pinsPath (casectl's pin
// file).
func NewSource(api *handlerapi.Client, ids []age.Identity, pinsPath string) *Source {
	return &Source{api: api, ids: ids, rosters: newRosterBook(api, pinsPath), byRef: map[string]*Case{}, seen: map[string]int64{}}
}

// SetSigningKey gives the console the handler's signing key, with which
// replies are signed (desk.Desk.Signing); without one, replies are
// refused.
func (s *Source) SetSigningKey(k crypto.SigningKey) { s.signing = k }

// Case is one case: its clear metadata and, when this identity can open
// it, the decrypted report and the summary a handler triages by.
type Case struct {
	Meta handlerapi.CaseMeta
	// Problem says why the report is not shown ("" when it is).
	Problem string
	Env     envelope.Case
	Summary Summary
	// LastFollowUp is the id of the newest reporter follow-up (0: none).
	LastFollowUp int64
	FollowUps    int

	pending bool // fetched, not decrypted yet

	// entries are the case's structured entries (actions, responses,
	// publications, links) from its sealed notes; entriesOK says they
	// were read (by Refresh or loadEntries).
	entries   []sgreport.Entry
	entriesOK bool

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
	problemPending   = "Still decrypting…"
	problemTooBig    = "This case could not be fetched: it is larger than the console accepts, or the server did not send it. The rest of the inbox is not affected."
	problemMalformed = "The server sent this case's fields malformed, so it is not opened. Do not trust the server's list; tell your security focal point."
)

// Handler and Team name the signed-in handler.
func (s *Source) Handler() string { s.mu.RLock(); defer s.mu.RUnlock(); return s.team.Handler }

// Team is the handler's team.
func (s *Source) Team() string { s.mu.RLock(); defer s.mu.RUnlock(); return s.team.Team }

// Workflow returns the team's workflow: statuses, urgencies, reasons.
func (s *Source) Workflow() handlerapi.Team { s.mu.RLock(); defer s.mu.RUnlock(); return s.team }

// Load fetches the team's workflow and the newest page of cases (GET
// /inbox, with their ciphertexts), decrypts the first screenful at once
// and returns: the inbox can be shown. The rest of that page, and the
// following pages, are fetched and decrypted on every core in the
// background; until then those cases are listed with their clear fields
// only. WaitLoaded waits for the end. What was loaded before is wiped.
func (s *Source) Load(ctx context.Context) error {
	endGC := raiseGC() // until the background ends (raiseGC)
	team, err := s.api.Team(ctx)
	if err != nil {
		endGC()
		return err
	}
	first, err := s.api.Inbox(ctx, "", fetchPage)
	if err != nil {
		endGC()
		return err
	}
	s.fillOmitted(ctx, &first)
	s.mu.Lock()
	s.malformed = 0
	s.mu.Unlock()
	sealed := s.toSealed(first.Cases)
	n := min(len(sealed), firstScreen)
	cases := OpenCases(sealed[:n], s.ids)
	for _, sc := range sealed[n:] {
		cases = append(cases, pendingCase(sc))
	}
	bg, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	s.stopLocked()
	for _, c := range s.cases {
		c.wipe()
	}
	s.team, s.cases, s.byRef, s.loaded = team, cases, make(map[string]*Case, len(cases)), time.Now()
	s.gen++
	for _, c := range cases {
		s.byRef[c.Meta.Reference] = c
	}
	s.total, s.cancel, s.done, s.fetchFailed = min(first.Total, MaxCases), cancel, done, false
	s.mu.Unlock()
	s.dropJunk()
	go s.background(bg, done, endGC, sealed[n:], len(first.Cases), first.Next)
	return nil
}

// firstScreen is how many of the newest cases Load decrypts before it
// returns: the inbox's first page.
const firstScreen = perPage

// decryptChunk is how many cases the background decrypts between two
// installs into the inbox.
const decryptChunk = 500

// background decrypts rest, then fetches and decrypts the following pages,
// installing each chunk into the inbox as it is ready. It stops when ctx
// is cancelled (a new Load, Wipe); a fetch error ends it, and the inbox
// says that cases are missing. It calls endGC when it ends.
func (s *Source) background(ctx context.Context, done chan struct{}, endGC func(), rest []Sealed, fetched int, next string) {
	defer close(done)
	defer endGC() // first: the collector's default is back when done closes
	decrypt := func(list []Sealed) bool {
		for len(list) > 0 && ctx.Err() == nil {
			n := min(len(list), decryptChunk)
			s.install(ctx, OpenCases(list[:n], s.ids), false)
			list = list[n:]
		}
		return ctx.Err() == nil
	}
	// The next page is fetched while this one is decrypted: the server's
	// and the network's share of the time overlaps with the cores' work.
	pages := make(chan handlerapi.InboxPage, 1)
	failed := make(chan struct{})
	go func() {
		defer close(pages)
		// Each page names the next (bounded by bytes as well as by
		// count); a page holds at least one case, and Total is bounded,
		// so this ends.
		for next != "" && fetched < s.Total() {
			p, err := s.api.Inbox(ctx, next, fetchPage)
			if err == nil {
				s.fillOmitted(ctx, &p)
			}
			if err != nil || len(p.Cases) == 0 {
				close(failed)
				return
			}
			fetched, next = fetched+len(p.Cases), p.Next
			select {
			case pages <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	if !decrypt(rest) {
		return
	}
	for p := range pages {
		sealed := s.toSealed(p.Cases)
		pending := make([]*Case, len(sealed))
		for i, sc := range sealed {
			pending[i] = pendingCase(sc)
		}
		s.install(ctx, pending, true)
		if !decrypt(sealed) {
			return
		}
	}
	select {
	case <-failed:
		s.mu.Lock()
		s.fetchFailed = ctx.Err() == nil
		s.mu.Unlock()
	default:
	}
}

// install puts decrypted cases in place of their pending entries, or
// (add) appends newly fetched pending ones; a cancelled load's are wiped.
func (s *Source) install(ctx context.Context, list []*Case, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		for _, c := range list {
			c.wipe()
		}
		return
	}
	s.gen++
	if add {
		for _, c := range list {
			if _, dup := s.byRef[c.Meta.Reference]; !dup {
				s.cases = append(s.cases, c)
				s.byRef[c.Meta.Reference] = c
			}
		}
		return
	}
	swap := make(map[*Case]*Case, len(list))
	for _, c := range list {
		if old, ok := s.byRef[c.Meta.Reference]; ok && old.pending {
			swap[old] = c
			s.byRef[c.Meta.Reference] = c
		} else {
			c.wipe() // refreshed meanwhile: the fresher one stays
		}
	}
	for i, c := range s.cases {
		if n, ok := swap[c]; ok {
			s.cases[i] = n
		}
	}
}

// stopLocked cancels a background load; the caller holds mu.
func (s *Source) stopLocked() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// WaitLoaded waits until the background load has finished (or ctx ends).
func (s *Source) WaitLoaded(ctx context.Context) error {
	s.mu.RLock()
	done := s.done
	s.mu.RUnlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Progress says how many cases are decrypted (or found unreadable), how
// many the team has, and whether fetching some of them failed.
func (s *Source) Progress() (ready, total int, failed bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.cases {
		if !c.pending {
			ready++
		}
	}
	return ready, max(s.total, len(s.cases)), s.fetchFailed
}

// Total is how many cases the team has, as the server said at Load.
func (s *Source) Total() int { s.mu.RLock(); defer s.mu.RUnlock(); return s.total }

// toSealed takes a page of the inbox as the server sent it, with the
// checks casectl cases makes (desk.Screen): a case whose
// fixed-format fields are malformed keeps only its reference and is
// marked, never decrypted; one whose reference itself is malformed is
// left out and counted (it could not be named or linked), so one bad
// case never stops the inbox.
func (s *Source) toSealed(list []handlerapi.InboxCase) []Sealed {
	out := make([]Sealed, 0, len(list))
	bad := 0
	for _, c := range list {
		switch desk.Screen(c.CaseMeta) {
		case desk.LeftOut:
			bad++
			continue
		case desk.Malformed:
			out = append(out, Sealed{Meta: handlerapi.CaseMeta{Reference: c.Reference}, malformed: true})
			continue
		}
		if c.CiphertextOmitted {
			// Too big for a page, and fetching it alone failed too
			// (fillOmitted): listed as such; the rest of the inbox works.
			out = append(out, Sealed{Meta: c.CaseMeta, FollowUps: c.FollowUps,
				LastFollowUp: c.LastFollowUp, problem: problemTooBig})
			continue
		}
		out = append(out, Sealed{Meta: c.CaseMeta, Ciphertext: c.Ciphertext,
			FollowUps: c.FollowUps, LastFollowUp: c.LastFollowUp})
	}
	if bad > 0 {
		s.mu.Lock()
		s.malformed += bad
		s.mu.Unlock()
	}
	return out
}

// fillOmitted fetches alone each case that a page left without its
// ciphertext (larger than a page may carry). One that cannot be fetched
// (too large for the client's limit, or the server fails) stays omitted
// and is listed as such by toSealed: it never stops the inbox. A case
// answered for another reference is refused the same way.
func (s *Source) fillOmitted(ctx context.Context, p *handlerapi.InboxPage) {
	for i := range p.Cases {
		cs := &p.Cases[i]
		if !cs.CiphertextOmitted || ctx.Err() != nil {
			continue
		}
		full, err := s.api.Case(ctx, cs.Reference)
		if err != nil || full.Reference != cs.Reference || len(full.Ciphertext) == 0 {
			continue
		}
		cs.Ciphertext, cs.CiphertextOmitted = full.Ciphertext, false
	}
}

// Malformed is how many cases of the last load the server sent with a
// malformed reference (left out of the inbox).
func (s *Source) Malformed() int { s.mu.RLock(); defer s.mu.RUnlock(); return s.malformed }

// pendingCase is a fetched case not decrypted yet: its clear fields only.
func pendingCase(sc Sealed) *Case {
	return &Case{Meta: sc.Meta, Problem: problemPending, pending: true,
		FollowUps: sc.FollowUps, LastFollowUp: sc.LastFollowUp}
}

// fetch gets one case (desk.Fetch: the answer and the sealed report must
// both be case ref, the reference asked for) and its notes (encrypted).
// Of another case in its place nothing is decrypted, kept, shown or
// searched; the reply key is never taken from here (desk's reply reads
// the one sealed in the report).
func (s *Source) fetch(ctx context.Context, ref string) (*Case, []handlerapi.Note, error) {
	cs, env, plain, err := desk.Fetch(ctx, s.api, ref, s.ids)
	clear(plain)
	if err != nil && desk.Refusal(err) == nil {
		return nil, nil, err
	}
	notes, nerr := s.api.Notes(ctx, ref)
	if nerr != nil {
		return nil, nil, nerr
	}
	meta := cs.CaseMeta
	meta.Reference = ref // of an answer for another case, only the clear fields
	c := newCase(meta, env, err)
	if c.Readable() {
		c.entries, c.entriesOK = reportEntries(ref, notes, s.ids), true
	}
	for _, n := range notes {
		if n.Kind == "followup" {
			c.FollowUps++
			c.LastFollowUp = max(c.LastFollowUp, n.ID)
		}
	}
	return c, notes, nil
}

// openCase opens a case's report with desk.OpenReport, the one path by
// which casectl and the console open a report, checked against the
// reference the inbox lists it under, and builds its summary. A
// ciphertext that is not this case's report (another reference, another
// kind) is refused and marked, never shown.
func openCase(meta handlerapi.CaseMeta, ciphertext []byte, ids []age.Identity) *Case {
	// The envelope's strings are copies: the decrypted bytes are zeroed
	// at once.
	env, plain, err := desk.OpenReport(ciphertext, meta.Reference, ids)
	clear(plain)
	return newCase(meta, env, err)
}

// newCase is a case with its opened report, or the problem that err
// (desk.OpenReport's refusal) names.
func newCase(meta handlerapi.CaseMeta, env envelope.Case, err error) *Case {
	c := &Case{Meta: meta}
	if err != nil {
		c.Problem = problemOf(err)
		return c
	}
	c.Env = env
	c.Summary = summarise(&c.Env.Report)
	c.text = searchText(meta, &c.Env)
	return c
}

// problemOf says, as the console shows it, why desk refused to open a
// case (desk.Refusal): the same classes casectl names. Any other error
// (the server's, the network's) is shown as a case that could not be
// read.
func problemOf(err error) string {
	switch desk.Refusal(err) {
	case desk.ErrNotForYou:
		return problemNotForYou
	case desk.ErrMoved:
		return problemTampered
	}
	return problemBroken
}

// wipe zeroes the buffers the case owns and drops its decrypted content.
func (c *Case) wipe() {
	clear(c.text)
	c.text = nil
	c.Env = envelope.Case{}
	c.Summary = Summary{}
}

func summarise(r *envelope.Report) Summary {
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
func searchText(meta handlerapi.CaseMeta, env *envelope.Case) []byte {
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
	s.stopLocked()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done // the background stops at its next chunk
	}
	s.mu.Lock()
	for _, c := range s.cases {
		c.wipe()
	}
	s.cases, s.byRef = nil, map[string]*Case{}
	s.gen++
	s.mu.Unlock()
	s.dropJunk()
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
	s.gen++
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

// updateMeta puts the clear metadata a change returned (for the case
// asked for, already checked) in place of a loaded case's, as a new copy:
// a page being rendered may still read the old one. It reports whether the
// case was loaded.
func (s *Source) updateMeta(ref string, m handlerapi.CaseMeta) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byRef[ref]
	if !ok || m.Reference != ref {
		return false
	}
	c := *old
	c.Meta = m
	if old.text != nil {
		c.text = searchText(m, &old.Env)
		clear(old.text)
	}
	for i := range s.cases {
		if s.cases[i] == old {
			s.cases[i] = &c
		}
	}
	s.byRef[ref] = &c
	s.gen++
	return true
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
	FollowUps    int
	LastFollowUp int64

	malformed bool   // the server's fields for it failed the checks
	problem   string // why it could not be fetched ("" when it was)
}

// OpenCases opens many cases at once (each with desk.OpenReport, against
// the reference it is listed under), on every core, keeping their order.
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
				if sc.malformed {
					out[j] = &Case{Meta: sc.Meta, Problem: problemMalformed}
					continue
				}
				if sc.problem != "" {
					out[j] = &Case{Meta: sc.Meta, Problem: sc.problem, FollowUps: sc.FollowUps, LastFollowUp: sc.LastFollowUp}
					continue
				}
				c := openCase(sc.Meta, sc.Ciphertext, ids)
				c.FollowUps, c.LastFollowUp = sc.FollowUps, sc.LastFollowUp
				out[j] = c
			}
		}()
	}
	wg.Wait()
	return out
}
