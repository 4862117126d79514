package server_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/internal/debian"
)

// chromiumPath finds Debian's Chromium, installing it when missing and
// running as root. A test that needs it fails, never skips, without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"chromium", "/usr/bin/chromium"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if err := debian.Install(context.Background(), "chromium"); err != nil {
		t.Fatalf("the browser tests need Chromium: install it with 'apt-get install -y chromium' (%v)", err)
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Chromium: install it with 'apt-get install -y chromium' (%v)", err)
	}
	return path
}

// browser starts a headless Chromium with JavaScript disabled, as in Tor
// Browser's "Safest" level, and returns a context for chromedp actions.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	noScript := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	if err := chromedp.Do(ctx, noScript); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

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

// answerTheRest clicks the remaining required choices of the report form
// (they are the same in every language) and sends it.
var answerTheRest = chromedp.Steps(
	chromedp.Click(byName("incidents[0].perpetrator_kind")),
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
	chromedp.Click(chromedp.CSS("button.primary")),
	chromedp.WaitVisible(chromedp.CSS("#receipt")),
)

// byName selects the element whose id is the form path (ids contain
// brackets and dots, so a plain #id selector would not do).
func byName(path string) chromedp.CSS { return chromedp.CSS(`[id="` + path + `"]`) }

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// JPEG is quicker to encode; REPRISALS_SCREENSHOT_PNG=1 gives PNG.
	quality, ext := 80, ".jpg"
	if os.Getenv("REPRISALS_SCREENSHOT_PNG") != "" {
		quality, ext = 100, ".png"
	}
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(quality))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join("..", "testdata-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+ext), img, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserReportWithoutJavaScript fills in and sends the form in a real
// Chromium with JavaScript off: first with required answers missing (the
// errors appear and the typed text stays), then complete (the
// confirmation shows a reference and a receipt, and the report is stored).
func TestBrowserReportWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	step, read := browserSteps(t, ctx)

	step("open the form", chromedp.Navigate(e.srv.URL+"/report"), chromedp.WaitVisible(chromedp.CSS("form")))
	screenshot(t, ctx, "form-en")

	// Send with most answers missing.
	step("first attempt",
		chromedp.SendKeys(byName("submitter.name"), "Amina"),
		chromedp.SendKeys(byName("incidents[0].narrative"), "Arrested at home after the review."),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")),
	)
	screenshot(t, ctx, "form-errors-en")
	summary := read("#error-summary")
	for _, want := range []string{"not", "Please give a name or a pseudonym.", "We can only receive the report if you agree", "Please choose the State concerned"} {
		if !strings.Contains(summary, want) {
			t.Errorf("error summary lacks %q:\n%s", want, summary)
		}
	}
	if got := read(`[id="victims[0].name-error"]`); !strings.Contains(got, "name or a pseudonym") {
		t.Errorf("no message next to the victim's name: %q", got)
	}
	for path, want := range map[string]string{"submitter.name": "Amina", "incidents[0].narrative": "Arrested at home after the review."} {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		got, err := chromedp.Run(sctx, chromedp.Value(byName(path)))
		cancel()
		if err != nil || got != want {
			t.Errorf("%s after the error: %q (%v), want %q kept", path, got, err, want)
		}
	}
	if n := e.count(); n != 0 {
		t.Fatalf("%d reports stored by an invalid submission", n)
	}

	// Complete the required answers, by keyboard and mouse only.
	step("complete the form",
		chromedp.SendKeys(byName("submitter.relationship"), "I am"),
		chromedp.SendKeys(byName("victims[0].name"), "Amina"),
		chromedp.Click(byName("victims[0].kind")),
		chromedp.SendKeys(byName("victims[0].status"), "Detained"),
		chromedp.SendKeys(byName("cooperation.body"), "Universal"),
		chromedp.SendKeys(byName("cooperation.form"), "Sent a stakeholder report for the UPR."),
		chromedp.Click(byName("cooperation.nature")),
		chromedp.SendKeys(byName("state_concerned"), "Ukraine"),
		chromedp.SendKeys(byName("incidents[0].date"), "2026-03"),
		chromedp.Click(byName("incidents[0].types-arrest_detention")),
		answerTheRest,
	)
	screenshot(t, ctx, "confirmation-en")
	ref, receipt := read("#reference"), read("#receipt")
	if !regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}$`).MatchString(ref) || !regexp.MustCompile(`^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$`).MatchString(receipt) {
		t.Fatalf("confirmation shows reference %q and receipt %q", ref, receipt)
	}
	stored, err := e.db.ReportByReference(context.Background(), ref)
	if err != nil {
		t.Fatalf("the confirmed report is not stored: %v", err)
	}

	// Attach a file from the confirmation page.
	photo := filepath.Join(t.TempDir(), "photo.jpg")
	os.WriteFile(photo, bytes.Repeat([]byte("not really a jpeg "), 5000), 0o600)
	step("attach a file",
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{photo}),
		chromedp.Click(chromedp.CSS("button.secondary")),
		chromedp.WaitVisible(chromedp.ID("attached")),
	)
	screenshot(t, ctx, "attached-en")
	if got := read("#attached"); !strings.Contains(got, "photo.jpg") {
		t.Errorf("attached panel: %q", got)
	}
	var files int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM attachments WHERE complete`).Scan(&files)
	if files != 1 {
		t.Errorf("%d attachments stored, want 1", files)
	}
	if strings.Join(stored.Teams, ",") != "upr-secretariat,reprisals-team" {
		t.Errorf("a UPR report was routed to %v", stored.Teams)
	}
	if plain, err := crypto.Open(stored.Ciphertext, e.teams.Reprisals); err != nil || !bytes.Contains(plain, []byte(`"state_concerned":"UA"`)) {
		t.Errorf("the State chosen by typing its name is not in the stored report (%v)", err)
	}

	// Come back with the receipt, read a handler's reply, add information.
	e.reply(ref, "Thank you. We are looking into this.")
	step("return with the receipt",
		chromedp.Click(chromedp.CSS(`header a[href^="/return"]`)),
		chromedp.WaitVisible(chromedp.ID("receipt")),
		chromedp.SendKeys(chromedp.ID("receipt"), strings.ToLower(receipt)),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("messages")),
	)
	screenshot(t, ctx, "visit-en")
	if got := read("#messages"); !strings.Contains(got, "Thank you. We are looking into this.") {
		t.Errorf("the reply is not shown: %q", got)
	}
	step("add a follow-up",
		chromedp.SendKeys(chromedp.ID("text"), "He was released on bail yesterday."),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("added")),
	)
	var followups int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'followup'`).Scan(&followups)
	if followups != 1 {
		t.Errorf("%d follow-ups stored, want 1", followups)
	}
}

// TestBrowserArabicAndLayouts sends a report in Arabic with JavaScript off
// (errors first, then complete), saves screenshots of the main pages in
// every language, and checks that the form needs no horizontal scrolling at
// 320 CSS pixels (a small phone) and at 640 (a 1280-pixel window at 200%
// zoom).
func TestBrowserArabicAndLayouts(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	run, read := browserSteps(t, ctx)
	attrOf := func(sel chromedp.CSS, name string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.AttributeValue(sel, name))
		if err != nil {
			t.Fatalf("%s[%s]: %v", sel, name, err)
		}
		return v.Value
	}

	for _, lang := range []string{"ar", "zh", "en", "fr", "ru", "es"} {
		run("form "+lang, chromedp.Navigate(e.srv.URL+"/report?lang="+lang), chromedp.WaitVisible(chromedp.CSS("form")))
		screenshot(t, ctx, "form-"+lang)
		run("return "+lang, chromedp.Navigate(e.srv.URL+"/return?lang="+lang), chromedp.WaitVisible(chromedp.CSS("form")))
		screenshot(t, ctx, "return-"+lang)
	}

	// Arabic: right to left, translated, errors shown and input kept.
	run("open the Arabic form", chromedp.Navigate(e.srv.URL+"/report?lang=ar"), chromedp.WaitVisible(chromedp.CSS("form")))
	if attrOf("html", "dir") != "rtl" || attrOf("html", "lang") != "ar" {
		t.Fatal("the Arabic page is not marked right-to-left")
	}
	run("send incomplete",
		chromedp.SendKeys(byName("submitter.name"), "أمينة"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")),
	)
	screenshot(t, ctx, "form-errors-ar")
	if got := read("#error-summary"); !strings.Contains(got, "يرجى إدخال اسم أو اسم مستعار.") {
		t.Errorf("Arabic error summary: %q", got)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if v, err := chromedp.Run(sctx, chromedp.Value(byName("submitter.name"))); err != nil || v != "أمينة" {
		t.Errorf("Arabic input not kept: %q %v", v, err)
	}
	cancel()
	run("complete in Arabic",
		chromedp.SendKeys(byName("submitter.relationship"), "أنا"),
		chromedp.SendKeys(byName("victims[0].name"), "أمينة"),
		chromedp.Click(byName("victims[0].kind")),
		chromedp.SendKeys(byName("victims[0].status"), "محتجز"),
		chromedp.SendKeys(byName("cooperation.body"), "الاستعراض"),
		chromedp.SendKeys(byName("cooperation.form"), "أرسلت معلومات للاستعراض الدوري الشامل."),
		chromedp.Click(byName("cooperation.nature")),
		chromedp.SendKeys(byName("state_concerned"), "دولة فلسطين"),
		chromedp.SendKeys(byName("incidents[0].date"), "2026-03"),
		chromedp.SendKeys(byName("incidents[0].narrative"), "اعتُقلت في منزلها بعد الاستعراض."),
		chromedp.Click(byName("incidents[0].types-arrest_detention")),
		answerTheRest,
	)
	screenshot(t, ctx, "confirmation-ar")
	if attrOf("html", "dir") != "rtl" {
		t.Error("the Arabic confirmation is not right-to-left")
	}
	ref := read("#reference")
	stored, err := e.db.ReportByReference(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := crypto.Open(stored.Ciphertext, e.teams.Reprisals)
	if err != nil || !bytes.Contains(plain, []byte(`"language":"ar"`)) || !bytes.Contains(plain, []byte("اعتُقلت في منزلها")) {
		t.Errorf("the stored report does not record Arabic as its language, or lost its text (%v)", err)
	}
	if !bytes.Contains(plain, []byte(`"state_concerned":"PS"`)) {
		t.Error("the State chosen by its Arabic name is not in the stored report")
	}

	// No horizontal scrolling at 320 and 640 CSS pixels, in English and Arabic.
	for _, width := range []int64{320, 640} {
		for _, lang := range []string{"en", "ar"} {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(sctx, chromedp.EmulateViewport(width, 800), chromedp.Navigate(e.srv.URL+"/report?lang="+lang), chromedp.WaitVisible(chromedp.CSS("form")))
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			// Measured by DevTools, not by a page script (the page has none).
			scroll, err := chromedp.Run(sctx, chromedp.Evaluate[int64]("document.documentElement.scrollWidth"))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if scroll > width {
				t.Errorf("%s at %d px: the page is %d px wide and scrolls sideways", lang, width, scroll)
			}
		}
		screenshot(t, ctx, "form-ar-"+strconv.FormatInt(width, 10))
	}
}
