package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// TestAnnexPagesInChromium links two cases in Chromium (JavaScript off),
// then checks the case page with its sources side by side and the annex
// drafts page in Spanish at 1280 and 375 px: axe-core finds no violation,
// nothing scrolls sideways; printed, the navigation and forms are hidden
// and each State after the first starts a new page.
func TestAnnexPagesInChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	mk := func(state, publication, name string) string {
		r := intaketest.Report("special_procedures")
		r.StateConcerned, r.Consent.Publication = state, publication
		r.Victims[0].Name = name
		return e.submit(r).Reference
	}
	a := mk("EG", "named", "Nadia Abdel-Rahman Mostafa")
	b := mk("EG", "named", "N. Abdel-Rahman")
	mk("DE", "named", "<b>Bold</b> [x](y)")
	mk("ES", "anonymous", "Hidden Name")
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
	run("open", chromedp.Navigate(con.URL()), chromedp.WaitVisible(chromedp.ID("cases")))
	run("accept the roster", chromedp.Navigate(base+"/team"), chromedp.Click(chromedp.ID("accept-roster")), chromedp.WaitVisible(chromedp.ID("roster-entries")))
	run("link", chromedp.Navigate(base+"/cases/"+a), chromedp.WaitVisible(chromedp.ID("link-other")),
		chromedp.SendKeys(chromedp.ID("link-other"), strings.ToLower(b)), chromedp.Click(chromedp.ID("link-case")),
		chromedp.WaitVisible(chromedp.ID("sources")))
	for _, width := range []int{1280, 375} {
		run("resize", chromedp.EmulateViewport(int64(width), 900))
		for _, p := range []struct{ name, path, wait string }{
			{"sources", "/cases/" + a, "#sources"},
			{"annex drafts", "/annexes?lang=es", "#draft"},
		} {
			where := fmt.Sprintf("%s at %d px", p.name, width)
			run(where, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
			checkLayout(t, ctx, where)
			browsertest.Screenshot(t, ctx, "../..", fmt.Sprintf("console-%s-%d", strings.ReplaceAll(p.name, " ", "-"), width))
			for _, v := range browsertest.Axe(t, ctx) {
				t.Errorf("%s: axe: %s", where, v)
			}
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("draft")))
	if err != nil {
		t.Fatal(err)
	}
	// Spanish: Alemania, Egipto, España in that order; the pair is one
	// entry with two sources; the anonymous case is not named.
	i, j, k := strings.Index(text, "Alemania"), strings.Index(text, "Egipto"), strings.Index(text, "España")
	if i < 0 || j < i || k < j || !strings.Contains(text, "2 fuentes") || strings.Contains(text, "Hidden Name") || !strings.Contains(text, "<b>Bold</b> [x](y)") {
		t.Errorf("the Spanish draft:\n%s", text)
	}
	// Printed: no navigation, no forms, a page break before each State
	// after the first.
	run("print media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	const js = `JSON.stringify([getComputedStyle(document.querySelector('header.site')).display,
		getComputedStyle(document.querySelector('.no-print')).display,
		[...document.querySelectorAll('#annex-i .annex-state')].map(e => getComputedStyle(e).breakBefore).join(',')])`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatal(err)
	}
	if got != `["none","none","auto,page,page"]` {
		t.Errorf("printed: header, forms, breaks before each State = %s", got)
	}
}
