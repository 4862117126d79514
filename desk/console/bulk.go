package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Bulk triage: the handler ticks cases in the inbox (or all that match
// the filters) and closes them as "not a report", assigns them or sets
// their urgency in one step. It works without JavaScript: the inbox's
// form posts the references (POST /bulk), the console keeps the change
// and redirects to its review page (GET /bulk/{id}), which lists every
// case that would change and every one left as it is, and why; its form
// (POST /bulk/{id}) makes the change and redirects back to the same page,
// which then shows what was done and, case by case, what failed.
//
// Each case is changed through the handler API on its own (PATCH
// /cases/{ref}), with the same checks as a change on its page, here and
// on the server, which writes one audit entry per case in that case's own
// transaction. A bulk change is therefore not one transaction: a case
// that fails leaves the others changed, and the result page says which.
// No bulk endpoint on the server is needed for speed: a few requests at a
// time change 1,000 cases in a few seconds (BenchmarkBulkClose).

// Bounds on a bulk change.
const (
	// MaxBulk bounds the cases one bulk change takes.
	MaxBulk = 2000
	// maxBulkForm bounds the inbox's bulk form: MaxBulk references and
	// the filter.
	maxBulkForm = MaxBulk*16 + 8<<10
	// maxBulkJobs bounds the bulk changes kept (the oldest go first).
	maxBulkJobs = 16
	// bulkTTL is how long a bulk change is kept, reviewed or done.
	bulkTTL = 30 * time.Minute
	// bulkTimeout bounds the time one bulk change may take.
	bulkTimeout = 5 * time.Minute
)

// bulkWorkers is how many changes are sent to the server at once (a
// variable only for BenchmarkBulkClose's comparison).
var bulkWorkers = 4

// bulkActions are what a bulk change can do.
var bulkActions = []string{"close", "assign", "urgency"}

// bulkJob is one bulk change, from its review to its result. It holds
// references and clear metadata only.
type bulkJob struct {
	id      string
	action  string // one of bulkActions
	value   string // the assignee or the urgency ("" to close)
	refs    []string
	left    []bulkOutcome // left out at review
	cut     int           // how many more cases matched than MaxBulk
	back    string        // the inbox with the filters
	created time.Time

	state   int // bulkPending, bulkRunning, bulkDone
	changed []string
	failed  []bulkOutcome
}

const (
	bulkPending = iota
	bulkRunning
	bulkDone
)

// bulkOutcome is why a case was left as it is, for the handler.
type bulkOutcome struct {
	Ref  string
	Why  string // English, translated when shown
	Args []any
}

// bulkStore keeps the console's bulk changes.
type bulkStore struct {
	mu   sync.Mutex
	jobs map[string]*bulkJob
	run  sync.Mutex // one bulk change runs at a time
}

var bulkID = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// Why a bulk change or a case in it was not done.
const (
	mBulkFilter       = "The inbox's filters were not sent as the inbox wrote them. Show the inbox again and select the cases again."
	mBulkNone         = "Tick at least one case, or tick “all the cases that match”, then choose what to do."
	mBulkAction       = "Choose what to do with the selected cases."
	mNoNotAReport     = "This server does not offer the closing reason “not a report”: it may be older than this console. Close the cases one at a time, or ask the operator to update the server."
	mBulkBusy         = "Another bulk change is running in this console. Wait for it to finish, then try again."
	mBulkExpired      = "This bulk change is no longer available (the console keeps one for 30 minutes). Select the cases again in the inbox."
	mAlreadyClosed    = "Already closed."
	mCannotClose      = "It is “{0}” now: a case in that status cannot be closed."
	mAlreadyAssigned  = "Already assigned to {0}."
	mAlreadyUrgency   = "Its urgency is already {0}."
	mNotLoaded        = "This case is not in the console's list any more. Fetch new cases and look at it again."
	mGoneFromServer   = "The server no longer lists this case for your team. Nothing was changed."
	mRefusedMeanwhile = "The server refused the change, so nothing was changed: the case was probably changed meanwhile, perhaps by a colleague. Fetch new cases to see it as it is now. The server says: {0}"
	mSessionEnded     = "Your session with the server has ended, so this case was not changed. Log in again (casectl login), then select the cases left and try again."
	mServerFailed     = "The server failed to make the change, so nothing was changed. Try again later."
	mNoAnswer         = "The server did not answer in time: the change may or may not have been made. Fetch new cases and look at the case."
	mBadAnswer        = "The server's answer was not what the console expects, so do not trust it: the change may or may not have been made. Tell your security focal point."
)

// bulkStrings are bulk triage's words that Go code puts on pages, for
// TestMessages.
func bulkStrings() []string {
	return []string{
		mBulkFilter, mBulkNone, mBulkAction, mNoNotAReport, mBulkBusy, mBulkExpired, mAlreadyClosed, mCannotClose, mAlreadyAssigned,
		mAlreadyUrgency, mNotLoaded, mGoneFromServer, mRefusedMeanwhile, mSessionEnded, mServerFailed, mNoAnswer, mBadAnswer,
		"Review the bulk change", "Bulk change done", "Close {0} cases as “not a report”?", "Assign {0} cases to {1}?",
		"Set the urgency of {0} cases to {1}?", "Yes, close these {0} cases", "Yes, assign these {0} cases",
		"Yes, set the urgency of these {0} cases", "Select case {0}", "{0} ({1})", "Any",
	}
}

// bulk takes the inbox's bulk form, checks it, keeps the change and
// redirects to its review.
func (c *Console) bulk(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, maxBulkForm); err != nil {
		return err
	}
	s := c.cfg.Source
	action, value := r.PostFormValue("action"), ""
	wf := s.Workflow()
	switch action {
	case "close":
		if !slices.Contains(wf.ClosureReasons, handlerapi.NotAReport) {
			return invalid(mNoNotAReport)
		}
	case "assign":
		value = r.PostFormValue("assignee")
		if !slices.Contains(s.assignees(""), value) {
			return invalid(mBadAssignee)
		}
	case "urgency":
		value = r.PostFormValue("urgency")
		if !slices.Contains(wf.Urgencies, value) {
			return invalid(mBadUrgency)
		}
	default:
		return invalid(mBulkAction)
	}
	// The filter as the inbox wrote it: one it did not write (malformed,
	// or with values it would drop) is refused, never widened to more
	// cases than the handler saw.
	raw := r.PostFormValue("filter")
	fq, err := url.ParseQuery(raw)
	f := parseFilter(fq)
	f.Page = 1
	if err != nil || strings.TrimPrefix(strings.TrimPrefix(f.query(1), "/"), "?") != raw {
		return invalid(mBulkFilter)
	}
	var refs []string
	if r.PostFormValue("all") == "1" {
		for _, cs := range s.Select(f) {
			refs = append(refs, cs.Meta.Reference)
		}
	} else {
		seen := map[string]bool{}
		for _, ref := range r.PostForm["ref"] {
			if refPattern.MatchString(ref) && !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 {
		return invalid(mBulkNone)
	}
	job := &bulkJob{id: randomToken(), action: action, value: value, back: f.query(1), created: time.Now()}
	if len(refs) > MaxBulk {
		job.cut, refs = len(refs)-MaxBulk, refs[:MaxBulk]
	}
	for _, ref := range refs {
		if _, why, args := c.checkBulk(ref, action, value); why != "" {
			job.left = append(job.left, bulkOutcome{ref, why, args})
			continue
		}
		job.refs = append(job.refs, ref)
	}
	c.bulks.put(job)
	http.Redirect(w, r, "/bulk/"+job.id, http.StatusSeeOther)
	return nil
}

// checkBulk makes the checks of a change on the case's page
// (desk.CheckChange), against the case as loaded now, and says when it is
// already so: why is "" when the change can be asked of the server. It
// returns the case's fields it checked against.
func (c *Console) checkBulk(ref, action, value string) (m handlerapi.CaseMeta, why string, args []any) {
	s := c.cfg.Source
	cs, ok := s.Lookup(ref)
	if !ok {
		return m, mNotLoaded, nil
	}
	m = cs.Meta
	switch {
	case action == "close" && m.Status == "closed":
		return m, mAlreadyClosed, nil
	case action == "assign" && m.Assignee == value:
		return m, mAlreadyAssigned, []any{handlerapi.Safe(value)}
	case action == "urgency" && m.Urgency == value:
		return m, mAlreadyUrgency, []any{handlerapi.Safe(value)}
	}
	if err := desk.CheckChange(s.Workflow(), m, bulkChange(action, value)); err != nil {
		why, args := bulkRefusal(err, m)
		return m, why, args
	}
	return m, "", nil
}

// bulkRefusal words desk's refusal of one case's change, as the case page
// would.
func bulkRefusal(err error, m handlerapi.CaseMeta) (string, []any) {
	if errors.Is(err, desk.ErrTransition) {
		return mCannotClose, []any{statusName(m.Status)}
	}
	if errors.Is(err, desk.ErrMoved) {
		return mBadAnswer, nil
	}
	var ue *userError
	if errors.As(changeRefusal(err), &ue) {
		return ue.message, ue.args
	}
	return bulkWhyOnly(err), nil
}

// statusName marks a status key for translation when shown (bulkOutcome
// args are translated by the page).
type statusName string

// bulkChange is the triage change a bulk action asks for one case.
func bulkChange(action, value string) handlerapi.Change {
	v := value
	switch action {
	case "close":
		st, reason := "closed", handlerapi.NotAReport
		return handlerapi.Change{Status: &st, StatusDetail: &reason}
	case "assign":
		return handlerapi.Change{Assignee: &v}
	default:
		return handlerapi.Change{Urgency: &v}
	}
}

// bulkPage is the review of a bulk change and, once made, its result.
type bulkPage struct {
	base
	ID, Action, Value, ValueName string
	Heading, Button              string
	Rows                         []bulkRow
	Left, Failed                 []bulkLine
	Changed                      []string
	Cut, Matched, MaxBulkCap     int
	Back                         string
	Done                         bool
}

// bulkRow is a case the change would make.
type bulkRow struct {
	Ref, Received, State, From, To string
	Readable                       bool
}

// bulkLine is a case left as it is, and why, in words.
type bulkLine struct{ Ref, Why string }

// showBulk shows a bulk change: its review while it is not made, its
// result once it is.
func (c *Console) showBulk(w http.ResponseWriter, r *http.Request) error {
	job, ok := c.bulks.get(r.PathValue("id"))
	if !ok {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mBulkExpired}
	}
	c.bulks.mu.Lock()
	state, refs, left, changed, failed := job.state, job.refs, job.left, job.changed, job.failed
	c.bulks.mu.Unlock()
	title := "Review the bulk change"
	if state == bulkDone {
		title = "Bulk change done"
	}
	p := bulkPage{base: c.base(r, title), ID: job.id, Action: job.action, Value: job.value, Cut: job.cut,
		Matched: len(refs) + len(left) + job.cut, MaxBulkCap: MaxBulk, Back: job.back, Done: state == bulkDone}
	s := c.cfg.Source
	switch job.action {
	case "urgency":
		p.ValueName = handlerapi.Safe(job.value)
		if l, ok := urgencyLabels[job.value]; ok {
			p.ValueName = p.T(l)
		}
	case "assign":
		p.ValueName = handlerapi.Safe(job.value)
	}
	n := len(refs)
	switch job.action {
	case "close":
		p.Heading, p.Button = p.T("Close {0} cases as “not a report”?", n), p.T("Yes, close these {0} cases", n)
	case "assign":
		p.Heading, p.Button = p.T("Assign {0} cases to {1}?", n, p.ValueName), p.T("Yes, assign these {0} cases", n)
	default:
		p.Heading, p.Button = p.T("Set the urgency of {0} cases to {1}?", n, p.ValueName), p.T("Yes, set the urgency of these {0} cases", n)
	}
	for _, o := range left {
		p.Left = append(p.Left, bulkLine{o.Ref, p.why(o)})
	}
	if p.Done {
		p.Changed = changed
		for _, o := range failed {
			p.Failed = append(p.Failed, bulkLine{o.Ref, p.why(o)})
		}
		return c.render(w, http.StatusOK, "bulk", p)
	}
	for _, ref := range refs {
		cs, ok := s.Lookup(ref)
		if !ok {
			continue
		}
		row := bulkRow{Ref: ref, Received: handlerapi.Safe(cs.Meta.ReceivedOn), Readable: cs.Readable(), From: p.Status(cs.Meta.Status)}
		if cs.Readable() {
			row.State = p.StateName(cs.Summary.State)
		}
		switch job.action {
		case "close":
			row.To = p.Status("closed") + " (" + p.L("closure", handlerapi.NotAReport) + ")"
		case "assign":
			row.From, row.To = dashed(handlerapi.Safe(cs.Meta.Assignee)), p.ValueName
		default:
			row.From, row.To = dashed(handlerapi.Safe(cs.Meta.Urgency)), p.ValueName
		}
		p.Rows = append(p.Rows, row)
	}
	return c.render(w, http.StatusOK, "bulk", p)
}

func dashed(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// why puts an outcome in words, in the page's language.
func (b base) why(o bulkOutcome) string {
	args := make([]any, len(o.Args))
	for i, a := range o.Args {
		if st, ok := a.(statusName); ok {
			args[i] = b.Status(string(st))
		} else {
			args[i] = a
		}
	}
	return b.T(o.Why, args...)
}

// applyBulk makes a reviewed bulk change, case by case, and redirects to
// its result. A change already made (the form sent twice) is not made
// again.
func (c *Console) applyBulk(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	job, ok := c.bulks.get(r.PathValue("id"))
	if !ok {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mBulkExpired}
	}
	if !c.bulks.run.TryLock() {
		return &userError{status: http.StatusConflict, heading: hInvalid, message: mBulkBusy}
	}
	defer c.bulks.run.Unlock()
	c.bulks.mu.Lock()
	pending := job.state == bulkPending
	if pending {
		job.state = bulkRunning
	}
	c.bulks.mu.Unlock()
	if pending {
		// The handler's browser may give up waiting: the change goes on
		// to its end, and the result page shows it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), bulkTimeout)
		changed, failed := c.runBulk(ctx, job)
		cancel()
		c.bulks.mu.Lock()
		job.changed, job.failed, job.state = changed, failed, bulkDone
		c.bulks.mu.Unlock()
	}
	http.Redirect(w, r, "/bulk/"+job.id, http.StatusSeeOther)
	return nil
}

// runBulk sends the job's changes, bulkWorkers at a time, each after the
// same checks as at review against the case as it is loaded now, and
// returns the cases changed and those not, in the job's order.
func (c *Console) runBulk(ctx context.Context, job *bulkJob) ([]string, []bulkOutcome) {
	s := c.cfg.Source
	type result struct {
		ok  bool
		out bulkOutcome
	}
	results := make([]result, len(job.refs))
	var next atomic.Int64
	var stop atomic.Bool // the session ended: the rest is not tried
	var wg sync.WaitGroup
	for range bulkWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(job.refs) {
					return
				}
				ref := job.refs[i]
				if stop.Load() {
					results[i] = result{out: bulkOutcome{Ref: ref, Why: mSessionEnded}}
					continue
				}
				cur, why, args := c.checkBulk(ref, job.action, job.value)
				if why != "" {
					results[i] = result{out: bulkOutcome{ref, why, args}}
					continue
				}
				// The single change's path: desk checks again and sends
				// it, and refuses an answer for another case.
				m, err := s.desk().Triage(ctx, s.Workflow(), cur, bulkChange(job.action, job.value))
				var ce *desk.ChangeError
				if errors.As(err, &ce) || errors.Is(err, desk.ErrMoved) {
					why, args := bulkRefusal(err, cur)
					results[i] = result{out: bulkOutcome{ref, why, args}}
					continue
				}
				if err != nil {
					why, args, end := bulkWhy(err)
					if end {
						stop.Store(true)
					}
					if why == mRefusedMeanwhile {
						// Changed meanwhile: the inbox shows it as it is
						// now (best effort; the result says it anyway).
						s.Refresh(ctx, ref)
					}
					results[i] = result{out: bulkOutcome{ref, why, args}}
					continue
				}
				s.updateMeta(ref, m)
				results[i] = result{ok: true}
			}
		})
	}
	wg.Wait()
	var changed []string
	var failed []bulkOutcome
	for i, res := range results {
		if res.ok {
			changed = append(changed, job.refs[i])
		} else {
			failed = append(failed, res.out)
		}
	}
	return changed, failed
}

