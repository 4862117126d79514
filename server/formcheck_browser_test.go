package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// errorSummary is what a page with errors shows: the summary's entries
// (their text and the field each links to), and the fields with an error
// message next to them, in the order of the page.
type errorSummary struct{ Texts, Links, Fields []string }

func readErrorSummary(t *testing.T, ctx context.Context) errorSummary {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[errorSummary](`(() => ({
		Texts: [...document.querySelectorAll("#error-summary li a")].map(a => a.innerText.trim()),
		Links: [...document.querySelectorAll("#error-summary li a")].map(a => decodeURIComponent(a.getAttribute("href").slice(1))),
		Fields: [...document.querySelectorAll("main .error-message")].map(p => p.id.replace(/-error$/, "")),
	}))()`))
	if err != nil {
		t.Fatalf("reading the error summary: %v", err)
	}
	return v
}

// TestBrowserErrorSummaryNamesQuestions presses Next on empty steps in
// Chromium with JavaScript off, in all six languages: every entry of the
// error summary names its question ("Who gave consent: please choose an
// option."), no two entries read the same, and they are listed in the
// order of the page (the fields with errors, top to bottom), on the steps
// "What happened" and "Risk and consent" and on the consent step of an
// intermediary's form.
func TestBrowserErrorSummaryNamesQuestions(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	ctx := browsertest.New(t, 1280, 900)
	run, _ := browserSteps(t, ctx)
	checkSummary := func(name string, wantFirst string) {
		t.Helper()
		s := readErrorSummary(t, ctx)
		if len(s.Texts) < 2 {
			t.Fatalf("%s: the summary lists %d entries: %q", name, len(s.Texts), s.Texts)
		}
		if !slices.Equal(s.Links, s.Fields) {
			t.Errorf("%s: the summary's order\n%q\ndiffers from the page's\n%q", name, s.Links, s.Fields)
		}
		seen := map[string]bool{}
		for _, txt := range s.Texts {
			if seen[txt] {
				t.Errorf("%s: the summary lists %q twice", name, txt)
			}
			seen[txt] = true
			if !strings.ContainsAny(txt, ":：") {
				t.Errorf("%s: the entry %q does not name its question", name, txt)
			}
		}
		if wantFirst != "" && !strings.HasPrefix(s.Texts[0], wantFirst) {
			t.Errorf("%s: the first entry is %q, want it to start with %q", name, s.Texts[0], wantFirst)
		}
	}
	first := map[string]string{ // the first question of the consent step, and of "What happened"
		"en": "Is someone in immediate danger: please choose an option.",
		"fr": "Quelqu’un est-il en danger immédiat : veuillez choisir une option.",
		"ar": "", "zh": "", "ru": "", "es": "",
	}
	for _, lang := range []string{"ar", "zh", "en", "fr", "ru", "es"} {
		run(lang+": consent step", chromedp.Navigate(w.srv.URL+"/report?lang="+lang), chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-4"]`)), chromedp.WaitVisible(chromedp.ID("risks")),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
		checkSummary(lang+", risk and consent", first[lang])
		run(lang+": what happened", chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-2"]`)), chromedp.WaitVisible(chromedp.ID("incidents")),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
		checkSummary(lang+", what happened", "")
	}
	cr := w.creds["staff-nhri-a"]
	run("sign in", chromedp.Navigate(w.srv.URL+"/org/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "staff-nhri-a"), chromedp.SendKeys(chromedp.ID("password"), cr.Password),
		chromedp.SendKeys(chromedp.ID("code"), code(t, cr.TOTPSecret, time.Now())),
		chromedp.Click(chromedp.CSS("main button.primary")), chromedp.WaitVisible(chromedp.ID("cases")))
	run("org consent step", chromedp.Navigate(w.srv.URL+"/org/report"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-4"]`)), chromedp.WaitVisible(chromedp.ID("intermediary")),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
	checkSummary("org, risk and consent", "")
	if got := readText(t, ctx, "#error-summary"); !strings.Contains(got, "Consent obtained from (name or role): please fill in this field.") {
		t.Errorf("the org form's summary does not name the intermediary's questions:\n%s", got)
	}
}

// TestBrowserConditionalOnItsStep answers "Yes" to being contacted without
// giving a way to be contacted, in Chromium with JavaScript off: Next on
// the consent step stops there, asking for the contact method on that
// step; once it is given, Next leads to the review, which shows it under
// "About you".
func TestBrowserConditionalOnItsStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := browsertest.New(t, 375, 900)
	run, read := browserSteps(t, ctx)
	v := formValues(intaketest.Report("upr"))
	v.Del("submitter.contact_method")
	v.Set("consent.contact_permission", "yes")
	run("open the consent step", chromedp.Navigate(e.srv.URL+"/report"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-4"]`)), chromedp.WaitVisible(chromedp.ID("risks")))
	// Every answer but the contact method, then Yes to being contacted.
	for _, k := range []string{"risk.", "consent."} {
		for name := range v {
			if strings.HasPrefix(name, k) {
				v.Del(name)
			}
		}
	}
	fillForm(t, ctx, v)
	run("answer the consent step, Yes to contact",
		chromedp.Click(byName("risk.immediate_danger-no")), chromedp.Click(byName("risk.state_contact_risk-unsure")),
		chromedp.Click(byName("consent.given_by")), chromedp.Click(byName("consent.risks_understood")),
		chromedp.Click(byName("consent.share_with_ohchr")), chromedp.Click(byName("consent.raise_with_state-no")),
		chromedp.Click(byName("consent.publication-anonymous")), chromedp.Click(byName("consent.share_un_mechanisms")),
		chromedp.Click(byName("consent.share_third_parties-no")), chromedp.Click(byName("consent.contact_permission")),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("error-summary")))
	if got := stepShown(t, ctx); got != "4" {
		t.Fatalf("after Next the form is at step %s, want the consent step (4)", got)
	}
	s := readErrorSummary(t, ctx)
	if !slices.Equal(s.Links, []string{"submitter.contact_method"}) {
		t.Fatalf("the consent step's errors are %q, want the contact method only", s.Links)
	}
	screenshot(t, ctx, "consent-contact-needed-en")
	run("give a way to be contacted", chromedp.SendKeys(byName("submitter.contact_method"), "Signal +000 555 0100"),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("files")))
	if got := read("main"); !strings.Contains(got, "Signal +000 555 0100") {
		t.Errorf("the review does not show the contact method:\n%s", got)
	}
	run("send", chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
	if e.count() != 1 {
		t.Errorf("%d reports stored, want 1", e.count())
	}
}

// TestBrowserReportLanguageFollowsSwitch starts the form in English,
// switches the pages to French on the first step, and goes on: the
// review's "Language you wrote the report in" is French, and so is the
// report sent. Choosing another language on the review is kept.
func TestBrowserReportLanguageFollowsSwitch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := browsertest.New(t, 1280, 900)
	run, _ := browserSteps(t, ctx)
	run("start in English, switch to French", chromedp.Navigate(e.srv.URL+"/report?lang=en"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SendKeys(byName("submitter.name"), "Amina"),
		chromedp.Click(chromedp.CSS(`header button[lang="fr"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="fr"]`)),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitVisible(chromedp.ID("files")))
	if got := value(t, ctx, "language"); got != "fr" {
		t.Fatalf("after switching to French, the report's language is %q", got)
	}
	run("choose Spanish, then go back and forth", chromedp.SetValue(byName("language"), "es"),
		chromedp.Click(chromedp.CSS(`button[value="back"]`)), chromedp.WaitVisible(chromedp.ID("risks")),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitVisible(chromedp.ID("files")))
	if got := value(t, ctx, "language"); got != "es" {
		t.Errorf("the language chosen on the review became %q", got)
	}
	run("switch to Russian", chromedp.Click(chromedp.CSS(`header button[lang="ru"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ru"]`)))
	if got := value(t, ctx, "language"); got != "ru" {
		t.Errorf("after switching to Russian on the review, the report's language is %q", got)
	}
}

// stepShown is the index of the form's step on the page.
func stepShown(t *testing.T, ctx context.Context) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.querySelector('input[name="step"]').value`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
