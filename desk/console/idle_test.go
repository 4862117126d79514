package console_test

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestIdleTimeout: a console nobody uses closes by itself, port and all.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.submit(intaketest.Report("hrc_session"))
	src := console.NewSource(e.login("omar", id), []age.Identity{id}, e.pins())
	con, err := console.Start(console.Config{Source: src, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer con.Close()
	select {
	case <-con.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the console did not close after its idle timeout")
	}
	if c, err := net.DialTimeout("tcp", con.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the port is still open after the idle timeout")
	}
}

// TestReplyTemplates: the team's templates are edited in the console and
// kept in their file (mode 0600); an invalid one is refused.
func TestReplyTemplates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	path := filepath.Join(t.TempDir(), "templates.json")
	tpl, err := console.LoadTemplates(path)
	if err != nil {
		t.Fatal(err)
	}
	src := console.NewSource(e.login("omar", id), []age.Identity{id}, e.pins())
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		t.Fatal(err)
	}
	defer con.Close()
	hc := openConsole(t, con)
	code, body := post(t, hc, con, "/templates", url.Values{"id": {"raised-es"}, "title": {"Caso planteado"}, "language": {"es"},
		"text": {"Hemos planteado su caso."}})
	if code != http.StatusOK {
		t.Fatalf("saving a template: %d\n%s", code, body)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("templates file: %v", err)
	}
	again, err := console.LoadTemplates(path)
	if err != nil {
		t.Fatal(err)
	}
	if rt, ok := again.Get("raised-es"); !ok || rt.Text != "Hemos planteado su caso." {
		t.Errorf("the saved template: %+v", rt)
	}
	if code, body := post(t, hc, con, "/templates", url.Values{"id": {"Bad Id"}, "title": {"x"}, "language": {"es"}, "text": {"x"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "identifier") {
		t.Errorf("an invalid identifier: %d", code)
	}
	if code, _ := post(t, hc, con, "/templates", url.Values{"delete": {"raised-es"}}); code != http.StatusOK {
		t.Errorf("deleting: %d", code)
	}
	if again, _ := console.LoadTemplates(path); len(again.List()) != len(tpl.List()) {
		t.Errorf("after deleting: %d templates", len(again.List()))
	}
}

// TestTeamRoster: the team page shows the roster change to accept first,
// then the verified recipients.
func TestTeamRoster(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.publishRoster("reprisals-team", id)
	con, _, hc := e.console("omar", id)
	code, page := get(t, hc, "http://"+con.Addr()+"/team")
	if code != http.StatusOK || !strings.Contains(page, "Team reprisals-team&#39;s roster, version 1") {
		t.Fatalf("team page before accepting: %d\n%s", code, page)
	}
	code, page = post(t, hc, con, "/team", url.Values{"accept_roster": {acceptance(t, page)}})
	if code != http.StatusOK || !strings.Contains(page, "Verified: your team&#39;s roster lists 2 recipients.") ||
		!strings.Contains(page, id.Recipient().String()) {
		t.Errorf("team page after accepting: %d\n%s", code, page)
	}

	// A roster that no longer lists this handler: accepted as a change,
	// but no note is encrypted to a team the handler is not on.
	ref := e.submit(intaketest.Report("hrc_session")).Reference
	post(t, hc, con, "/reload", nil)
	e.publishRoster("reprisals-team")
	note := url.Values{"text": {"Note."}}
	code, page = post(t, hc, con, "/cases/"+ref+"/note", note)
	if code != http.StatusConflict || !strings.Contains(page, "REMOVED") {
		t.Fatalf("note after this handler was removed: %d\n%s", code, page)
	}
	note.Set("accept_roster", acceptance(t, page))
	code, page = post(t, hc, con, "/cases/"+ref+"/note", note)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "does not list your key") {
		t.Errorf("a note to a roster without this handler: %d\n%s", code, page)
	}
}
