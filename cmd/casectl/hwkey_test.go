package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/hwkey"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// TestHardwareKeyHandler: a handler whose identity is a hardware key's
// (the test age plugin age-plugin-hwtest, built here and put on casectl's
// PATH: the identity file holds only AGE-PLUGIN-HWTEST-1..., the P-256 key
// stays in the plugin's device) does the whole loop with casectl against
// the real server: signing-key -recipient age1tag1... makes a signing key
// sealed to the hardware recipient, the custodian lists it in the signed
// roster, login, show of a case sealed to the hardware recipient, and
// reply, which is signed and shown on the reporter's /return page and
// verified by a colleague. The plugin does every decryption (its use
// count grows); another hardware identity, a foreign -recipient, and the
// key unplugged are refused, with nothing sent.
func TestHardwareKeyHandler(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dev, err := hwkey.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.path = dev.Path()
	omarKey := w.addHandler("omar", "reprisals-team")
	w.publishRoster("reprisals-team", "omar")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.pin("omar")

	file, hwRec, err := dev.Generate()
	if err != nil {
		t.Fatal(err)
	}
	hanaKey := filepath.Join(w.dir, "hana.key")
	os.WriteFile(hanaKey, []byte(file), 0o600)
	if strings.Contains(file, "AGE-SECRET-KEY") || !strings.Contains(file, "AGE-PLUGIN-HWTEST-1") {
		t.Fatalf("the hardware identity file is not a plugin's:\n%s", file)
	}
	if err := w.db.AddHandler(context.Background(), store.Handler{Name: "hana", Team: "reprisals-team", Recipient: hwRec},
		w.cases.OperatorAudit("test", "handler.add", "hana")); err != nil {
		t.Fatal(err)
	}

	// A -recipient that is not the hardware key's own is refused, nothing saved.
	w.fails("hana", "does not open with your identity", "signing-key", "-i", hanaKey, "-recipient", w.ids["omar"].Recipient().String())
	if _, err := os.Stat(crypto.SigningKeyPath(hanaKey)); err == nil {
		t.Fatal("a signing key the hardware key cannot open was saved")
	}
	uses := dev.Uses()
	out := w.must("hana", "", "signing-key", "-i", hanaKey, "-recipient", hwRec)
	contains(t, out, "encrypted to "+hwRec)
	m := regexp.MustCompile(`Signing key \(give[^:]*: (reprisals-signing-key-ed25519:\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("signing-key printed no key:\n%s", out)
	}
	sig := m[1]
	if dev.Uses() <= uses {
		t.Error("the hardware key was not asked to open the new signing key")
	}
	if b, _ := os.ReadFile(crypto.SigningKeyPath(hanaKey)); !strings.Contains(string(b), "AGE ENCRYPTED FILE") || strings.Contains(string(b), "SECRET") {
		t.Errorf("the signing key is not kept encrypted:\n%s", b)
	}
	// Opening it again goes through the hardware key too.
	uses = dev.Uses()
	contains(t, w.must("hana", "", "signing-key", "-i", hanaKey), "Your signing key", sig)
	if dev.Uses() <= uses {
		t.Error("the existing signing key was opened without the hardware key")
	}

	// The custodian (omar) lists hana's hardware recipient and signing key.
	cur, next := w.dir+"/current.json", w.dir+"/next.json"
	w.must("omar", "", "roster", "fetch", "-team", "reprisals-team", "-out", cur)
	contains(t, w.must("omar", "", "roster", "sign", "-key", w.dir+"/reprisals-team.rosterkey", "-from", cur,
		"-add", hwRec, "-label", "hana", "-signer", sig, "-out", next), "ADDED:   hana ("+hwRec+")", "SIGNING: hana ("+hwRec+") signs replies with "+sig)
	contains(t, w.must("omar", "yes\n", "roster", "publish", next), "Published")

	// hana logs in (the challenge is sealed to the hardware recipient).
	uses = dev.Uses()
	w.must("hana", "", "login", "-server", w.url, "-handler", "hana", "-i", hanaKey)
	if dev.Uses() <= uses {
		t.Error("login did not use the hardware key")
	}
	w.pin("hana")
	contains(t, w.must("hana", "", "roster", "show", "-team", "reprisals-team"), "hana ("+hwRec+")")
	// The roster the server serves lists her signer beside her recipient.
	w.must("hana", "", "roster", "fetch", "-team", "reprisals-team", "-out", w.dir+"/hana-current.json")
	if got := signerIn(t, w.dir+"/hana-current.json", hwRec); got != sig {
		t.Errorf("the served roster lists %q as hana's signer, want %q", got, sig)
	}

	// A new report is sealed to the hardware recipient; hana reads it.
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	ref := acc.Reference
	uses = dev.Uses()
	contains(t, w.must("hana", "", "show", "-i", hanaKey, ref), "Reference:   "+ref)
	if dev.Uses() <= uses {
		t.Error("the case was opened without the hardware key")
	}

	// Her reply is signed with the key only her hardware key opens.
	contains(t, w.must("hana", "", "reply", "-i", hanaKey, ref, "-m", "Hana here, from the reprisals team."), "Added reply")
	if got := w.shownReplies(acc.Receipt); len(got) != 1 || got[0] != "Hana here, from the reprisals team." {
		t.Fatalf("the reporter is shown %q, want hana's signed reply", got)
	}
	if page := returnPage(t, w.url, acc.Receipt); !strings.Contains(page, "Hana here, from the reprisals team.") {
		t.Errorf("the /return page does not show hana's signed reply:\n%s", page)
	}
	contains(t, w.must("omar", "yes\n", "notes", "-i", omarKey, ref), "signature verified: signed by hana's")

	var before int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&before)
	// Another hardware identity (a second slot) cannot open hana's signing
	// key, nor sign with it.
	otherFile, _, err := dev.Generate()
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(w.dir, "other.key")
	os.WriteFile(other, []byte(otherFile), 0o600)
	b, _ := os.ReadFile(crypto.SigningKeyPath(hanaKey))
	os.WriteFile(crypto.SigningKeyPath(other), b, 0o600)
	w.fails("other", "not encrypted to your identity", "signing-key", "-i", other)
	w.fails("hana", "not encrypted to your identity", "reply", "-i", other, ref, "-m", "Not hana.")
	// Without -recipient, signing-key takes the one in the hardware
	// identity file's "# Recipient:" comment.
	thirdFile, thirdRec, err := dev.Generate()
	if err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(w.dir, "third.key")
	os.WriteFile(third, []byte(thirdFile), 0o600)
	contains(t, w.must("third", "", "signing-key", "-i", third), "encrypted to "+thirdRec)
	// Unplugged, hana's hardware key opens nothing: no reply goes out.
	if err := dev.Unplug(); err != nil {
		t.Fatal(err)
	}
	w.fails("hana", "not plugged in", "reply", "-i", hanaKey, ref, "-m", "Without the key.")
	w.fails("hana", "not plugged in", "show", "-i", hanaKey, ref)
	var after int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&after)
	if after != before {
		t.Errorf("%d replies were sent while refused", after-before)
	}
}

// signerIn is the signer a saved signed roster (roster fetch -out) lists
// beside recipient rec.
func signerIn(t *testing.T, path, rec string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s handlerapi.SignedRoster
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	r, err := roster.Parse([]byte(s.Roster))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Entries {
		if e.Recipient == rec {
			return e.Signer
		}
	}
	return ""
}
