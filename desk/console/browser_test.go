package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// layout is what the geometry check reads from a page.
type layout struct {
	Width, ScrollWidth int
	Broken             []string // tokens shown on more than one line
	BadRegions         []string // scroll containers the keyboard cannot reach or that have no name
}

// checkLayout fails when the page scrolls sideways, a token (reference,
// date, badge, handler name, fingerprint group) breaks across lines, or a
// scroll container is not a named, focusable region.
func checkLayout(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	const js = `JSON.stringify({
		Width: document.documentElement.clientWidth,
		ScrollWidth: document.documentElement.scrollWidth,
		Broken: [...document.querySelectorAll('.token, .badge, .fingerprint, .u-U1, .u-U2, code:not(.key), ' +
			'#cases tbody th a, #cases tbody td:nth-child(2), #cases tbody td:nth-child(11), #cases tbody td:nth-child(12), #who')]
			.filter(e => e.getClientRects().length > 1).map(e => e.textContent),
		BadRegions: [...document.querySelectorAll('.scroll')]
			.filter(e => e.getAttribute('tabindex') !== '0' || e.getAttribute('role') !== 'region' ||
				!(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'))).map(e => e.id || e.className)
	})`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var l layout
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	if l.ScrollWidth > l.Width {
		t.Errorf("%s: the page is %d px wide in a %d px window", where, l.ScrollWidth, l.Width)
	}
	if len(l.Broken) > 0 {
		t.Errorf("%s: tokens broken across lines: %q", where, l.Broken)
	}
	if len(l.BadRegions) > 0 {
		t.Errorf("%s: scroll containers without tabindex=0, role=region and a name: %q", where, l.BadRegions)
	}
}

// TestConsolePagesInChromium opens every console page in Chromium
// (JavaScript off) at 375 and 1280 px: axe-core finds no violation, the
// page never scrolls sideways, tokens stay on one line and wide tables
// scroll in named, focusable regions. It also checks that after Save,
// Add the note and Use template the focus is on the action's result, not
// at the top of the page.
func TestConsolePagesInChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.handler("nadia-al-rashid", "reprisals-team")
	r := intaketest.Report("hrc_session")
	r.StateConcerned, r.Risk.ImmediateDanger = "KP", "yes"
	r.Victims[0].Name = "Kim Jong-suk Park-Lee"
	acc := e.submit(r)
	ref := acc.Reference
	other := e.submit(intaketest.Report("upr")).Reference
	visit, err := e.svc.Lookup(context.Background(), acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FollowUp(context.Background(), visit.Case, "He was moved.", "en"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool().Exec(context.Background(), `UPDATE reports SET urgency = 'U1', assignee = 'nadia-al-rashid', next_deadline = current_date + 7 WHERE reference = $1`, ref); err != nil {
		t.Fatal(err)
	}
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
	focused := func() string {
		t.Helper()
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.activeElement ? document.activeElement.id : ''"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	run("open", chromedp.Navigate(con.URL()), chromedp.WaitVisible(chromedp.ID("cases")))

	// Focus returns to the action's result.
	run("accept the roster", chromedp.Navigate(base+"/team"), chromedp.Click(chromedp.ID("accept-roster")), chromedp.WaitVisible(chromedp.ID("roster-entries")))
	run("save", chromedp.Navigate(base+"/cases/"+ref), chromedp.WaitVisible(chromedp.ID("save-triage")),
		chromedp.Click(chromedp.ID("save-triage")), chromedp.WaitVisible(chromedp.ID("done")))
	if got := focused(); got != "done" {
		t.Errorf("after Save the focus is on %q, want the confirmation (done)", got)
	}
	run("add a note", chromedp.SendKeys(chromedp.ID("note-text"), "Called the family."), chromedp.Click(chromedp.ID("add-note")),
		chromedp.WaitVisible(chromedp.CSS("li.note")))
	if got := focused(); !strings.HasPrefix(got, "note-") {
		t.Errorf("after Add the note the focus is on %q, want the new note", got)
	}
	run("use a template", chromedp.SetValue(chromedp.ID("template"), "received-fr"), chromedp.Click(chromedp.ID("use-template")),
		chromedp.WaitReady(chromedp.CSS(`#template option[value="received-fr"][selected]`)))
	if got := focused(); got != "reply-text" {
		t.Errorf("after Use template the focus is on %q, want the reply box", got)
	}

	type page struct {
		name string
		open []chromedp.Action[chromedp.Void]
	}
	visit2 := func(path, wait string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + path), chromedp.WaitVisible(chromedp.CSS(wait))}
	}
	pages := []page{
		{"inbox", visit2("/", "#cases")},
		{"case", visit2("/cases/"+ref, "#thread")},
		{"confirm a move", append(visit2("/cases/"+other, "#to"), chromedp.SetValue(chromedp.ID("to"), "closed"),
			chromedp.SetValue(chromedp.ID("reason"), "resolved"), chromedp.Click(chromedp.ID("move")), chromedp.WaitVisible(chromedp.ID("confirm-move")))},
		{"annual report", visit2("/annual", "#totals")},
		{"templates", visit2("/templates", "#templates-list")},
		{"edit a template", visit2("/templates?edit=received-ar", "#template-form")},
		{"team roster", visit2("/team", "#roster-entries")},
		{"rekey check", append(visit2("/team", "#rekey-check"), chromedp.Click(chromedp.ID("rekey-check")), chromedp.WaitVisible(chromedp.ID("rekey-run")))},
		{"not found", visit2("/cases/2222-2222", "#error-message")},
	}
	for _, width := range []int{1280, 375} {
		run("resize", chromedp.EmulateViewport(int64(width), 900))
		for _, p := range pages {
			where := fmt.Sprintf("%s at %d px", p.name, width)
			run(where, p.open...)
			checkLayout(t, ctx, where)
			browsertest.Screenshot(t, ctx, "../..", fmt.Sprintf("console-%s-%d", strings.ReplaceAll(p.name, " ", "-"), width))
			for _, v := range browsertest.Axe(t, ctx) {
				t.Errorf("%s: axe: %s", where, v)
			}
		}
	}
	// A roster change not accepted yet: the team page and the page that
	// asks before a note.
	nadia, _ := age.GenerateX25519Identity()
	e.publishRoster("reprisals-team", id, nadia)
	for _, width := range []int{1280, 375} {
		for _, p := range []page{
			{"team roster change", append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(int64(width), 900)}, visit2("/team", "#roster-change")...)},
			{"roster change before a note", append(visit2("/cases/"+ref, "#note-text"), chromedp.SendKeys(chromedp.ID("note-text"), "Second note."),
				chromedp.Click(chromedp.ID("add-note")), chromedp.WaitVisible(chromedp.ID("accept-roster")))},
		} {
			where := fmt.Sprintf("%s at %d px", p.name, width)
			run(where, p.open...)
			checkLayout(t, ctx, where)
			for _, v := range browsertest.Axe(t, ctx) {
				t.Errorf("%s: axe: %s", where, v)
			}
		}
	}

	// Last, the closed page (the console ends with it).
	run("quit", chromedp.EmulateViewport(375, 900), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("quit")),
		chromedp.Click(chromedp.ID("quit")), chromedp.WaitVisible(chromedp.ID("closed")))
	checkLayout(t, ctx, "closed page")
	for _, v := range browsertest.Axe(t, ctx) {
		t.Errorf("closed page: axe: %s", v)
	}
}
