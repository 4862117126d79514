package console

import (
	"bytes"
	"cmp"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// The annual report page counts the loaded cases of a period by State,
// incident type, UN body, victim role and consent to publication, and
// exports the CSV of the cases whose consent allows it (desk/sgreport
// decides what each consent level shows). Everything is computed here,
// from the decrypted cases; the server only learns, through the audit log,
// which cases were exported.

// tableRow is one line of a counts table.
type tableRow struct {
	Label string
	Count int
}

// table is one counts table.
type table struct {
	ID, Title string
	Rows      []tableRow
}

// annualPage is the annual report page.
type annualPage struct {
	base
	From, To   string
	Period     string
	Years      []periodLink
	Cases      int
	Included   int
	Unreadable int
	Tables     []table
	Excluded   []tableRow
}

type periodLink struct{ Label, Href string }

// period reads the period from a form or query, by default the reporting
// year (1 May to 30 April) that contains today.
func period(from, to string, now time.Time) (sgreport.Period, error) {
	if from == "" && to == "" {
		y := now.Year()
		if now.Month() >= time.May {
			y++
		}
		return sgreport.AnnualPeriod(y), nil
	}
	p, err := sgreport.NewPeriod(from, to)
	if err != nil {
		return p, invalid(mBadPeriod)
	}
	return p, nil
}

const mBadPeriod = "Give the period as two dates (YYYY-MM-DD), the first not after the second."

// reportCases returns the loaded, readable cases as sgreport sees them,
// and how many could not be read.
func (s *Source) reportCases() ([]sgreport.Case, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]sgreport.Case, 0, len(s.cases))
	unreadable := 0
	for _, c := range s.cases {
		// Closed as not a report: in no figure, not even "unreadable"
		// (the clear status says what it is).
		if c.Meta.Status == "closed" && c.Meta.StatusDetail == handlerapi.NotAReport {
			continue
		}
		day, err := time.Parse(time.DateOnly, c.Meta.ReceivedOn)
		if !c.Readable() || err != nil {
			unreadable++
			continue
		}
		out = append(out, sgreport.Case{Reference: c.Meta.Reference, ReceivedOn: day, Status: c.Meta.Status,
			StatusDetail: c.Meta.StatusDetail, Urgency: c.Meta.Urgency, Report: c.Env.Report, Entries: c.entries})
	}
	return out, unreadable
}

func (c *Console) annual(w http.ResponseWriter, r *http.Request) error {
	// Counts over a half-decrypted inbox would be wrong: wait for it.
	if err := c.cfg.Source.WaitLoaded(r.Context()); err != nil {
		return err
	}
	if err := c.cfg.Source.loadEntries(r.Context()); err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := period(q.Get("from"), q.Get("to"), time.Now())
	if err != nil {
		return err
	}
	cases, unreadable := c.cfg.Source.reportCases()
	res := sgreport.Compute(cases, p)
	pg := annualPage{base: c.base(r, "Annual report"), From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		Period: p.String(), Cases: res.Counts.Cases, Included: len(res.Included), Unreadable: unreadable}
	for y := time.Now().Year() + 1; y > time.Now().Year()-4; y-- {
		ap := sgreport.AnnualPeriod(y)
		pg.Years = append(pg.Years, periodLink{pg.T("1 May {0} to 30 April {1}", y-1, y),
			"/annual?from=" + ap.From.Format(time.DateOnly) + "&to=" + ap.To.Format(time.DateOnly)})
	}
	rows := func(t sgreport.Tally, name func(string) string) []tableRow {
		var out []tableRow
		for _, row := range t.Rows() {
			out = append(out, tableRow{name(row.Key), row.Count})
		}
		return out
	}
	choice := func(kind string) func(string) string {
		return func(k string) string {
			if k == "invalid" {
				return pg.T("Invalid value")
			}
			return pg.L(kind, k)
		}
	}
	state := func(k string) string {
		switch k {
		case "not_recorded":
			k = ""
		case "invalid":
			return pg.T("Invalid value")
		}
		return pg.StateName(k)
	}
	pg.Tables = []table{
		{"by-state", pg.T("By State concerned"), rows(res.Counts.ByState, state)},
		{"by-type", pg.T("By type of incident"), rows(res.Counts.ByIncidentType, choice("incident_type"))},
		{"by-body", pg.T("By UN body"), rows(res.Counts.ByUNBody, choice("un_body"))},
		{"by-role", pg.T("By role of the victims"), rows(res.Counts.ByVictimRole, choice("victim_role"))},
		{"by-publication", pg.T("By consent to publication"), rows(res.Counts.ByPublication, choice("publication"))},
		{"new-follow-up", pg.T("New and follow-up"), []tableRow{
			{pg.T("New cases (Annex I)"), res.Counts.New}, {pg.T("Follow-up on earlier reports (Annex II)"), res.Counts.FollowUp}}},
		{"by-sources", pg.T("Sources per case"), rows(res.Counts.BySources, func(k string) string { return pg.T("{0} sources", k) })},
	}
	pg.Excluded = rows(res.Excluded, func(k string) string {
		if l, ok := exclusionLabels[k]; ok {
			return pg.T(l)
		}
		return pg.T("Invalid value")
	})
	return c.render(w, http.StatusOK, "annual", pg)
}

// exclusionLabels say why a case is kept out of the CSV.
var exclusionLabels = map[string]string{
	"publication_no":    "No consent to publication",
	"consent_withdrawn": "Closed: consent withdrawn",
	"on_hold":           "On hold to do no harm",
	"unknown_consent":   "Consent to publication not recorded",
}

// annualCSV records the export of every case the CSV holds in the audit
// log, then sends the CSV as a download.
func (c *Console) annualCSV(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	p, err := period(r.PostFormValue("from"), r.PostFormValue("to"), time.Now())
	if err != nil {
		return err
	}
	if err := c.cfg.Source.WaitLoaded(r.Context()); err != nil {
		return err
	}
	if err := c.cfg.Source.loadEntries(r.Context()); err != nil {
		return err
	}
	lang := r.PostFormValue("lang")
	if !knownLanguage(lang) {
		lang = "en"
	}
	cases, _ := c.cfg.Source.reportCases()
	res := sgreport.Compute(cases, p)
	var buf bytes.Buffer
	if err := sgreport.WriteCSV(&buf, res, lang); err != nil {
		return err
	}
	defer clear(buf.Bytes())
	if err := c.cfg.Source.recordExports(r, res.Included); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{
		"filename": "sg-report-" + p.From.Format(time.DateOnly) + "-to-" + p.To.Format(time.DateOnly) + "-DECRYPTED.csv"}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = w.Write(buf.Bytes())
	return err
}

// recordExports records an export of each case in the audit log, a few at
// a time; any failure stops the export before anything is sent.
func (s *Source) recordExports(r *http.Request, cases []sgreport.Case) error {
	sem := make(chan struct{}, 4)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for _, cs := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.api.RecordExport(r.Context(), cs.Reference); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
