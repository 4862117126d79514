package main_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// TestConsoleQuitThenBackShowsNothing quits the console in a real
// Chromium after reading a case, then goes Back twice: neither the
// inbox nor the case may come back from the browser's caches (the
// back/forward cache kept whole decrypted pages after "Quit and wipe").
func TestConsoleQuitThenBackShowsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	const victim = "Victim-Name-4c1d"
	r := intaketest.Report("hrc_session")
	r.Victims[0].Name = victim
	r.Incidents[0].Narrative = "Narrative-9e2a of the case."
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), r, intake.ChannelPublic)
	if err != nil {
		t.Fatal(err)
	}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", key)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	rc := w.startConsole("omar", key)

	ctx := browsertest.New(t, 1280, 900)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	body := func() string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Evaluate[string]("document.documentElement ? document.documentElement.innerText : ''"))
		if err != nil {
			t.Fatalf("reading the page: %v", err)
		}
		return s
	}
	step("open the console", chromedp.Navigate(rc.url), chromedp.WaitVisible(chromedp.ID("cases")))
	step("open the case", chromedp.Click(chromedp.CSS(`a[href="/cases/`+acc.Reference+`"]`)), chromedp.WaitVisible(chromedp.ID("thread")))
	if got := body(); !strings.Contains(got, victim) {
		t.Fatalf("the case page lacks the victim's name:\n%s", got)
	}
	step("back to the inbox", chromedp.Navigate("http://"+rc.addr+"/"), chromedp.WaitVisible(chromedp.ID("cases")))
	step("quit", chromedp.Click(chromedp.ID("quit")), chromedp.WaitVisible(chromedp.ID("closed")))
	select {
	case <-rc.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("casectl console did not exit after Quit")
	}
	// Back as the browser's button does it, without waiting for a load
	// event: a page restored from the back/forward cache sends none.
	goBack := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		h, err := cdp.Call(ctx, tg, page.GetNavigationHistory, cdp.Empty{})
		if err != nil {
			return err
		}
		if h.CurrentIndex <= 0 {
			return errors.New("no page to go back to")
		}
		_, err = cdp.Call(ctx, tg, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[h.CurrentIndex-1].ID})
		return err
	})
	for i := 1; i <= 2; i++ {
		step("back", goBack, chromedp.Sleep(time.Second))
		got := body()
		for _, secret := range []string{victim, "Narrative-9e2a", acc.Reference} {
			if strings.Contains(got, secret) {
				t.Errorf("Back %d after Quit shows %q:\n%s", i, secret, got)
			}
		}
	}
}
