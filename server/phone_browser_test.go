package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// box is an element's place on the page, as DevTools measures it.
type box struct{ Top, Bottom, Left, Right float64 }

func boxes(t *testing.T, ctx context.Context, sel string) []box {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[[]box](`[...document.querySelectorAll(`+jsString(sel)+`)].map(e => { const r = e.getBoundingClientRect(); return {Top: r.top, Bottom: r.bottom, Left: r.left, Right: r.right}; })`))
	if err != nil {
		t.Fatalf("measuring %s: %v", sel, err)
	}
	return v
}

func jsString(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestBrowserPhoneLayout checks the reporter pages on a 375-pixel phone
// in Chromium with JavaScript off, in English and Arabic, by the boxes of
// their elements (screenshots are saved too): the quick exit has the
// header's width to itself, nothing beside it; the steps are listed one
// per line; "your answers raised questions" is a notice, not styled as an
// error; the confirmation's address does not end in #error-summary and
// its receipt code is on one line; and the skip link is the first Tab
// stop, leading to the first question in two presses.
func TestBrowserPhoneLayout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := browsertest.New(t, 375, 800)
	run, _ := browserSteps(t, ctx)
	for _, lang := range []string{"en", "ar"} {
		run(lang+": open the form", chromedp.EmulateViewport(375, 800), chromedp.Navigate(e.srv.URL+"/report?lang="+lang), chromedp.WaitVisible(chromedp.ID("report-form")))
		screenshot(t, ctx, "phone-header-"+lang)
		exit := boxes(t, ctx, "a.quick-exit")[0]
		for _, sel := range []string{"header .brand", "header nav"} {
			for _, b := range boxes(t, ctx, sel) {
				if b.Top < exit.Bottom-0.5 {
					t.Errorf("%s: %s (top %.0f) sits beside the quick exit (bottom %.0f)", lang, sel, b.Top, exit.Bottom)
				}
			}
		}
		if exit.Right-exit.Left < 300 {
			t.Errorf("%s: the quick exit is %.0f px wide, want the header's width", lang, exit.Right-exit.Left)
		}
		steps := boxes(t, ctx, "nav.steps li")
		for i := 1; i < len(steps); i++ {
			if steps[i].Top < steps[i-1].Bottom-0.5 {
				t.Errorf("%s: step %d is on the same line as step %d", lang, i+1, i)
			}
		}

		// The skip link first; then the first question.
		run(lang+": Tab", chromedp.KeyEvent(kb.Tab))
		if got := evalString(t, ctx, `document.activeElement.className + " " + document.activeElement.getAttribute("href")`); got != "skip #step-title" {
			t.Errorf("%s: the first Tab stop is %q, want the skip link", lang, got)
		}
		run(lang+": follow the skip link, Tab", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab))
		if got := evalString(t, ctx, `document.activeElement.id`); got != "submitter.name" {
			t.Errorf("%s: after the skip link, Tab reaches %q, want the first question", lang, got)
		}

		// Questions that now apply: a notice.
		run(lang+": detained, Next", chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-1"]`)), chromedp.WaitVisible(byName("victims[0].name")),
			chromedp.SetValue(byName("victims[0].status"), "detained"), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("banner")))
		screenshot(t, ctx, "phone-follow-up-notice-"+lang)
		if got := evalString(t, ctx, `getComputedStyle(document.getElementById("banner")).borderTopColor`); got == "rgb(177, 14, 30)" {
			t.Errorf("%s: the notice of new questions has the error's colour", lang)
		}
		if got := evalString(t, ctx, `document.getElementById("banner").getAttribute("role")`); got == "alert" {
			t.Errorf("%s: the notice of new questions is announced as an alert", lang)
		}

		// Send: the confirmation.
		run(lang+": to the review", chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitVisible(chromedp.ID("files")))
		fillForm(t, ctx, formValues(intaketest.Report("upr")))
		run(lang+": send", chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
		screenshot(t, ctx, "phone-confirmation-"+lang)
		if loc := evalString(t, ctx, `location.href`); strings.Contains(loc, "#error-summary") {
			t.Errorf("%s: the confirmation's address is %s", lang, loc)
		}
		if lines := evalString(t, ctx, `String(document.getElementById("receipt").getClientRects().length)`); lines != "1" {
			t.Errorf("%s: the receipt code takes %s lines at 375 px", lang, lines)
		}
	}
}
