package console_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/hwkey"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// TestConsoleWithAHardwareKey: a handler whose identity is a hardware
// key's (the test plugin age-plugin-hwtest, run by the age plugin client
// in this process: the P-256 key stays in the plugin's device) logs in,
// makes and opens their signing key (desk), and in the console reads a
// case sealed to their age1tag1 recipient and sends a signed reply that
// the reporter's /return page shows. Every decryption is the plugin's.
// Not parallel: the plugin client finds the plugin on PATH.
func TestConsoleWithAHardwareKey(t *testing.T) {
	dev, err := hwkey.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dev.Path())
	file, rec, err := dev.Generate()
	if err != nil {
		t.Fatal(err)
	}
	id, err := plugin.NewIdentity(strings.TrimSpace(file[strings.Index(file, "AGE-PLUGIN-"):]), plugin.NewTerminalUI(t.Logf, t.Logf))
	if err != nil {
		t.Fatal(err)
	}
	ids := []age.Identity{id}
	path := filepath.Join(t.TempDir(), "hana.key")
	os.WriteFile(path, []byte(file), 0o600)
	r, err := crypto.ParseRecipient(rec)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := desk.MakeSigningKey(path, r, ids)
	if err != nil {
		t.Fatal(err)
	}
	k, err := desk.LoadSigningKey(path, ids)
	if err != nil || !k.Public().Equal(pub) {
		t.Fatalf("the signing key opened as %v, %v", k.Public(), err)
	}

	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.AddHandler(ctx, store.Handler{Name: "hana", Team: "reprisals-team", Recipient: rec},
		e.cases.OperatorAudit("test", "handler.add", "hana")); err != nil {
		t.Fatal(err)
	}
	e.PublishEntries("reprisals-team", roster.Entry{Recipient: rec, Label: "hana", Signer: pub.String()})
	acc := e.submit(intaketest.Report("hrc_session"))
	ref := acc.Reference

	uses := dev.Uses()
	src := console.NewSource(e.login("hana", id), ids, e.pins())
	src.SetSigningKey(k)
	tpl, err := console.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { con.Close() })
	hc := openConsole(t, con)
	if err := src.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	if cs, ok := src.Lookup(ref); !ok || !cs.Readable() {
		t.Fatalf("the case sealed to the hardware recipient is not opened")
	}
	code, page := get(t, hc, "http://"+con.Addr()+"/cases/"+ref)
	if code != http.StatusOK {
		t.Fatalf("case page: %d\n%s", code, page)
	}
	contains(t, "case page", page, ref, "Attachments")
	if dev.Uses() < uses+2 {
		t.Errorf("the hardware key was used %d times for login and the case, want at least 2", dev.Uses()-uses)
	}

	form := url.Values{"text": {"Hana here, with her hardware key."}}
	code, body := post(t, hc, con, "/cases/"+ref+"/reply", form)
	if code == http.StatusConflict { // the roster, used for the first time
		form.Set("accept_roster", acceptance(t, body))
		code, body = post(t, hc, con, "/cases/"+ref+"/reply", form)
	}
	if code != http.StatusOK {
		t.Fatalf("reply: %d\n%s", code, body)
	}
	visit, err := e.svc.Lookup(ctx, acc.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if len(visit.Replies) != 1 || !visit.Replies[0].OK || visit.Replies[0].Text != "Hana here, with her hardware key." {
		t.Fatalf("the reporter reads %+v, want hana's signed reply", visit.Replies)
	}
	if page := returnPage(t, e.url, acc.Receipt); !strings.Contains(page, "Hana here, with her hardware key.") {
		t.Errorf("the /return page does not show hana's signed reply")
	}
	_, page = get(t, hc, "http://"+con.Addr()+"/cases/"+ref)
	if n := strings.Count(page, `data-signature="verified"`); n != 1 {
		t.Errorf("%d replies marked verified on the case page, want 1", n)
	}
}
