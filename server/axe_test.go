package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// fillForm puts answers into the report form shown (the page runs no
// script, so DevTools does it, in place of typing every step): each
// answer replaces the form's own fields of that name, as hidden inputs
// placed before the file input (the server reads fields before files).
func fillForm(t *testing.T, ctx context.Context, v url.Values) {
	t.Helper()
	answers, _ := json.Marshal(v)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := chromedp.Run(sctx, chromedp.Evaluate[int](`(() => {
		const f = document.getElementById("report-form"), v = `+string(answers)+`;
		const at = document.getElementById("files") || f.querySelector("button, [type=submit]");
		let n = 0;
		for (const [k, vals] of Object.entries(v)) {
			document.querySelectorAll("[name]").forEach(e => { if (e.name === k && e.form === f) e.remove(); });
			for (const s of vals) { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = s; (at ? at.before(i) : f.append(i)); n++; }
		}
		return n; })()`))
	if err != nil || n == 0 {
		t.Fatalf("filling the form: %d answers, %v", n, err)
	}
}

// TestBrowserAxe runs axe-core (WCAG 2.2 A and AA, and best practices) on
// every reporter and organisation page, at 375 and 1280 pixels (in English, and in
// Arabic, right to left, at 375): each step of the report form, empty and with errors, the
// confirmation and "already received", the receipt form with and without
// an error, a return visit with a reply and after adding information, the
// proof page, an error page, and the staff pages (sign-in, cases, a case,
// the form of a case logged on someone's behalf). Every violation fails.
func TestBrowserAxe(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	e := w.e
	acc := e.submitted("upr")
	e.reply(acc.Reference, "Thank you. We are looking into this.")
	ctx := browsertest.New(t, 1280, 900)
	run, _ := browserSteps(t, ctx)
	u := w.srv.URL
	checked := 0
	check := func(name string) {
		t.Helper()
		checked++
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("%s: %s", name, v)
		}
	}
	cr := w.creds["staff-nhri-a"]
	signedIn := false
	for _, c := range []struct {
		width int64
		lang  string
	}{{375, "en"}, {375, "ar"}, {1280, "en"}} {
		{
			width, lang := c.width, c.lang
			at := func(page string) string { return fmt.Sprintf("%s at %d px, %s", page, width, lang) }
			q := "?lang=" + lang
			run(at("open the form"), chromedp.EmulateViewport(width, 900), chromedp.Navigate(u+"/report"+q), chromedp.WaitVisible(chromedp.ID("report-form")))
			check(at("step 1"))
			run(at("step 1 with errors"), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
			check(at("step 1 with errors"))
			for step := 1; step <= 5; step++ {
				run(at(fmt.Sprint("step ", step+1)), chromedp.Click(chromedp.CSS(fmt.Sprintf(`nav.steps button[value="goto-%d"]`, step))),
					chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`input[name="step"][value="%d"]`, step))))
				check(at(fmt.Sprint("step ", step+1)))
				if step < 5 {
					run(at(fmt.Sprint("step ", step+1, " with errors")), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
					check(at(fmt.Sprint("step ", step+1, " with errors")))
				}
			}
			fillForm(t, ctx, formValues(intaketest.Report("upr")))
			run(at("send"), chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
			check(at("confirmation"))
			receipt := strings.TrimSpace(readText(t, ctx, "#receipt"))
			run(at("reload the confirmation"), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("reference")))
			check(at("confirmation, reloaded"))

			run(at("receipt form"), chromedp.Navigate(u+"/return"+q), chromedp.WaitVisible(chromedp.ID("receipt")))
			check(at("receipt form"))
			run(at("wrong receipt"), chromedp.SendKeys(chromedp.ID("receipt"), "nope"), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
			check(at("receipt form with an error"))
			run(at("open a case with a reply"), chromedp.Navigate(u+"/return"+q), chromedp.WaitVisible(chromedp.ID("receipt")),
				chromedp.SendKeys(chromedp.ID("receipt"), acc.Receipt.String()), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("messages")))
			check(at("return visit with a reply"))
			run(at("add nothing"), chromedp.Click(chromedp.CSS("form button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
			check(at("return visit, nothing added"))
			run(at("open the new case"), chromedp.Navigate(u+"/return"+q), chromedp.WaitVisible(chromedp.ID("receipt")),
				chromedp.SendKeys(chromedp.ID("receipt"), receipt), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("messages")),
				chromedp.SendKeys(chromedp.ID("text"), "More."), chromedp.Click(chromedp.CSS("form button.primary")), chromedp.WaitVisible(chromedp.ID("added")))
			check(at("return visit, information added"))

			run(at("proof"), chromedp.Navigate(u+"/proof"+q), chromedp.WaitVisible(chromedp.CSS("main form")))
			check(at("proof"))
			run(at("not found"), chromedp.Navigate(u+"/no-such-page"+q), chromedp.WaitVisible(chromedp.CSS("main")))
			check(at("error page"))

			// The staff pages.
			run(at("sign-in"), chromedp.Navigate(u+"/org/login"+q), chromedp.WaitVisible(chromedp.CSS("main form")))
			check(at("sign-in"))
			if !signedIn {
				run(at("wrong sign-in"), chromedp.SendKeys(chromedp.CSS(`[name="username"]`), "staff-nhri-a"), chromedp.Click(chromedp.CSS("main button.primary")),
					chromedp.WaitVisible(chromedp.CSS(".error-summary")))
				check(at("sign-in with an error"))
				run(at("sign in"), chromedp.SendKeys(chromedp.CSS(`[name="password"]`), cr.Password),
					chromedp.SendKeys(chromedp.CSS(`[name="code"]`), code(t, cr.TOTPSecret, time.Now())),
					chromedp.Click(chromedp.CSS("main button.primary")), chromedp.WaitVisible(chromedp.CSS(`form[action^="/org/logout"]`)))
				signedIn = true
			}
			run(at("org form"), chromedp.Navigate(u+"/org/report"+q), chromedp.WaitVisible(chromedp.ID("report-form")))
			check(at("org form, step 1"))
			run(at("org form, consent step"), chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-4"]`)), chromedp.WaitReady(chromedp.CSS(`input[name="step"][value="4"]`)),
				chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
			check(at("org form, consent step with errors"))
			v := formValues(intaketest.Report("upr"))
			for k, s := range map[string]string{"intermediary.consent_from": "victim", "intermediary.consent_on": "2026-01-01", "intermediary.consent_how": "In person", "intermediary.relationship": "Lawyer"} {
				v.Set(k, s)
			}
			run(at("org review"), chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitReady(chromedp.CSS(`input[name="step"][value="5"]`)))
			fillForm(t, ctx, v)
			run(at("org send"), chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
			check(at("org confirmation"))
			run(at("org cases"), chromedp.Navigate(u+"/org/cases"+q), chromedp.WaitVisible(chromedp.ID("cases")))
			check(at("org cases"))
			run(at("org case"), chromedp.Click(chromedp.CSS("#cases a")), chromedp.WaitVisible(chromedp.CSS("main form")))
			check(at("org case"))
		}
	}
	t.Logf("axe checked %d pages", checked)
}

// readText returns an element's text.
func readText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}
