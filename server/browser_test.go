package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// browser starts a headless Chromium with JavaScript disabled, as in Tor
// Browser's "Safest" level (see internal/browsertest).
func browser(t *testing.T) context.Context { return browsertest.New(t, 1024, 900) }

// browserSteps returns two helpers bound to a browser: step runs actions
// (failing the test with name on error), read returns an element's text.
func browserSteps(t *testing.T, ctx context.Context) (step func(string, ...chromedp.Action[chromedp.Void]), read func(chromedp.CSS) string) {
	step = func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read = func(sel chromedp.CSS) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	return step, read
}

// byName selects the element whose id is the form path (ids contain
// brackets and dots, so a plain #id selector would not do).
func byName(path string) chromedp.CSS { return chromedp.CSS(`[id="` + path + `"]`) }

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Screenshot(t, ctx, "..", name)
}

// inView reports whether the element's top is within the viewport, as
// measured by DevTools (the page itself runs no script).
func inView(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById(`+strconv.Quote(id)+`); if (!e) return false;
		const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; })()`))
	if err != nil {
		t.Fatalf("measuring %s: %v", id, err)
	}
	return ok
}

// value returns a form control's current value.
func value(t *testing.T, ctx context.Context, path string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Value(byName(path)))
	if err != nil {
		t.Fatalf("value of %s: %v", path, err)
	}
	return v
}

// byIDExists reports whether the page has an element with the id.
func byIDExists(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`document.getElementById(`+strconv.Quote(id)+`) !== null`))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// pageHas reports whether any input or text area on the page holds s.
func pageHas(t *testing.T, ctx context.Context, s string) bool {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`[...document.querySelectorAll("input, textarea")].some(e => e.value.includes(`+strconv.Quote(s)+`))`))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestBrowserReportSteps goes through the report form as a reporter at
// risk would, in a real Chromium with JavaScript off, in English and
// Arabic, on a 375-pixel phone and a 1280-pixel desktop: Enter in the
// first field does not send, errors open in view, follow-up questions
// appear, adding a person lands at that person, the language switch keeps
// the answers, every step forward and back keeps them, Arabic-Indic
// digits are accepted in the date, a file goes with the report and is
// listed, reloading the confirmation makes no second report, and Back
// after sending or after leaving quickly shows nothing typed.
func TestBrowserReportSteps(t *testing.T) {
	// The quick exit leads to a page of the same origin here: a
	// cross-origin one swaps Chromium's renderer (the pages send
	// Cross-Origin-Opener-Policy), which DevTools does not follow.
	e := newEnvWith(t, storetest.NewDB(t), server.Options{QuickExitURL: "/healthz"})
	ctx := browser(t)
	run, read := browserSteps(t, ctx)
	id := e.addHandler("amal", "reprisals-team")
	tok := e.login("amal", id)

	// Leave quickly, then Back: an empty form.
	run("type, then leave quickly", chromedp.EmulateViewport(375, 800), chromedp.Navigate(e.srv.URL+"/report"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SendKeys(byName("submitter.name"), "Secret name"),
		chromedp.SendKeys(byName("submitter.contact_method"), "secret@example.org"),
		chromedp.Click(chromedp.CSS("a.quick-exit")), chromedp.WaitVisible(chromedp.CSS("body:not(:has(form))")))
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err := chromedp.Do(sctx, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.ID("report-form")))
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	cancel()
	if err != nil {
		t.Fatalf("Back after leaving quickly: %v (at %s)", err, loc)
	}
	if pageHas(t, ctx, "Secret name") || pageHas(t, ctx, "secret@example.org") {
		t.Error("Back after leaving quickly shows what was typed")
	}

	// Send straight from the last step with nothing answered: nothing is
	// stored, and the answer opens at the error summary of the first step.
	run("send an empty form", chromedp.Navigate(e.srv.URL+"/report"), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitVisible(chromedp.ID("files")),
		chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("error-summary")))
	if !inView(t, ctx, "error-summary") || e.count() != 0 {
		t.Errorf("after a failed send the error summary is not in view, or something was stored")
	}

	for _, c := range []struct {
		lang, other string
		width       int64
	}{{"en", "fr", 375}, {"ar", "en", 375}, {"en", "zh", 1280}, {"ar", "ru", 1280}} {
		name := fmt.Sprintf("%s-%d", c.lang, c.width)
		shot := func(what string) {
			if c.width == 375 {
				screenshot(t, ctx, "step-"+what+"-"+c.lang)
			}
		}
		before := e.count()
		run(name+": open", chromedp.EmulateViewport(c.width, 800), chromedp.Navigate(e.srv.URL+"/report?lang="+c.lang), chromedp.WaitVisible(chromedp.ID("report-form")))
		shot("1-about-you")

		// Enter in the first field checks this step only, and the answer
		// opens at the error summary.
		run(name+": Enter in the first field",
			chromedp.SendKeys(byName("submitter.name"), "Amina"+kb.Enter),
			chromedp.WaitVisible(chromedp.ID("error-summary")))
		if e.count() != before {
			t.Fatalf("%s: Enter sent the report", name)
		}
		if !inView(t, ctx, "error-summary") {
			t.Errorf("%s: the error summary is not in view after Enter", name)
		}
		if got := read(`#error-summary a`); got == "" {
			t.Errorf("%s: the error summary links to nothing", name)
		}
		shot("1-errors")
		run(name+": follow the error link", chromedp.Click(chromedp.CSS(`#error-summary a`)))
		if !inView(t, ctx, "submitter.relationship-error") {
			t.Errorf("%s: after following the error link, its message is not in view", name)
		}
		run(name+": about you", chromedp.SetValue(byName("submitter.relationship"), "self"),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(byName("victims[0].name")))
		shot("2-who-was-harmed")

		// Detained: Next first asks where.
		run(name+": who was harmed",
			chromedp.SendKeys(byName("victims[0].name"), "Amina"),
			chromedp.Click(byName("victims[0].kind")),
			chromedp.SetValue(byName("victims[0].status"), "detained"),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(byName("victims[0].place_of_detention")),
			chromedp.SendKeys(byName("victims[0].place_of_detention"), "Central prison"),
			chromedp.Click(chromedp.CSS(`button[value="add-victim"]`)),
			chromedp.WaitVisible(byName("victims[1].name")))
		if !inView(t, ctx, "victims[1]") {
			t.Errorf("%s: adding a person does not land at that person", name)
		}
		run(name+": a group",
			chromedp.SendKeys(byName("victims[1].name"), "Women's Rights Centre"),
			chromedp.Click(chromedp.CSS(`label[for="victims[1].kind-group"]`)), // the label works
			chromedp.SetValue(byName("victims[1].status"), "at_liberty"),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(byName("incidents[0].date")))
		shot("3-what-happened")

		// What happened, then switch language mid-form.
		run(name+": what happened",
			chromedp.SetValue(byName("state_concerned"), "BY"),
			chromedp.SendKeys(byName("incidents[0].date"), "٢٠٢٦/٠٣"),
			chromedp.SendKeys(byName("incidents[0].narrative"), "Arrested at home after the review."),
			chromedp.Click(byName("incidents[0].types-arrest_detention")),
			chromedp.Click(byName("incidents[0].perpetrator_kind")),
			chromedp.Click(chromedp.CSS(`header button[lang="`+c.other+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+c.other+`"]`)))
		if got := value(t, ctx, "incidents[0].narrative"); got != "Arrested at home after the review." {
			t.Errorf("%s: after switching language the narrative is %q", name, got)
		}
		run(name+": switch back", chromedp.Click(chromedp.CSS(`header button[lang="`+c.lang+`"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+c.lang+`"]`)),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(byName("cooperation.form")))
		shot("4-link-to-the-un")
		run(name+": link to the UN",
			chromedp.SetValue(byName("cooperation.body"), "upr"),
			chromedp.SendKeys(byName("cooperation.form"), "Sent a stakeholder report for the UPR."),
			chromedp.Click(byName("cooperation.nature")),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("risks")))
		shot("5-risk-and-consent")
		run(name+": risk and consent",
			chromedp.Click(byName("risk.immediate_danger-no")),
			chromedp.Click(byName("risk.state_contact_risk-unsure")),
			chromedp.Click(byName("consent.given_by")),
			chromedp.Click(byName("consent.risks_understood")),
			chromedp.Click(byName("consent.share_with_ohchr")),
			chromedp.Click(byName("consent.raise_with_state-no")),
			chromedp.Click(byName("consent.publication-anonymous")),
			chromedp.Click(byName("consent.share_un_mechanisms")),
			chromedp.Click(byName("consent.share_third_parties-no")),
			chromedp.Click(byName("consent.contact_permission-no")),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("files")))
		shot("6-review")
		if got := read("main"); !strings.Contains(got, "Central prison") || !strings.Contains(got, "2026-03") || !strings.Contains(got, "Women's Rights Centre") {
			t.Errorf("%s: the review lacks answers (or the date was not normalised):\n%s", name, got)
		}

		// Back, and to the first step by the indicator: nothing lost.
		run(name+": back", chromedp.Click(chromedp.CSS(`button[value="back"]`)), chromedp.WaitVisible(byName("consent.risks_understood")))
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		checked, err := chromedp.Run(sctx, chromedp.JavascriptAttribute[bool](byName("consent.risks_understood"), "checked"))
		cancel()
		if err != nil || !checked {
			t.Errorf("%s: after Back the consent box is not checked (%v)", name, err)
		}
		run(name+": to the first step", chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-0"]`)), chromedp.WaitVisible(byName("submitter.name")))
		if got := value(t, ctx, "submitter.name"); got != "Amina" {
			t.Errorf("%s: back on the first step the name is %q", name, got)
		}
		run(name+": to the review", chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitVisible(chromedp.ID("files")))

		// Send with a file.
		photo := filepath.Join(t.TempDir(), "photo-"+name+".jpg")
		content := bytes.Repeat([]byte("not really a jpeg "+name), 5000)
		os.WriteFile(photo, content, 0o600)
		run(name+": send", chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
			chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
		shot("7-confirmation")
		ref := read("#reference")
		if got := read("#received-files"); !strings.Contains(got, filepath.Base(photo)) {
			t.Errorf("%s: the confirmation lists %q", name, got)
		}
		if e.count() != before+1 {
			t.Fatalf("%s: %d reports stored, want one more", name, e.count()-before)
		}
		if got := e.fetchAttachments(ref, e.teams.Reprisals, tok); !bytes.Equal(got[filepath.Base(photo)], content) {
			t.Errorf("%s: the file sent with the report does not decrypt for the team", name)
		}
		if !inView(t, ctx, "receipt") && c.width == 375 {
			t.Errorf("%s: the receipt is not on the first screen", name)
		}

		// Reload the confirmation: no second report. Chromium either
		// sends the POST again (then the server answers "already
		// received" with the same reference) or does not (then the
		// server sees no second POST); either way, one case.
		posts := e.reportPosts.Load()
		run(name+": reload the confirmation", chromedp.Reload())
		switch again := e.reportPosts.Load() - posts; again {
		case 0:
			t.Logf("%s: Chromium did not send the form again on reload", name)
		case 1:
			if got := read("main"); !strings.Contains(got, ref) || byIDExists(t, ctx, "receipt") {
				t.Errorf("%s: the reload was sent again, but the page is not \"already received\" with %s:\n%s", name, ref, got)
			}
			t.Logf("%s: Chromium sent the form again on reload and was told it was already received", name)
		default:
			t.Errorf("%s: the reload sent the form %d times", name, again)
		}
		if e.count() != before+1 {
			t.Errorf("%s: reloading the confirmation stored another report", name)
		}
		// Back after sending shows nothing that was typed.
		sctx, cancel = context.WithTimeout(ctx, 15*time.Second)
		chromedp.Do(sctx, chromedp.NavigateBack())
		cancel()
		if pageHas(t, ctx, "Arrested at home") || pageHas(t, ctx, "Amina") {
			t.Errorf("%s: Back after sending shows the answers", name)
		}
	}
	screenshot(t, ctx, "step-7-confirmation-1280")

}

// TestBrowserReturnVisitKeepsReplies comes back with the receipt in
// Chromium with JavaScript off, reads the UN's reply, adds information,
// and still sees the reply.
func TestBrowserReturnVisitKeepsReplies(t *testing.T) {
	e := newEnv(t)
	acc := e.submitted("upr")
	e.reply(acc.Reference, "Thank you. We are looking into this.")
	ctx := browser(t)
	run, read := browserSteps(t, ctx)
	run("return with the receipt", chromedp.EmulateViewport(375, 800),
		chromedp.Navigate(e.srv.URL+"/return?lang=ar"),
		chromedp.SendKeys(chromedp.ID("receipt"), strings.ToLower(acc.Receipt.String())),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("messages")))
	screenshot(t, ctx, "visit-ar")
	if got := read("#messages"); !strings.Contains(got, "Thank you. We are looking into this.") {
		t.Fatalf("the reply is not shown: %q", got)
	}
	run("add information",
		chromedp.SendKeys(chromedp.ID("text"), "He was released on bail yesterday."),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("added")))
	screenshot(t, ctx, "visit-added-ar")
	if got := read("#messages"); !strings.Contains(got, "Thank you. We are looking into this.") {
		t.Errorf("after adding information the reply is gone: %q", got)
	}
}

