package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// runningConsole is `casectl console` started as a process, with its own
// temporary directory.
type runningConsole struct {
	cmd    *exec.Cmd
	url    string
	addr   string
	tmp    string
	output chan string // the lines it prints
	exited chan error
}

// startConsole runs `casectl console` for a logged-in handler and waits
// for the address it prints.
func (w *world) startConsole(who, key string, extra ...string) *runningConsole {
	w.t.Helper()
	rc := &runningConsole{tmp: w.t.TempDir(), output: make(chan string, 100), exited: make(chan error, 1)}
	rc.cmd = exec.Command(bin, append([]string{"console", "-i", key, "-templates", filepath.Join(w.dir, who+"-templates.json")}, extra...)...)
	rc.cmd.Env = append(os.Environ(), "CASECTL_SESSION="+filepath.Join(w.dir, who+".session"), "CASECTL_PINS="+filepath.Join(w.dir, who+".pins"),
		"CASECTL_IDENTITY=", "TMPDIR="+rc.tmp)
	out, err := rc.cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	rc.cmd.Stderr = rc.cmd.Stdout
	if err := rc.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { rc.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			rc.output <- sc.Text()
		}
		close(rc.output)
		rc.exited <- rc.cmd.Wait()
	}()
	deadline := time.After(60 * time.Second)
	for rc.url == "" {
		select {
		case line, ok := <-rc.output:
			if !ok {
				w.t.Fatal("casectl console exited before printing its address")
			}
			if s := strings.TrimSpace(line); strings.HasPrefix(s, "http://127.0.0.1:") {
				rc.url = s
			}
		case <-deadline:
			w.t.Fatal("casectl console printed no address")
		}
	}
	rc.addr = strings.TrimPrefix(rc.url[:strings.Index(rc.url, "/open")], "http://")
	return rc
}

// downloads makes Chromium save downloads into a new folder and returns a
// function that waits for the next one to complete and returns its bytes.
func downloads(t *testing.T, ctx context.Context) func(name string, click chromedp.Action[chromedp.Void]) []byte {
	dir := t.TempDir()
	done := make(chan string, 4)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			done <- e.GUID
		}
	}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	return func(name string, click chromedp.Action[chromedp.Void]) []byte {
		t.Helper()
		if err := chromedp.Do(ctx, click); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		select {
		case guid := <-done:
			b, err := os.ReadFile(filepath.Join(dir, guid))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return b
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: no download completed", name)
			return nil
		}
	}
}

