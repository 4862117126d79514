package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// TestEntryFormsInChromium uses the case page's entry forms in Chromium
// with JavaScript off: a refused action comes back with its input kept
// and the error by its field, a recorded one lands on the status form
// with "Raised with the State" pre-selected, which one click applies; a
// State response is shown in the thread field by field. axe-core finds
// no violation on any of these pages, at 1280 and 375 px, and the page
// never scrolls sideways.
func TestEntryFormsInChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	ref := e.submit(intaketest.Report("hrc_session")).Reference
	e.publishRoster("reprisals-team", id)
	con, _ := e.startConsole("omar", id)
	base := "http://" + con.Addr()

	ctx := browsertest.New(t, 1280, 900)
	run := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v\n%s", name, err, page)
		}
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	check := func(where string) {
		t.Helper()
		for _, width := range []int{1280, 375} {
			run("resize", chromedp.EmulateViewport(int64(width), 900))
			w := fmt.Sprintf("%s at %d px", where, width)
			checkLayout(t, ctx, w)
			browsertest.Screenshot(t, ctx, "../..", fmt.Sprintf("console-entries-%s-%d", strings.ReplaceAll(where, " ", "-"), width))
			for _, v := range browsertest.Axe(t, ctx) {
				t.Errorf("%s: axe: %s", w, v)
			}
		}
		run("resize back", chromedp.EmulateViewport(1280, 900))
	}

	run("open", chromedp.Navigate(con.URL()), chromedp.WaitVisible(chromedp.ID("cases")))
	run("accept the roster", chromedp.Navigate(base+"/team"), chromedp.Click(chromedp.ID("accept-roster")), chromedp.WaitVisible(chromedp.ID("roster-entries")))
	run("under assessment", chromedp.Navigate(base+"/cases/"+ref), chromedp.WaitVisible(chromedp.ID("action-form")),
		chromedp.SetValue(chromedp.ID("to"), "under_assessment"), chromedp.Click(chromedp.ID("move")), chromedp.WaitVisible(chromedp.ID("done")))
	check("case page with the entry forms")

	// Refused: another kind of action without a summary.
	run("refused action",
		chromedp.SetValue(chromedp.ID("action-kind"), "other"),
		chromedp.SetValue(chromedp.ID("action-date"), "2026-03-14"),
		chromedp.SendKeys(chromedp.ID("action-symbol"), "REF 9/2026"),
		chromedp.Click(chromedp.ID("add-action")),
		chromedp.WaitVisible(chromedp.ID("action-summary-error")))
	if value("#action-kind") != "other" || value("#action-date") != "2026-03-14" || value("#action-symbol") != "REF 9/2026" {
		t.Errorf("the refused form lost its input: %q %q %q", value("#action-kind"), value("#action-date"), value("#action-symbol"))
	}
	check("refused action")

	// Recorded: the status it makes obvious is offered, pre-selected.
	run("raised with the State",
		chromedp.SetValue(chromedp.ID("action-kind"), "raised_with_state"),
		chromedp.SetValue(chromedp.ID("action-date"), "2026-03-20"),
		chromedp.SendKeys(chromedp.ID("action-summary"), "Raised in Geneva."),
		chromedp.Click(chromedp.ID("add-action")),
		chromedp.WaitVisible(chromedp.ID("status-suggestion")),
		chromedp.WaitVisible(chromedp.CSS(`li.note dl[data-entry="action"]`)))
	if got := value("#to"); got != "raised_with_state" {
		t.Errorf("the status form offers %q, want raised_with_state pre-selected", got)
	}
	check("case page after an action")
	// The page after the entry already shows a #done notice, so wait for
	// the new page the click opens (the old document carries a mark).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.beforeMove = true`)); err != nil {
		t.Fatal(err)
	}
	run("apply the offered status", chromedp.Click(chromedp.ID("move")))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// Errors while the page navigates are expected; ask again.
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.beforeMove && document.readyState === "complete" && document.querySelector("#done") !== null`)); err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new page after applying the offered status")
		}
	}
	if got := text("#status"); got != "Raised with the State" {
		t.Errorf("status %q after one click", got)
	}

	run("State response",
		chromedp.SetValue(chromedp.ID("response-date"), "2026-04-20"),
		chromedp.SetValue(chromedp.ID("response-stance"), "investigates"),
		chromedp.SendKeys(chromedp.ID("response-summary"), "An inquiry was opened."),
		chromedp.Click(chromedp.ID("add-response")),
		chromedp.WaitVisible(chromedp.CSS(`li.note dl[data-entry="response"]`)))
	if got := value("#to"); got != "state_response_received" {
		t.Errorf("after a response the status form offers %q", got)
	}
	if got := text(`dl[data-entry="response"]`); !contains2(got, "Says it investigates", "2026-04-20", "An inquiry was opened.") {
		t.Errorf("the response in the thread: %q", got)
	}
	check("case page after a response")
}

func contains2(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
