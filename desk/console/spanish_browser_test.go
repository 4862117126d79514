package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// TestConsoleInSpanish switches the console to Spanish from the annual
// report page in Chromium at 375 px: the page stays the same, speaks
// Spanish (html lang="es"), never scrolls sideways and axe-core finds no
// violation; the inbox follows.
func TestConsoleInSpanish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.submit(intaketest.Report("hrc_session"))
	e.publishRoster("reprisals-team", id)
	con, _ := e.startConsole("omar", id)
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
	run("open", chromedp.Navigate(con.URL()), chromedp.WaitVisible(chromedp.ID("cases")))
	run("annual report", chromedp.Navigate(base+"/annual"), chromedp.WaitVisible(chromedp.ID("totals")))
	run("switch to Spanish", chromedp.Click(chromedp.CSS(`button[name="lang"][value="es"]`)), chromedp.WaitReady(chromedp.CSS(`html[lang="es"]`)),
		chromedp.WaitVisible(chromedp.ID("totals")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/annual") {
		t.Errorf("after the switch the page is %s, want the annual report", loc)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "Informe anual") || !strings.Contains(title, "Consola de casos") {
		t.Errorf("title %q, want it in Spanish", title)
	}
	for _, path := range []string{"/annual", "/"} {
		run("open "+path, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS(`html[lang="es"]`)))
		checkLayout(t, ctx, "Spanish "+path+" at 375 px")
		for _, v := range browsertest.Axe(t, ctx) {
			t.Errorf("Spanish %s: axe: %s", path, v)
		}
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Bandeja de entrada", "Salir y borrar"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Spanish inbox does not say %q", want)
		}
	}
}
