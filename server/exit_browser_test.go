package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/internal/browsertest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// formData returns what the report form on the page would send (its
// fields, not its buttons), as a browser's "Try Again" would send it.
func formData(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](`new URLSearchParams(new FormData(document.getElementById("report-form"))).toString()`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// backThenReload goes Back, then reloads (Tor Browser: "Document
// Expired", then Try Again), ignoring the error pages Chromium shows on
// the way, and returns how many report forms were posted meanwhile.
func backThenReload(t *testing.T, ctx context.Context, e *env) int64 {
	t.Helper()
	posts := e.reportPosts.Load()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	chromedp.Do(sctx, chromedp.NavigateBack())
	chromedp.Do(sctx, chromedp.Reload())
	return e.reportPosts.Load() - posts
}

// TestBrowserQuickExitLeavesNothing types into the report form in
// Chromium with JavaScript off, moves a step (a POST), leaves quickly,
// then goes Back and reloads, and also sends the same answers again as
// "Try Again" would: the answers are refused and an empty form is shown.
// On a return visit, the receipt is posted once and the case shown by a
// GET that needs the visit cookie; after the quick exit (Clear-Site-Data),
// Back and reload show the receipt form, not the UN's reply.
func TestBrowserQuickExitLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, storetest.NewDB(t), server.Options{QuickExitURL: "/healthz"})
	acc := e.submitted("upr")
	e.reply(acc.Reference, "Thank you. We are looking into this.")
	ctx := browsertest.New(t, 375, 800)
	run, read := browserSteps(t, ctx)

	run("type, and move to the next step", chromedp.Navigate(e.srv.URL+"/report"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SendKeys(byName("submitter.name"), "Secret name"),
		chromedp.SendKeys(byName("submitter.contact_method"), "secret@example.org"),
		chromedp.SetValue(byName("submitter.relationship"), "self"),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(byName("victims[0].name")),
		chromedp.SendKeys(byName("victims[0].name"), "Secret victim"))
	sent := formData(t, ctx)
	if sent.Get("submitter.name") != "Secret name" {
		t.Fatalf("the form would not send the name: %v", sent)
	}
	run("leave quickly", chromedp.Click(chromedp.CSS("a.quick-exit")), chromedp.WaitVisible(chromedp.CSS("body:not(:has(form))")))
	if again := backThenReload(t, ctx, e); again > 0 {
		t.Logf("Chromium sent the form again %d times on Back and reload", again)
	}
	for _, secret := range []string{"Secret name", "secret@example.org"} {
		if pageHas(t, ctx, secret) {
			t.Errorf("after leaving quickly, Back and reload show %q", secret)
		}
	}
	// What "Try Again" sends: the same answers, under the same token.
	resp, b := e.postForm(sent)
	if resp.StatusCode != 200 {
		t.Fatalf("the answers sent again: %d", resp.StatusCode)
	}
	for _, secret := range []string{"Secret name", "secret@example.org", "Secret victim"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the answers sent again after the quick exit come back with %q", secret)
		}
	}
	if !strings.Contains(string(b), `name="submitter.name" value=""`) {
		t.Error("the answers sent again after the quick exit do not get an empty form")
	}
	if e.count() != 1 { // the case of the return visit below
		t.Errorf("%d reports stored, want 1", e.count())
	}

	// A return visit.
	run("open the case", chromedp.Navigate(e.srv.URL+"/return"), chromedp.WaitVisible(chromedp.ID("receipt")),
		chromedp.SendKeys(chromedp.ID("receipt"), acc.Receipt.String()), chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("messages")))
	if got := read("#messages"); !strings.Contains(got, "looking into this") {
		t.Fatalf("the reply is not shown: %q", got)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	cancel()
	if !strings.Contains(loc, "/return/case") {
		t.Errorf("the case is shown at %s, not by a GET after the receipt was posted", loc)
	}
	run("reload the case", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("messages")))
	run("leave quickly", chromedp.Click(chromedp.CSS("a.quick-exit")), chromedp.WaitVisible(chromedp.CSS("body:not(:has(form))")))
	sctx, cancel = context.WithTimeout(ctx, 15*time.Second)
	chromedp.Do(sctx, chromedp.NavigateBack())
	chromedp.Do(sctx, chromedp.Reload())
	cancel()
	sctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	body, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	cancel()
	if strings.Contains(body, "looking into this") {
		t.Errorf("after leaving quickly, Back and reload show the UN's reply:\n%s", body)
	}
	if !byIDExists(t, ctx, "receipt") {
		t.Errorf("after leaving quickly, Back and reload do not show the receipt form:\n%s", body)
	}
	screenshot(t, ctx, "visit-after-quick-exit-en")
}