// TestBrowserLayouts saves screenshots of the form and the return page in
// every language, checks that the form's first and last steps need no
// sideways scrolling at 320 CSS pixels (a small phone) and at 640 (a
// 1280-pixel window at 200% zoom), in English and Arabic, and that the
// receipt code never breaks inside a group of five from 240 to 400 pixels.
func TestBrowserLayouts(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	run, _ := browserSteps(t, ctx)
	for _, lang := range []string{"ar", "zh", "en", "fr", "ru", "es"} {
		run("form "+lang, chromedp.Navigate(e.srv.URL+"/report?lang="+lang), chromedp.WaitVisible(chromedp.CSS("form")))
		screenshot(t, ctx, "form-"+lang)
		run("return "+lang, chromedp.Navigate(e.srv.URL+"/return?lang="+lang), chromedp.WaitVisible(chromedp.CSS("form")))
		screenshot(t, ctx, "return-"+lang)
	}
	measure := func(expr string) int64 {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// Measured by DevTools, not by a page script (the page has none).
		v, err := chromedp.Run(sctx, chromedp.Evaluate[int64](expr))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, width := range []int64{320, 640} {
		for _, lang := range []string{"en", "ar"} {
			for _, step := range []string{"0", "5"} {
				run(fmt.Sprintf("%s at %d, step %s", lang, width, step), chromedp.EmulateViewport(width, 800),
					chromedp.Navigate(e.srv.URL+"/report?lang="+lang), chromedp.WaitVisible(chromedp.ID("report-form")),
					chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-`+step+`"], nav.steps [aria-current]`)),
					chromedp.WaitVisible(chromedp.ID("report-form")))
				if scroll := measure("document.documentElement.scrollWidth"); scroll > width {
					t.Errorf("%s at %d px, step %s: the page is %d px wide and scrolls sideways", lang, width, step, scroll)
				}
			}
		}
	}
	// The receipt on small screens: each group of five on one line.
	run("send a report", chromedp.Navigate(e.srv.URL+"/report"))
	resp, b := e.postForm(formValues(intaketestReport("upr")))
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	// Shown from a data: URL with the stylesheet inlined (a POST cannot be
	// navigated to, and the static files are not served cross-origin).
	_, css := e.do("GET", "/static/style.css", "", nil)
	page := strings.Replace(string(b), `<link rel="stylesheet" href="/static/style.css">`, "<style>"+string(css)+"</style>", 1)
	run("show the confirmation", chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(page)),
		chromedp.WaitVisible(chromedp.ID("receipt")))
	if measure(`getComputedStyle(document.querySelector(".panel")).paddingTop === "16px" ? 1 : 0`) != 1 {
		t.Fatal("the stylesheet did not apply to the confirmation")
	}
	for width := int64(240); width <= 400; width += 16 {
		run(fmt.Sprintf("the receipt at %d px", width), chromedp.EmulateViewport(width, 800))
		if broken := measure(`[...document.querySelectorAll("#receipt span")].filter(s => s.getClientRects().length !== 1).length`); broken != 0 {
			t.Errorf("at %d px, %d groups of the receipt break across lines", width, broken)
		}
	}
	if n := measure(`document.querySelectorAll("#receipt span").length`); n != 5 {
		t.Errorf("the receipt shows %d groups, want 5", n)
	}
}

