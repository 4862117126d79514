package main_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// shownReplies is what the reporter's return visit shows of receipt's
// case: the replies that intake.Lookup verified.
func (w *world) shownReplies(receipt crypto.Receipt) []string {
	w.t.Helper()
	v, err := intake.NewService(w.db.DB, w.teams.Config, nil).Lookup(context.Background(), receipt)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, r := range v.Replies {
		if r.Kind == "reply" && r.OK {
			out = append(out, r.Text)
		}
	}
	return out
}

// TestSignedReplies: casectl signs replies with the signing key beside the
// identity, and the reporter is shown them; a handler without a signing
// key, or whose key the roster does not list, is refused before anything
// is sent (the reporter would not see it); casectl signing-key makes one
// for an existing handler and the custodian lists it with roster sign
// -set-signer; casectl notes marks each reply's signature against the
// pinned roster, a planted unsigned or forged one included.
func TestSignedReplies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	nadiaKey := w.addHandler("nadia", "reprisals-team")
	// nadia joined before signing keys: she has none yet.
	os.Remove(crypto.SigningKeyPath(nadiaKey))
	delete(w.signing, "nadia")
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	ref := acc.Reference
	w.publishRoster("reprisals-team", "omar", "nadia")
	for who, key := range map[string]string{"omar": omarKey, "nadia": nadiaKey} {
		w.must(who, "", "login", "-server", w.url, "-handler", who, "-i", key)
		w.pin(who)
	}

	contains(t, w.must("omar", "", "reply", "-i", omarKey, ref, "-m", "We have received your report."), "Added reply")
	if got := w.shownReplies(acc.Receipt); len(got) != 1 || got[0] != "We have received your report." {
		t.Fatalf("the reporter is shown %q, want omar's signed reply", got)
	}
	if page := returnPage(t, w.url, acc.Receipt); !strings.Contains(page, "We have received your report.") {
		t.Errorf("the /return page does not show casectl's signed reply:\n%s", page)
	}

	// nadia: no signing key, then one the roster does not list yet.
	var before int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&before)
	w.fails("nadia", "you have no signing key", "reply", "-i", nadiaKey, ref, "-m", "Unsigned.")
	out := w.must("nadia", "", "signing-key", "-i", nadiaKey)
	m := regexp.MustCompile(`Signing key \(give[^:]*: (reprisals-signing-key-ed25519:\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("signing-key printed no key:\n%s", out)
	}
	if info, err := os.Stat(crypto.SigningKeyPath(nadiaKey)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v", err)
	}
	if b, _ := os.ReadFile(crypto.SigningKeyPath(nadiaKey)); strings.Contains(string(b), "SECRET") || !strings.Contains(string(b), "AGE ENCRYPTED FILE") {
		t.Errorf("the signing key is not kept encrypted:\n%s", b)
	}
	contains(t, w.must("nadia", "", "signing-key", "-i", nadiaKey), "Your signing key", m[1])
	w.fails("nadia", "lists your signing key", "reply", "-i", nadiaKey, ref, "-m", "Not on the roster yet.")
	var after int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&after)
	if after != before {
		t.Errorf("%d replies were sent while refused", after-before)
	}

	// The custodian lists nadia's signing key (README: fetch, sign, publish).
	cur, next := w.dir+"/current.json", w.dir+"/next.json"
	w.must("omar", "", "roster", "fetch", "-team", "reprisals-team", "-out", cur)
	signed := w.must("omar", "", "roster", "sign", "-key", w.dir+"/reprisals-team.rosterkey", "-from", cur,
		"-set-signer", w.ids["nadia"].Recipient().String()+"="+m[1], "-out", next)
	contains(t, signed, "SIGNING: nadia", m[1])
	contains(t, w.must("omar", "yes\n", "roster", "publish", next), "Published")
	// nadia sees the change (her signing key) and agrees before replying.
	contains(t, w.must("nadia", "yes\n", "reply", "-i", nadiaKey, ref, "-m", "Nadia here: we are on it."), "SIGNING: nadia", "Added reply")
	if got := w.shownReplies(acc.Receipt); len(got) != 2 || got[1] != "Nadia here: we are on it." {
		t.Fatalf("the reporter is shown %q, want omar's and nadia's replies", got)
	}

	// Planted: unsigned, and omar's signature over another text, both
	// encrypted to the reply key (and to omar, so he sees them).
	replyRec, _ := crypto.ParseRecipient(acc.Receipt.ReplyIdentity().Recipient().String())
	omarRec, _ := crypto.ParseRecipient(w.ids["omar"].Recipient().String())
	recs := []crypto.Recipient{replyRec, omarRec}
	unsigned, _ := envelope.SealNoteTo("reply", ref, "omar", "PLANTED: come to the ministry.", recs)
	w.addRawNote(ref, "reply", unsigned)
	plain, _ := envelope.SealReply(ref, "omar", "We have received your report.", time.Now(), w.signing["omar"])
	forged := strings.Replace(string(plain), "We have received your report.", "FORGED: come to the ministry.", 1)
	s, _ := crypto.Seal([]byte(forged), recs)
	w.addRawNote(ref, "reply", s.Ciphertext)
	if got := w.shownReplies(acc.Receipt); len(got) != 2 {
		t.Errorf("planted replies are shown to the reporter: %q", got)
	}
	if page := returnPage(t, w.url, acc.Receipt); strings.Contains(page, "PLANTED") || strings.Contains(page, "FORGED") || !strings.Contains(page, "Nadia here") {
		t.Errorf("the /return page shows planted replies, or not nadia's:\n%s", page)
	}
	notes := w.must("omar", "yes\n", "notes", "-i", omarKey, ref)
	contains(t, notes, "signature verified: signed by omar's", "signature verified: signed by nadia's", "NOT SIGNED", "FORGED: its signature does not verify")
	if n := strings.Count(notes, "signature verified"); n != 2 {
		t.Errorf("%d replies marked verified, want 2:\n%s", n, notes)
	}
	// A rekey re-encrypts replies byte for byte: their signatures hold.
	w.must("omar", "yes\nyes\n", "rekey", "-i", omarKey)
	if got := w.shownReplies(acc.Receipt); len(got) != 2 {
		t.Errorf("after a rekey the reporter is shown %q, want the two signed replies", got)
	}
	if n := strings.Count(w.must("omar", "yes\n", "notes", "-i", omarKey, ref), "signature verified"); n != 2 {
		t.Errorf("after a rekey %d replies are marked verified, want 2", n)
	}
}

// returnPage opens the reporter's return visit over HTTP at server, as a
// browser does (the receipt posted, the redirect followed with the visit
// cookie), and returns the case page.
func returnPage(t testing.TB, server string, receipt crypto.Receipt) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.PostForm(server+"/return", url.Values{"receipt": {receipt.String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("return visit: %d\n%s", resp.StatusCode, b)
	}
	return string(b)
}

// TestKeygenMakesSigningKey: casectl keygen saves an identity and, beside
// it, a signing key only that identity opens; both public keys are
// printed; signing-key shows the same key; nothing is overwritten.
func TestKeygenMakesSigningKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := w.dir + "/new/identity.key"
	out := w.must("amal", "", "keygen", "-out", path)
	rec := regexp.MustCompile(`Public key \(give this to the operator\): (age1[0-9a-z]+)`).FindStringSubmatch(out)
	sig := regexp.MustCompile(`Signing key \(give[^:]*: (reprisals-signing-key-ed25519:\S+)`).FindStringSubmatch(out)
	if rec == nil || sig == nil {
		t.Fatalf("keygen printed no keys:\n%s", out)
	}
	for _, p := range []string{path, crypto.SigningKeyPath(path)} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v", p, err)
		}
	}
	contains(t, w.must("amal", "", "signing-key", "-i", path), "Your signing key", sig[1])
	w.fails("amal", "exists", "keygen", "-out", path)
	// Another identity does not open it.
	other := w.addHandler("other", "reprisals-team")
	b, _ := os.ReadFile(crypto.SigningKeyPath(path))
	os.WriteFile(crypto.SigningKeyPath(other), b, 0o600)
	w.fails("other", "not encrypted to your identity", "signing-key", "-i", other)
	// A -recipient that is not the identity's own (a hardware key's is
	// named so) is refused before anything is saved.
	third := w.addHandler("third", "reprisals-team")
	os.Remove(crypto.SigningKeyPath(third))
	w.fails("third", "does not open with your identity", "signing-key", "-i", third, "-recipient", rec[1])
	if _, err := os.Stat(crypto.SigningKeyPath(third)); err == nil {
		t.Error("a signing key the identity cannot open was saved")
	}
	out = w.must("third", "", "signing-key", "-i", third, "-recipient", w.ids["third"].Recipient().String())
	contains(t, out, "Signing key (give this to your key custodian")
}