// TestBrowserFollowUpOnce adds information on a return visit, and as an
// organisation's staff, in Chromium with JavaScript off: the result page
// lists the new information in the thread at once, is reached by a
// redirect (its address ends in #added, not #error-summary), and
// reloading it files nothing again. Staff see wording written for them.
func TestBrowserFollowUpOnce(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	e := w.e
	acc := e.submitted("upr")
	e.reply(acc.Reference, "Thank you. We are looking into this.")
	ctx := browsertest.New(t, 375, 800)
	run, read := browserSteps(t, ctx)
	followUps := func() int {
		var n int
		e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'followup'`).Scan(&n)
		return n
	}
	location := func() string {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(sctx, chromedp.Location())
		return loc
	}
	run("open the case and add information", chromedp.Navigate(w.srv.URL+"/return"), chromedp.WaitVisible(chromedp.ID("receipt")),
		chromedp.SendKeys(chromedp.ID("receipt"), acc.Receipt.String()), chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("messages")))
	if got := read("#messages"); strings.Contains(got, "You added information") {
		t.Fatalf("the thread lists information before any was added: %q", got)
	}
	run("add information", chromedp.SendKeys(chromedp.ID("text"), "He was released on bail."),
		chromedp.Click(chromedp.CSS("form button.primary")), chromedp.WaitVisible(chromedp.ID("added")))
	if got := read("#messages"); !strings.Contains(got, "You added information") || !strings.Contains(got, "looking into this") {
		t.Errorf("the thread does not show the new information with the reply: %q", got)
	}
	if loc := location(); !strings.HasSuffix(loc, "#added") {
		t.Errorf("the result page's address is %s", loc)
	}
	run("reload the result", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("added")))
	if n := followUps(); n != 1 {
		t.Errorf("after reloading the result, %d follow-ups are stored, want 1", n)
	}

	// Staff.
	cr := w.creds["staff-nhri-a"]
	run("sign in", chromedp.Navigate(w.srv.URL+"/org/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "staff-nhri-a"), chromedp.SendKeys(chromedp.ID("password"), cr.Password),
		chromedp.SendKeys(chromedp.ID("code"), code(t, cr.TOTPSecret, time.Now())),
		chromedp.Click(chromedp.CSS("main button.primary")), chromedp.WaitVisible(chromedp.ID("cases")))
	run("log a case", chromedp.Navigate(w.srv.URL+"/org/report"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitReady(chromedp.CSS(`input[name="step"][value="5"]`)))
	v := formValues(intaketestReport("upr"))
	for k, s := range map[string]string{"intermediary.consent_from": "victim", "intermediary.consent_on": "2026-01-01", "intermediary.consent_how": "In person", "intermediary.relationship": "Lawyer"} {
		v.Set(k, s)
	}
	fillForm(t, ctx, v)
	run("send, open the case, add information", chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")),
		chromedp.Navigate(w.srv.URL+"/org/cases"), chromedp.WaitVisible(chromedp.ID("cases")),
		chromedp.Click(chromedp.CSS("#cases a")), chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.SendKeys(chromedp.ID("text"), "The victim moved."),
		chromedp.Click(chromedp.CSS("main form button.primary")), chromedp.WaitVisible(chromedp.ID("added")))
	if got := read("main"); strings.Contains(got, "Your report") || strings.Contains(got, "Your information") || !strings.Contains(got, "The information has been added to the case") {
		t.Errorf("staff see the reporter's wording:\n%s", got)
	}
	run("reload the staff result", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("added")))
	if n := followUps(); n != 2 {
		t.Errorf("after the staff's follow-up and a reload, %d follow-ups are stored, want 2", n)
	}
}