// bulkWhy words a failed change for the handler; end is true when no
// other change can work either (the session ended).
func bulkWhy(err error) (why string, args []any, end bool) {
	var ae *handlerapi.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return mSessionEnded, nil, true
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return mGoneFromServer, nil, false
	case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500:
		// The server's message is untrusted: already shortened and made
		// safe by the client library.
		return mRefusedMeanwhile, []any{ae.Message}, false
	case errors.As(err, &ae):
		return mServerFailed, nil, false
	case errors.Is(err, handlerapi.ErrBadResponse), errors.Is(err, desk.ErrMoved):
		return mBadAnswer, nil, false
	}
	return mNoAnswer, nil, false
}

// bulkWhyOnly is bulkWhy's words alone.
func bulkWhyOnly(err error) string {
	why, _, _ := bulkWhy(err)
	return why
}

// put keeps a job, forgetting expired ones and, beyond maxBulkJobs, the
// oldest.
func (b *bulkStore) put(job *bulkJob) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobs == nil {
		b.jobs = map[string]*bulkJob{}
	}
	for id, j := range b.jobs {
		if time.Since(j.created) > bulkTTL && j.state != bulkRunning {
			delete(b.jobs, id)
		}
	}
	for len(b.jobs) >= maxBulkJobs {
		var oldest *bulkJob
		for _, j := range b.jobs {
			if j.state != bulkRunning && (oldest == nil || j.created.Before(oldest.created)) {
				oldest = j
			}
		}
		if oldest == nil {
			break
		}
		delete(b.jobs, oldest.id)
	}
	b.jobs[job.id] = job
}

// get returns a job kept and not expired.
func (b *bulkStore) get(id string) (*bulkJob, bool) {
	if !bulkID.MatchString(id) {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j, ok := b.jobs[id]
	if !ok || (time.Since(j.created) > bulkTTL && j.state != bulkRunning) {
		return nil, false
	}
	return j, true
}
