package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// TestBulkTriageInChromium: the bulk flow in Chromium with JavaScript
// off, on a 375-pixel phone: Enter in the search field applies the filter
// (it never sends the bulk form); two cases ticked one by one get an
// urgency through the review page; then every near-identical case is
// closed as not a report with "all that match". Each page has no axe
// violation and never scrolls sideways.
func TestBulkTriageInChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	junk, real := seedFlood(e, 12, "Arrested at home two weeks after the review.", "Her passport was seized at the airport on the way to Geneva.")
	con, src := e.startConsole("omar", id)
	base := "http://" + con.Addr()
	ctx := browsertest.New(t, 375, 900)
	run := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v\n%s", name, err, page)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	check := func(where string) {
		t.Helper()
		checkLayout(t, ctx, where)
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("%s: axe: %s", where, v)
		}
	}
	run("open", chromedp.Navigate(con.URL()), chromedp.WaitVisible(chromedp.ID("cases")))
	src.WaitLoaded(context.Background())
	run("reload", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("junk-counts")))
	check("inbox with the bulk form")

	// Enter in the search field applies the filter.
	run("Enter in the search field", chromedp.SendKeys(chromedp.ID("q"), "followers"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#q[value="followers"]`)))
	if got := text("#count"); !strings.Contains(got, "12 cases match") {
		t.Errorf("after Enter in the search field: %q", got)
	}
	if st, _ := e.status(junk[0]); st != "received" {
		t.Fatalf("Enter changed a case: %s", st)
	}

	// Two cases ticked one by one get urgency U3.
	run("tick two", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("cases")),
		chromedp.Click(chromedp.ID("pick-"+real[0])), chromedp.Click(chromedp.ID("pick-"+real[1])),
		chromedp.SetValue(chromedp.ID("bulk-urgency"), "U3"), chromedp.Click(chromedp.ID("bulk-set-urgency")),
		chromedp.WaitVisible(chromedp.ID("bulk-apply")))
	if got := text("#bulk-title"); !strings.Contains(got, "Set the urgency of 2 cases to U3") {
		t.Errorf("review: %q", got)
	}
	check("review of a bulk urgency")
	run("apply", chromedp.Click(chromedp.ID("bulk-apply")), chromedp.WaitVisible(chromedp.ID("bulk-changed")))
	if got := text("#bulk-changed"); !strings.Contains(got, "2 cases were changed") {
		t.Errorf("result: %q", got)
	}
	check("result of a bulk urgency")

	// Every near-identical case, closed as not a report.
	run("all near-identical", chromedp.Navigate(base+"/?junk=similar"), chromedp.WaitVisible(chromedp.ID("bulk-all")),
		chromedp.Click(chromedp.ID("bulk-all")), chromedp.Click(chromedp.ID("bulk-close")), chromedp.WaitVisible(chromedp.ID("bulk-warning")))
	if got := text("#bulk-title"); !strings.Contains(got, "Close 12 cases as “not a report”?") {
		t.Errorf("review: %q", got)
	}
	check("review of a bulk close")
	run("wide review", chromedp.EmulateViewport(1280, 900))
	check("review of a bulk close at 1280 px")
	run("narrow again", chromedp.EmulateViewport(375, 900))
	run("close them", chromedp.Click(chromedp.ID("bulk-apply")), chromedp.WaitVisible(chromedp.ID("bulk-changed")))
	if got := text("#bulk-changed"); !strings.Contains(got, "12 cases were changed") {
		t.Errorf("result: %q", got)
	}
	check("result of a bulk close")
	for _, ref := range junk {
		if st, detail := e.status(ref); st != "closed" || detail != "not_a_report" {
			t.Errorf("%s: %s (%s)", ref, st, detail)
		}
	}
	for _, ref := range real {
		if st, _ := e.status(ref); st != "received" {
			t.Errorf("real case %s: %s", ref, st)
		}
	}
}
