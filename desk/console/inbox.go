package console

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

// perPage is how many cases an inbox page shows.
const perPage = 100

// maxQuery bounds the search text, in bytes.
const maxQuery = 200

// Filter is the inbox's filter, sort order and page, from the query.
type Filter struct {
	Query    string // full-text, case-insensitive
	State    string
	Urgency  string // U1..U4, or "none"
	Status   string
	Assignee string // a name, or "-" for unassigned
	Unread   bool
	Junk     string // a junk filter's key (junkKinds), or ""
	Sort     string // urgent (the default: U1 and U2 first, then newest), received (newest first), -received, urgency, deadline, status, state
	Page     int
}

// sorts are the inbox's sort orders, in the menu's order.
var sorts = []string{"urgent", "received", "-received", "urgency", "deadline", "status", "state"}

// defaultSort is the inbox's order when none is asked: cases at imminent
// risk (U1, then U2) are never below calmer ones.
const defaultSort = "urgent"

// sortLabels name the sort orders.
var sortLabels = map[string]string{
	"urgent": "U1 and U2 first, then newest", "received": "Newest first", "-received": "Oldest first", "urgency": "Most urgent first",
	"deadline": "Next deadline first", "status": "Status", "state": "State concerned",
}

// parseFilter reads a filter from a query, bounding every value.
func parseFilter(q url.Values) Filter {
	clip := func(s string) string {
		s = strings.TrimSpace(s)
		if len(s) > maxQuery {
			// Cut at a character boundary, and trim again: a cut that
			// ends in a space would not survive the next parse.
			cut := maxQuery
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = strings.TrimSpace(s[:cut])
		}
		return s
	}
	f := Filter{Query: clip(q.Get("q")), State: clip(q.Get("state")), Urgency: clip(q.Get("urgency")),
		Status: clip(q.Get("status")), Assignee: clip(q.Get("assignee")), Unread: q.Get("unread") == "1", Junk: q.Get("junk"), Sort: q.Get("sort")}
	if junkFlag(f.Junk) == 0 {
		f.Junk = ""
	}
	if !slices.Contains(sorts, f.Sort) {
		f.Sort = defaultSort
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 || f.Page > MaxCases/perPage+1 {
		f.Page = 1
	}
	return f
}

// query returns the filter as a query string for page p.
func (f Filter) query(p int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Query, "state": f.State, "urgency": f.Urgency, "status": f.Status, "assignee": f.Assignee, "junk": f.Junk} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Unread {
		v.Set("unread", "1")
	}
	if f.Sort != defaultSort {
		v.Set("sort", f.Sort)
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// Select returns the loaded cases that match f, in f's order.
func (s *Source) Select(f Filter) []*Case {
	var signs *junkIndex
	want := junkFlag(f.Junk)
	if want != 0 {
		signs = s.junkSigns()
	}
	return s.selectWith(f, signs)
}

// selectWith is Select with the junk signs already computed.
func (s *Source) selectWith(f Filter, signs *junkIndex) []*Case {
	want := junkFlag(f.Junk)
	s.mu.RLock()
	defer s.mu.RUnlock()
	words := strings.Fields(strings.ToLower(f.Query))
	var out []*Case
	for _, c := range s.cases {
		if f.State != "" && c.Summary.State != f.State ||
			f.Urgency != "" && c.Meta.Urgency != f.Urgency && !(f.Urgency == "none" && c.Meta.Urgency == "") ||
			f.Status != "" && c.Meta.Status != f.Status ||
			f.Assignee != "" && c.Meta.Assignee != f.Assignee && !(f.Assignee == "-" && c.Meta.Assignee == "") ||
			f.Unread && c.LastFollowUp <= s.seen[c.Meta.Reference] {
			continue
		}
		if want != 0 {
			if flags, _ := signs.signs(c); !flags.Has(want) {
				continue
			}
		}
		if !matchAll(c, words) {
			continue
		}
		out = append(out, c)
	}
	sortCases(out, f.Sort, s.statusOrder())
	return out
}

func matchAll(c *Case, words []string) bool {
	for _, w := range words {
		hay := c.text
		if hay == nil { // not readable: only the clear fields
			hay = []byte(strings.ToLower(c.Meta.Reference + " " + c.Meta.Assignee + " " + c.Meta.Status))
		}
		if !bytes.Contains(hay, []byte(w)) {
			return false
		}
	}
	return true
}

// statusOrder ranks statuses in the workflow's order; the caller holds mu.
func (s *Source) statusOrder() map[string]int {
	m := map[string]int{}
	for i, st := range s.team.Statuses {
		m[st.Key] = i
	}
	return m
}

func sortCases(list []*Case, by string, statusRank map[string]int) {
	// Empty values sort last in every order but received.
	last := func(s string) string {
		if s == "" {
			return "\uffff"
		}
		return s
	}
	cmpRecv := func(a, b *Case) int { return strings.Compare(b.Meta.ReceivedOn, a.Meta.ReceivedOn) }
	// rank puts U1, then U2, before everything else.
	rank := func(c *Case) int {
		switch c.Meta.Urgency {
		case "U1":
			return 0
		case "U2":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(list, func(a, b *Case) int {
		var d int
		switch by {
		case "urgent":
			d = rank(a) - rank(b)
		case "-received":
			d = -cmpRecv(a, b)
		case "urgency":
			// The classes in the workflow's order (U1 most urgent), none last.
			d = strings.Compare(last(a.Meta.Urgency), last(b.Meta.Urgency))
		case "deadline":
			d = strings.Compare(last(a.Meta.NextDeadline), last(b.Meta.NextDeadline))
		case "status":
			d = statusRank[a.Meta.Status] - statusRank[b.Meta.Status]
		case "state":
			d = strings.Compare(last(a.Summary.State), last(b.Summary.State))
		}
		if d == 0 {
			d = cmpRecv(a, b)
		}
		return d
	})
}

// option is one entry of a select menu.
type option struct {
	Value, Label string
	Selected     bool
}

// row is one case in the inbox.
type row struct {
	*Case
	Unread bool
	Signs  []string // the signs of junk it has, in words
}

// junkLink is one junk filter with the number of cases it finds among
// those the other filters select.
type junkLink struct {
	Label, Href string
	Count       int
	Current     bool
}

// inboxPage is the inbox.
type inboxPage struct {
	base
	Filter                                     Filter
	Rows                                       []row
	Total, Shown, Page, Pages                  int
	Prev, Next                                 string
	Loaded                                     string
	Ready, Of, Malformed                       int
	Decrypting, FetchFailed                    bool
	States, Urgencies, Statuses, Sorts, People []option
	Junk                                       []option
	JunkLinks                                  []junkLink
	// The bulk form: what the selection can be changed to.
	BulkUrgencies, BulkPeople []option
	FilterQuery               string // the filter as a query, for "all that match"
	MaxBulk                   int
}

func (c *Console) inbox(w http.ResponseWriter, r *http.Request) error {
	s := c.cfg.Source
	if s.Loaded().IsZero() {
		if err := s.Load(r.Context()); err != nil {
			return err
		}
	}
	f := parseFilter(r.URL.Query())
	signs := s.junkSigns()
	list := s.selectWith(f, signs)
	p := inboxPage{base: c.base(r, "Inbox"), Filter: f, Total: len(list), Page: f.Page, MaxBulk: MaxBulk}
	p.Pages = max(1, (len(list)+perPage-1)/perPage)
	p.Page = min(p.Page, p.Pages)
	from := (p.Page - 1) * perPage
	for _, cs := range list[from:min(len(list), from+perPage)] {
		flags, group := signs.signs(cs)
		p.Rows = append(p.Rows, row{Case: cs, Unread: s.Unread(cs), Signs: p.signWords(flags, group)})
	}
	p.Shown = len(p.Rows)
	if p.Page > 1 {
		p.Prev = f.query(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = f.query(p.Page + 1)
	}
	p.Loaded = s.Loaded().Local().Format(time.TimeOnly)
	p.Ready, p.Of, p.FetchFailed = s.Progress()
	p.Malformed = s.Malformed()
	p.Decrypting = p.Ready < p.Of && !p.FetchFailed
	p.menus(s)
	p.junkMenus(s, signs)
	return c.render(w, http.StatusOK, "inbox", p)
}

// junkMenus fills the junk filters, each with how many of the cases the
// other filters select it finds, and the bulk form's choices.
func (p *inboxPage) junkMenus(s *Source, signs *junkIndex) {
	f := p.Filter
	p.Junk = []option{{"", p.T("Any"), f.Junk == ""}}
	for _, k := range junkKinds {
		g := f
		g.Junk, g.Page = k.Key, 1
		n := len(s.selectWith(g, signs))
		p.Junk = append(p.Junk, option{k.Key, p.T("{0} ({1})", p.T(k.Label), n), f.Junk == k.Key})
		p.JunkLinks = append(p.JunkLinks, junkLink{Label: p.T(k.Label), Href: g.query(1), Count: n, Current: f.Junk == k.Key})
	}
	all := f
	all.Page = 1
	p.FilterQuery = strings.TrimPrefix(strings.TrimPrefix(all.query(1), "/"), "?")
	wf := s.Workflow()
	for _, u := range wf.Urgencies {
		l := handlerapi.SafeText(u)
		if ul, ok := urgencyLabels[u]; ok {
			l = p.T(ul)
		}
		p.BulkUrgencies = append(p.BulkUrgencies, option{u, l, false})
	}
	for _, n := range s.assignees("") {
		p.BulkPeople = append(p.BulkPeople, option{n, handlerapi.SafeText(n), false})
	}
}

// menus fills the filter menus from what is loaded and the workflow.
func (p *inboxPage) menus(s *Source) {
	f := p.Filter
	states, people := map[string]bool{}, map[string]bool{}
	for _, cs := range s.Snapshot() {
		if cs.Summary.State != "" {
			states[cs.Summary.State] = true
		}
		if cs.Meta.Assignee != "" {
			people[cs.Meta.Assignee] = true
		}
	}
	p.States = []option{{"", p.T("All States"), f.State == ""}}
	for _, code := range sortedKeys(states) {
		p.States = append(p.States, option{code, p.StateName(code), f.State == code})
	}
	p.Urgencies = []option{{"", p.T("Any urgency"), f.Urgency == ""}, {"none", p.T("Not set"), f.Urgency == "none"}}
	for _, u := range []string{"U1", "U2", "U3", "U4"} {
		p.Urgencies = append(p.Urgencies, option{u, u, f.Urgency == u})
	}
	p.Statuses = []option{{"", p.T("Any status"), f.Status == ""}}
	for _, st := range s.Workflow().Statuses {
		p.Statuses = append(p.Statuses, option{st.Key, p.Status(st.Key), f.Status == st.Key})
	}
	p.People = []option{{"", p.T("Anyone"), f.Assignee == ""}, {"-", p.T("Unassigned"), f.Assignee == "-"}}
	for _, n := range sortedKeys(people) {
		p.People = append(p.People, option{n, handlerapi.SafeText(n), f.Assignee == n})
	}
	for _, k := range sorts {
		p.Sorts = append(p.Sorts, option{k, p.T(sortLabels[k]), f.Sort == k})
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// L returns the translated label of a choice value, made safe.
func (b base) L(kind, value string) string { return handlerapi.SafeText(b.T(label(kind, value))) }

// Ls is L for a list, joined with commas.
func (b base) Ls(kind string, values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = b.L(kind, v)
	}
	return strings.Join(out, ", ")
}

// Status returns a workflow status's name.
func (b base) Status(key string) string {
	if l, ok := statusLabels[key]; ok {
		return b.T(l)
	}
	return handlerapi.SafeText(key)
}

// StateName returns the name of a State by its code.
func (b base) StateName(code string) string { return stateName(b, code) }