// TestConsoleInChromium drives `casectl console` in Chromium (JavaScript
// off) against a real server and PostgreSQL with real identities: the
// inbox with decrypted summaries, filters by State and urgency, a case
// with a follow-up, a note and a reply (which the reporter reads at
// /return), transitions (a disallowed one not offered, and refused when
// forced), reload, language switch, a phone-width window, exports, the
// annual report with known counts and its CSV, and Quit: the port closes
// and nothing decrypted is left in the console's temporary directory.
func TestConsoleInChromium(t *testing.T) {
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	const canary = "CANARY-7f3e9b"
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	submit := func(state, publication, danger, victim string) intake.Accepted {
		r := intaketest.Report("hrc_session")
		r.StateConcerned, r.Consent.Publication, r.Risk.ImmediateDanger = state, publication, danger
		r.Victims[0].Name = victim
		r.Incidents[0].Narrative = canary + " narrative of " + victim
		acc, err := svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
		if err != nil {
			t.Fatal(err)
		}
		return acc
	}
	urgent := submit("KP", "named", "yes", "Kim Urgent")
	calm := submit("KP", "anonymous", "no", "Lee Calm")
	turkey := submit("TR", "no", "no", "Ayla Private")
	visit, err := svc.Lookup(context.Background(), urgent.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.FollowUp(context.Background(), visit.Case, "He was moved to another prison.", "en"); err != nil {
		t.Fatal(err)
	}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", key)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	rc := w.startConsole("omar", key)

	ctx := browsertest.New(t, 1280, 900)
	shot := func(name string) { browsertest.Screenshot(t, ctx, "../..", name) }
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
			page, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
			dcancel()
			t.Fatalf("%s: %v\n%s", name, err, page)
		}
	}
	read := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('"+sel+"').length"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	download := downloads(t, ctx)

	// The inbox, decrypted.
	step("open the console", chromedp.Navigate(rc.url), chromedp.WaitVisible(chromedp.ID("cases")))
	shot("console-inbox")
	inbox := read("#cases")
	for _, want := range []string{urgent.Reference, calm.Reference, turkey.Reference, "Kim Urgent", "Lee Calm", "Ayla Private",
		"Democratic People's Republic of Korea", "Türkiye", "Human Rights Council session", "Arrest or detention", "U1", "unread follow-up"} {
		if !strings.Contains(inbox, want) {
			t.Errorf("the inbox lacks %q:\n%s", want, inbox)
		}
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); strings.Contains(loc, "secret") {
		t.Errorf("the secret stays in the address bar: %s", loc)
	}

	// Filter by State and urgency; search the decrypted text (Enter in the field).
	step("filter", chromedp.SetValue(chromedp.ID("state"), "KP"), chromedp.SetValue(chromedp.ID("urgency"), "U1"),
		chromedp.Click(chromedp.ID("apply")), chromedp.WaitReady(chromedp.CSS(`#urgency option[value="U1"][selected]`)))
	if n := count("#cases tbody tr"); n != 1 || !strings.Contains(read("#cases"), "Kim Urgent") {
		t.Errorf("KP and U1: %d rows:\n%s", n, read("#cases"))
	}
	step("search", chromedp.Navigate("http://"+rc.addr+"/"), chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "ayla\n"), chromedp.WaitVisible(chromedp.CSS(`#q[value="ayla"]`)))
	if n := count("#cases tbody tr"); n != 1 || !strings.Contains(read("#cases"), turkey.Reference) {
		t.Errorf("search for ayla: %d rows", n)
	}

	// A case: the follow-up, a note, a reply.
	step("open a case", chromedp.Navigate("http://"+rc.addr+"/"), chromedp.WaitVisible(chromedp.ID("cases")),
		chromedp.Click(chromedp.CSS(`a[href="/cases/`+urgent.Reference+`"]`)), chromedp.WaitVisible(chromedp.ID("thread")))
	shot("console-case")
	if got := read("#thread"); !strings.Contains(got, "He was moved to another prison.") {
		t.Errorf("the follow-up is not in the thread:\n%s", got)
	}
	if got := read("#consent"); !strings.Contains(got, "Named") {
		t.Errorf("consent panel: %q", got)
	}
	step("add a note", chromedp.SendKeys(chromedp.ID("note-text"), "Called the family."), chromedp.Click(chromedp.ID("add-note")),
		chromedp.WaitVisible(chromedp.ID("done")))
	step("reload after adding", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("thread")))
	// The English template is offered first for an English report; take
	// the French one (the page changes, so the wait is for the new page).
	step("reply from a template", chromedp.SetValue(chromedp.ID("template"), "received-fr"), chromedp.Click(chromedp.ID("use-template")),
		chromedp.WaitReady(chromedp.CSS(`#template option[value="received-fr"][selected]`)))
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("reply-text"))); !strings.HasPrefix(v, "Merci pour votre signalement.") {
		t.Errorf("the template did not fill the reply: %q", v)
	}
	step("send the reply", chromedp.SendKeys(chromedp.ID("reply-text"), " We are raising it."), chromedp.Click(chromedp.ID("send-reply")),
		chromedp.WaitVisible(chromedp.ID("done")))
	var notes int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind IN ('note', 'reply')`).Scan(&notes)
	if notes != 2 {
		t.Errorf("%d notes and replies stored, want 2 (a reload must not add one)", notes)
	}
	if got := read("#thread"); !strings.Contains(got, "Called the family.") || !strings.Contains(got, "We are raising it.") {
		t.Errorf("thread after note and reply:\n%s", got)
	}

	// Transitions: only allowed ones offered; a forged one refused.
	options := read("#to")
	if strings.Contains(options, "Published") || !strings.Contains(options, "Acknowledged") {
		t.Errorf("status menu offers: %q", options)
	}
	step("forge a disallowed transition", chromedp.SetAttributeValue(chromedp.CSS("#to option"), "value", "published"),
		chromedp.Click(chromedp.ID("move")), chromedp.WaitVisible(chromedp.ID("error-message")))
	if got := read("#error-message"); !strings.Contains(got, "cannot move") {
		t.Errorf("forged transition: %q", got)
	}
	step("back to the case", chromedp.Navigate("http://"+rc.addr+"/cases/"+urgent.Reference), chromedp.WaitVisible(chromedp.ID("to")))
	step("acknowledge", chromedp.SetValue(chromedp.ID("to"), "acknowledged"), chromedp.Click(chromedp.ID("move")), chromedp.WaitVisible(chromedp.ID("done")))
	if got := read("#status"); got != "Acknowledged" {
		t.Errorf("status after the move: %q", got)
	}

	// Export: a download, audited.
	exported := download("export", chromedp.Click(chromedp.ID("export")))
	if !bytes.Contains(exported, []byte(`"reference": "`+urgent.Reference+`"`)) || !bytes.Contains(exported, []byte("Kim Urgent")) {
		t.Errorf("export: %.200s", exported)
	}

	// The reporter reads the reply at /return.
	step("the reporter comes back", chromedp.Navigate(w.url+"/return"), chromedp.WaitVisible(chromedp.ID("receipt")),
		chromedp.SendKeys(chromedp.ID("receipt"), urgent.Receipt.String()+"\n"), chromedp.WaitNotPresent(chromedp.ID("receipt")))
	if got := read("main"); !strings.Contains(got, "We are raising it.") {
		t.Errorf("the reporter does not see the reply:\n%s", got)
	}

	// The annual report: known counts, and the CSV.
	step("annual report", chromedp.Navigate("http://"+rc.addr+"/annual"), chromedp.WaitVisible(chromedp.ID("by-state")))
	shot("console-annual")
	if got := read("#totals"); !strings.Contains(got, "3 cases in the period (duplicates and cases closed as not a report left out); 2 may appear in the CSV.") {
		t.Errorf("annual totals: %q", got)
	}
	if got := read("#by-state"); !strings.Contains(got, "Democratic People's Republic of Korea\t2") && !strings.Contains(got, "Democratic People's Republic of Korea 2") {
		t.Errorf("by State: %q", got)
	}
	rows, err := csv.NewReader(bytes.NewReader(download("annual CSV", chromedp.Click(chromedp.ID("export-csv"))))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("annual CSV: %d rows (%v), want a header and 2", len(rows), err)
	}

	// A roster change adds nadia: the team page's Rekey shows the change
	// and what it would do first, then re-encrypts on confirmation.
	w.addHandler("nadia", "reprisals-team")
	w.publishRoster("reprisals-team", "omar", "nadia")
	step("rekey: check first", chromedp.Navigate("http://"+rc.addr+"/team"), chromedp.WaitVisible(chromedp.ID("rekey-check")),
		chromedp.Click(chromedp.ID("rekey-check")), chromedp.WaitVisible(chromedp.ID("rekey-run")))
	shot("console-rekey")
	if got := read("#roster-change"); !strings.Contains(got, "ADDED:") || !strings.Contains(got, "nadia") {
		t.Errorf("the rekey check does not show the change: %q", got)
	}
	if got := read("#rekey-preview"); !strings.Contains(got, "A rekey would re-encrypt 3 cases") {
		t.Errorf("the rekey check: %q", got)
	}
	step("rekey", chromedp.Click(chromedp.ID("rekey-run")), chromedp.WaitVisible(chromedp.ID("rekey-done")))
	if got := read("#rekey-done"); !strings.Contains(got, "Re-encrypted 3 cases") {
		t.Errorf("the rekey result: %q", got)
	}
	var ct []byte
	if err := w.db.Pool().QueryRow(context.Background(), `SELECT ciphertext FROM reports WHERE reference = $1`, urgent.Reference).Scan(&ct); err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.Open(ct, w.ids["nadia"]); err != nil {
		t.Errorf("nadia cannot read a case after the console's rekey: %v", err)
	}

	// French, and a phone-sized window without sideways scrolling.
	step("switch to French", chromedp.Navigate("http://"+rc.addr+"/"), chromedp.WaitVisible(chromedp.ID("cases")),
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="fr"]`)), chromedp.WaitReady(chromedp.CSS(`html[lang="fr"]`)))
	if got := read("h1"); got != "Boîte de réception" {
		t.Errorf("French heading: %q", got)
	}
	if got := read("#cases"); !strings.Contains(got, "République populaire démocratique de Corée") {
		t.Errorf("French inbox: %q", got)
	}
	step("phone width", chromedp.EmulateViewport(375, 800), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("cases")))
	shot("console-inbox-375")
	if wide, _ := chromedp.Run(ctx, chromedp.Evaluate[int64]("document.documentElement.scrollWidth")); wide > 375 {
		t.Errorf("at 375 px the inbox is %d px wide and scrolls sideways", wide)
	}

	// Quit: the page says so, the process ends, the port closes, and the
	// console's temporary directory holds nothing decrypted.
	step("quit", chromedp.Click(chromedp.ID("quit")), chromedp.WaitVisible(chromedp.ID("closed")))
	select {
	case err := <-rc.exited:
		if err != nil {
			t.Errorf("casectl console exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("casectl console did not exit after Quit")
	}
	if c, err := net.DialTimeout("tcp", rc.addr, time.Second); err == nil {
		c.Close()
		t.Error("the console's port is still open after it exited")
	}
	filepath.WalkDir(rc.tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte("Kim Urgent")) {
			t.Errorf("%s holds decrypted content", path)
		}
		return nil
	})
	var lines []string
	for l := range rc.output {
		lines = append(lines, l)
	}
	if out := strings.Join(lines, "\n"); !strings.Contains(out, "wiped") || strings.Contains(out, canary) {
		t.Errorf("console output after quitting:\n%s", out)
	}
}
