package console_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// The parts of a PDF that Chromium prints which markedPages reads: it
// writes its page and link objects uncompressed.
var (
	pdfObject = regexp.MustCompile(`(?s)(\d+) 0 obj\s*<<(.*?)\nendobj`)
	pdfAnnots = regexp.MustCompile(`/Annots \[([^\]]*)\]`)
	pdfRef    = regexp.MustCompile(`(\d+) 0 R`)
	pdfPage   = regexp.MustCompile(`/Type\s*/Page[^s]`)
)

// markedPages counts the pages of a PDF Chromium printed, and those of
// them with a link to uri among their annotations.
func markedPages(pdf []byte, uri string) (pages, marked int) {
	probe := map[string]bool{}
	var pageObjs []string
	for _, m := range pdfObject.FindAllSubmatch(pdf, -1) {
		body := string(m[2])
		switch {
		case strings.Contains(body, "/Subtype /Link") && strings.Contains(body, "/URI ("+uri+")"):
			probe[string(m[1])] = true
		case pdfPage.MatchString(body):
			pageObjs = append(pageObjs, body)
		}
	}
	for _, body := range pageObjs {
		if a := pdfAnnots.FindStringSubmatch(body); a != nil {
			for _, r := range pdfRef.FindAllStringSubmatch(a[1], -1) {
				if probe[r[1]] {
					marked++
					break
				}
			}
		}
	}
	return len(pageObjs), marked
}

// TestPrintCaseInChromium shows a long case's print view in Chromium
// (JavaScript off), on screen with its sealing form (axe 0 violations,
// no sideways scroll), then with print media emulated, at 375 px and at 1280 px: the whole
// case is there, axe-core finds no violation, the page does not scroll
// sideways, the site's navigation and the language and Quit forms are
// not printed, and the confidential marking is shown with position:
// fixed, which Chromium repeats at the top of every printed page, over a
// top padding of the page's main that is cloned on every page (so it
// hides no text there; the test checks the CSS, not the printed pixels).
// page.PrintToPDF then prints it: several pages, and the marking (with a
// probe link the test adds to it, since Chromium writes every link as an
// annotation of the page it is on) is on every one of them.
func TestPrintCaseInChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var long []string
	for i := range 3 {
		var b strings.Builder
		for j := range 80 {
			fmt.Fprintf(&b, "Line %d of follow-up %d: what happened next, told in detail.\n", j, i)
		}
		long = append(long, b.String())
	}
	pc := wholeCase(t, e, long...)
	ref, planted := pc.ref, pc.planted
	ctx := browsertest.New(t, 1280, 900)
	run := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// A second console of the same handler for the browser (the first
	// one's one-time link was used by wholeCase's client).
	con, _ := e.startConsole("omar", pc.id)
	base := "http://" + con.Addr()
	run("open", chromedp.Navigate(con.URL()), chromedp.WaitVisible(chromedp.ID("cases")))
	run("accept the roster", chromedp.Navigate(base+"/team"), chromedp.Click(chromedp.ID("accept-roster")), chromedp.WaitVisible(chromedp.ID("roster-entries")))
	run("print view", chromedp.Navigate(base+"/cases/"+ref+"/print"), chromedp.WaitVisible(chromedp.ID("paper-form")))
	// On screen, with the form that seals it for a colleague.
	for _, width := range []int{1280, 375} {
		run("resize", chromedp.EmulateViewport(int64(width), 900))
		where := fmt.Sprintf("print view on screen, %d px", width)
		checkLayout(t, ctx, where)
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("%s: axe: %s", where, v)
		}
	}
	run("print media", media("print"))
	for _, width := range []int{1280, 375} {
		run("resize", chromedp.EmulateViewport(int64(width), 900))
		where := fmt.Sprintf("print view, print media, %d px", width)
		if got := eval(`window.matchMedia("print").matches ? "print" : "screen"`); got != "print" {
			t.Fatalf("%s: media is %s", where, got)
		}
		if pos := eval(`getComputedStyle(document.getElementById("confidential")).position`); pos != "fixed" {
			t.Errorf("%s: the confidential marking is %q, want fixed (repeated on every printed page)", where, pos)
		}
		if room := eval(`(() => { const m = document.querySelector("main"), c = document.getElementById("confidential");
			const s = getComputedStyle(m); return s.boxDecorationBreak + " " + (parseFloat(s.paddingTop) >= c.getBoundingClientRect().height) })()`); room != "clone true" {
			t.Errorf("%s: the room kept for the marking on every page: %q, want the main's top padding, cloned on each page, at least the marking's height", where, room)
		}
		if m := eval(`document.getElementById("confidential").innerText`); !strings.Contains(m, "CONFIDENTIAL") || !strings.Contains(m, "Printed by omar on ") {
			t.Errorf("%s: the marking reads %q", where, m)
		}
		if shown := eval(`[...document.querySelectorAll("header.site, footer.site, form, .noprint")].filter(e => e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 60)).join(" | ")`); shown != "" {
			t.Errorf("%s: printed but should not be: %s", where, shown)
		}
		text := eval(`document.body.innerText`)
		for _, f := range planted {
			if !strings.Contains(text, f) {
				t.Errorf("%s: the printed case lacks %q", where, f)
			}
		}
		checkLayout(t, ctx, where)
		browsertest.Screenshot(t, ctx, "../..", fmt.Sprintf("console-print-%d", width))
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("%s: axe: %s", where, v)
		}
	}
	run("resize back", chromedp.EmulateViewport(1280, 900))

	// On paper: a probe link in the marking shows on which pages it is.
	eval(`(() => { const a = document.createElement("a"); a.href = "https://marking.invalid/probe"; a.textContent = " ·"; document.getElementById("confidential").append(a); return "" })()`)
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil {
		t.Fatalf("PrintToPDF: %v", err)
	}
	pages, marked := markedPages(pdf, "https://marking.invalid/probe")
	t.Logf("the long case printed on %d A4 pages, the marking's link on %d", pages, marked)
	if pages < 3 {
		t.Errorf("the long case printed on %d pages, want several", pages)
	}
	if marked != pages {
		t.Errorf("the confidential marking is on %d of %d printed pages", marked, pages)
	}
}
