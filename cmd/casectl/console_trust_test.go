package main_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// Chromium after reading and printing a case, then goes Back three
// times: neither the inbox, the printable case nor the case page may
// come back from the browser's caches (the
// back/forward cache kept whole decrypted pages after "Quit and wipe").
func TestConsoleQuitThenBackShowsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	const victim = "Victim-Name-4c1d"
	r := intaketest.Report("hrc_session")
	r.Victims[0].Name = victim
	r.Incidents[0].Narrative = "Narrative-9e2a of the case."
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
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
	step("print the case", chromedp.Click(chromedp.ID("print-link")), chromedp.WaitVisible(chromedp.ID("confidential")))
	if got := body(); !strings.Contains(got, victim) || !strings.Contains(got, "Narrative-9e2a") {
		t.Fatalf("the printable case lacks the victim's name or the narrative:\n%s", got)
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
	// Back three times: the inbox, the printable case, the case page.
	for i := 1; i <= 3; i++ {
		step("back", goBack, chromedp.Sleep(time.Second))
		got := body()
		for _, secret := range []string{victim, "Narrative-9e2a", acc.Reference} {
			if strings.Contains(got, secret) {
				t.Errorf("Back %d after Quit shows %q:\n%s", i, secret, got)
			}
		}
	}
}

// TestConsoleOpenKeepsTheSecretOutOfProcesses starts `casectl console
// -open` with a browser command that records its arguments and stays
// running, then reads every process's command line and environment: the
// console's one-time secret is in none of them (it was in the browser's
// command line, readable by every local user). The browser gets a file
// that only the handler can read; Chromium opening it reaches the inbox,
// the file is gone after that, and the secret does not work twice.
func TestConsoleOpenKeepsTheSecretOutOfProcesses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", key)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")

	dir := t.TempDir()
	argvFile, release := filepath.Join(dir, "argv"), filepath.Join(dir, "release")
	fake := filepath.Join(dir, "browser")
	// The fake browser records its arguments, then waits (at most 60 s)
	// while the test looks at every process.
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argvFile + ".tmp && mv " + argvFile + ".tmp " + argvFile +
		"\ni=0; while [ ! -e " + release + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
	if err := os.WriteFile(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(release, nil, 0o600) })
	tmp := t.TempDir()
	cmd := exec.Command(bin, "console", "-open", "-i", key, "-templates", filepath.Join(w.dir, "omar-templates.json"))
	cmd.Env = append(os.Environ(), "CASECTL_SESSION="+filepath.Join(w.dir, "omar.session"), "CASECTL_PINS="+filepath.Join(w.dir, "omar.pins"),
		"CASECTL_IDENTITY=", "TMPDIR="+tmp, "XDG_RUNTIME_DIR=", "BROWSER="+fake)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	var argv []string
	for deadline := time.Now().Add(60 * time.Second); argv == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the browser was not started; casectl printed:\n%s", out.String())
		}
		if b, err := os.ReadFile(argvFile); err == nil {
			argv = strings.Split(strings.TrimSpace(string(b)), "\n")
		}
	}
	if a := strings.Join(argv, " "); strings.Contains(a, "secret=") {
		t.Fatalf("the browser's command line carries the secret: %s", a)
	}
	if len(argv) != 1 {
		t.Fatalf("browser arguments %q, want one file", argv)
	}
	path := argv[0]
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the file the browser opens has mode %v, want 0600", fi.Mode().Perm())
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("the file's directory: %v %v, want mode 0700", di.Mode().Perm(), err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`http://127\.0\.0\.1:(\d+)/open\?secret=([A-Za-z0-9_-]{40,})`).FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("the file holds no console address:\n%s", page)
	}
	addr, secret := "127.0.0.1:"+m[1], m[2]

	// Every process this user can read: command line and environment.
	scan := func(when string) {
		t.Helper()
		procs, _ := filepath.Glob("/proc/[0-9]*")
		read := 0
		for _, p := range procs {
			for _, f := range []string{"cmdline", "environ"} {
				b, err := os.ReadFile(filepath.Join(p, f))
				if err != nil {
					continue
				}
				read++
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s: the secret is in %s/%s: %q", when, p, f, b)
				}
			}
		}
		if read == 0 {
			t.Fatalf("%s: no process could be read", when)
		}
	}
	scan("with the browser running")
	if strings.Contains(out.String(), secret) {
		t.Errorf("casectl printed the secret with -open:\n%s", out.String())
	}

	// Chromium opens the file and reaches the inbox.
	ctx := browsertest.New(t, 1280, 900)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.ID("cases"))); err != nil {
		t.Fatalf("opening the file in Chromium: %v\n%s", err, out.String())
	}
	if inbox, _ := chromedp.Run(sctx, chromedp.Text(chromedp.ID("cases"))); !strings.Contains(inbox, ref) {
		t.Errorf("the inbox lacks %s:\n%s", ref, inbox)
	}
	if loc, _ := chromedp.Run(sctx, chromedp.Location()); strings.Contains(loc, secret) {
		t.Errorf("the secret stays in the address bar: %s", loc)
	}
	scan("with Chromium on the inbox")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the file with the secret is still there after use: %v", err)
	}
	// Single use.
	resp, err := http.Get("http://" + addr + "/open?secret=" + secret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the secret used a second time: HTTP %d, want 403", resp.StatusCode)
	}
}