// TestBrowserFileOverLimitWithReport sends a report with a file over the
// limit from Chromium (JavaScript off): the server reads and discards the
// rest of the body, so the browser shows the page that says nothing was
// sent (not a reset connection), with the answers and the token kept;
// sending again with a smaller file stores the report once, with it.
func TestBrowserFileOverLimitWithReport(t *testing.T) {
	e := newEnvWith(t, storetest.NewDB(t), server.Options{Attach: intake.AttachLimits{MaxFiles: 20, MaxFileBytes: 1 << 20}})
	ctx := browser(t)
	run, read := browserSteps(t, ctx)
	run("open the last step", chromedp.EmulateViewport(375, 800), chromedp.Navigate(e.srv.URL+"/report"),
		chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-5"]`)), chromedp.WaitVisible(chromedp.ID("files")))
	// The answers of a complete report, put into the form by DevTools
	// (the page runs no script) in place of typing every step again;
	// before the file input, as the server reads the fields before the
	// files.
	answers, _ := json.Marshal(formValues(intaketest.Report("upr")))
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	n, err := chromedp.Run(sctx, chromedp.Evaluate[int](`(() => {
		const f = document.getElementById("report-form"), files = document.getElementById("files"), v = `+string(answers)+`;
		let n = 0;
		for (const [k, vals] of Object.entries(v)) {
			document.querySelectorAll("[name]").forEach(e => { if (e.name === k && e.form === f) e.remove(); });
			for (const s of vals) { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = s; files.before(i); n++; }
		}
		return n; })()`))
	cancel()
	if err != nil || n == 0 {
		t.Fatalf("filling the form: %d answers, %v", n, err)
	}
	dir := t.TempDir()
	big, small := filepath.Join(dir, "big-video.mp4"), filepath.Join(dir, "statement.txt")
	os.WriteFile(big, make([]byte, 3<<20), 0o600)
	os.WriteFile(small, []byte("What I saw."), 0o600)
	run("send with a file over the limit", chromedp.SetUploadFiles(chromedp.ID("files"), []string{big}),
		chromedp.Click(chromedp.CSS(`button[value="submit"]`)))
	sctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	err = chromedp.Do(sctx, chromedp.WaitVisible(chromedp.ID("banner")))
	cancel()
	if err != nil {
		sctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		body, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`location.href + "\n" + [...document.querySelectorAll("#error-summary a")].map(a => a.getAttribute("href")).join(" ") + "\n" + document.querySelector("main").innerText.slice(0, 1500)`))
		cancel()
		t.Fatalf("no banner after sending a file over the limit (%d POSTs, %d reports): %v\n%s", e.reportPosts.Load(), e.count(), err, body)
	}
	screenshot(t, ctx, "file-over-limit-en")
	if got := read("#banner"); !strings.Contains(got, "Nothing was sent") {
		t.Errorf("the banner says %q", got)
	}
	if e.count() != 0 {
		t.Fatalf("%d reports stored, want none", e.count())
	}
	if !pageHas(t, ctx, intaketest.Report("upr").Incidents[0].Narrative) {
		t.Error("the answers were not kept")
	}
	run("send again with a small file", chromedp.SetUploadFiles(chromedp.ID("files"), []string{small}),
		chromedp.Click(chromedp.CSS(`button[value="submit"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
	if got := read("#received-files"); !strings.Contains(got, "statement.txt") {
		t.Errorf("the confirmation lists %q", got)
	}
	if e.count() != 1 {
		t.Errorf("%d reports stored, want 1", e.count())
	}
}
