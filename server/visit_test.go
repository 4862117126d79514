package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// submitted stores a report and returns what the reporter was shown.
func (e *env) submitted(body string) intake.Accepted {
	e.t.Helper()
	acc, err := intake.NewService(e.db.DB, e.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: intaketest.Report(body), Channel: intake.ChannelPublic})
	if err != nil {
		e.t.Fatal(err)
	}
	return acc
}

// reply stores a handler's reply the way casectl does: signed with the
// handler's signing key, which the team's current roster lists.
func (e *env) reply(ref, text string) {
	e.t.Helper()
	name := "h-" + strings.ToLower(ref[:4])
	id := e.addHandler(name, "reprisals-team")
	tok := e.login(name, id)
	key := e.signingKey(name, id)
	e.replyAs(tok, ref, text, name, id, key)
}

// signingKey gives handler name a signing key and publishes a new version
// of the reprisals team's roster listing it (with the team key and the
// handlers signed on before).
func (e *env) signingKey(name string, id *age.X25519Identity) crypto.SigningKey {
	e.t.Helper()
	key, err := crypto.GenerateSigningKey()
	if err != nil {
		e.t.Fatal(err)
	}
	e.rosterMu.Lock()
	defer e.rosterMu.Unlock()
	if e.signingKeys == nil {
		e.signingKeys = map[string]crypto.SigningKey{}
	}
	e.signingKeys[name] = key
	e.signers = append(e.signers, roster.Entry{Recipient: id.Recipient().String(), Label: name, Signer: key.Public().String()})
	e.publishRosterLocked(id, e.signers)
	return key
}

// publishRosterLocked signs and publishes the next version of the
// reprisals team's roster (the team key, then entries), logged in as
// publisher; e.rosterMu is held.
func (e *env) publishRosterLocked(publisher *age.X25519Identity, entries []roster.Entry) {
	e.t.Helper()
	e.rosterVersion++
	all := append([]roster.Entry{{Recipient: e.teams.Reprisals.Recipient().String(), Label: "team-key"}}, entries...)
	sr, err := roster.Sign(roster.Roster{Team: "reprisals-team", Version: e.rosterVersion, Entries: all}, e.custodian)
	if err != nil {
		e.t.Fatal(err)
	}
	var name string
	for _, en := range entries {
		if en.Recipient == publisher.Recipient().String() {
			name = en.Label
		}
	}
	if code := e.api(e.login(name, publisher), "POST", "/rosters", sr, nil); code != http.StatusNoContent {
		e.t.Fatalf("publish roster version %d: %d", e.rosterVersion, code)
	}
}

// replyAs posts a reply on ref as the logged-in handler tok, signed with
// key (none: unsigned), encrypted to the reporter's reply key and the
// team's.
func (e *env) replyAs(tok, ref, text, author string, id *age.X25519Identity, key crypto.SigningKey) {
	e.t.Helper()
	var cs struct {
		ReplyRecipient string `json:"reply_recipient"`
	}
	e.api(tok, "GET", "/cases/"+ref, nil, &cs)
	// The reporter's key and the team's, as its roster would list it.
	var recs []crypto.Recipient
	for _, s := range []string{cs.ReplyRecipient, e.teams.Reprisals.Recipient().String(), id.Recipient().String()} {
		r, _ := crypto.ParseRecipient(s)
		recs = append(recs, r)
	}
	var ct []byte
	var err error
	if key.IsZero() {
		ct, err = envelope.SealNoteTo("reply", ref, author, text, recs)
	} else {
		ct, err = envelope.SealReplyTo(ref, author, text, time.Now(), key, recs)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if code := e.api(tok, "POST", "/cases/"+ref+"/notes", map[string]any{"kind": "reply", "ciphertext": ct}, nil); code != 201 {
		e.t.Fatalf("reply: %d", code)
	}
}

func (e *env) openReturn(receipt string) (*http.Response, *html.Node, []byte) {
	e.t.Helper()
	resp, b := e.postFormTo("/return", url.Values{"receipt": {receipt}})
	return resp, parseHTML(e.t.(*testing.T), b), b
}

// browserDo sends a request as a browser does, as postFormTo.
func (e *env) browserDo(method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	e.t.Helper()
	if e.browser == nil {
		jar, _ := cookiejar.New(nil)
		e.browser = &http.Client{Jar: jar}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// postFormTo posts a form as a browser does: the visit cookie is kept,
// and redirects are followed (the receipt and a follow-up are answered by
// a redirect to the case page).
func (e *env) postFormTo(path string, v url.Values) (*http.Response, []byte) {
	e.t.Helper()
	return e.browserDo("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

func TestReturnVisit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("hrc_session")
	e.reply(acc.Reference, "We have received your report.\nWe will contact you safely.")

	// The receipt opens the case, however it is typed.
	typed := strings.ToLower(strings.ReplaceAll(acc.Receipt.String(), "-", " "))
	resp, doc, body := e.openReturn(typed)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d:\n%s", resp.StatusCode, body)
	}
	if got := text(byID(doc, "status")); !strings.Contains(got, "received") {
		t.Errorf("status shown: %q", got)
	}
	if got := text(byID(doc, "messages")); !strings.Contains(got, "We have received your report.") {
		t.Errorf("the reply was not decrypted for the reporter: %q", got)
	}
	if bytes.Contains(body, []byte(acc.Receipt.String())) {
		t.Error("the receipt is echoed in the page")
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("the case page may be cached")
	}
	var token string
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "visit" }) {
		token = attr(n, "value")
	}
	if token == "" {
		t.Fatal("no visit token on the page")
	}

	// A follow-up, with a canary, is stored encrypted and alerts the team.
	canary := "CANARY" + strings.ToUpper(hex.EncodeToString(randBytes(10)))
	resp, b := e.postFormTo("/return/follow-up", url.Values{"visit": {token}, "text": {"New threats: " + canary}, "language": {"en"}})
	if resp.StatusCode != 200 || byID(parseHTML(t, b), "added") == nil {
		t.Fatalf("follow-up: %d\n%s", resp.StatusCode, b)
	}
	if bytes.Contains(e.db.Dump(t), []byte(canary)) || strings.Contains(e.logs.String(), canary) {
		t.Error("the follow-up is in clear in the database or the logs")
	}
	var alerts int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM alerts WHERE kind = 'followup'`).Scan(&alerts)
	if alerts != 1 {
		t.Errorf("%d follow-up alerts, want 1 (the reprisals team)", alerts)
	}
	var ct []byte
	e.db.Pool().QueryRow(context.Background(), `SELECT ciphertext FROM notes WHERE kind = 'followup'`).Scan(&ct)
	plain, err := crypto.Open(ct, e.teams.Reprisals)
	if err != nil || !bytes.Contains(plain, []byte(canary)) {
		t.Errorf("the team cannot read the follow-up: %v", err)
	}
	if _, err := crypto.Open(ct, e.teams.UPR); err == nil {
		t.Error("the UPR team can read a follow-up on a non-UPR case")
	}

	// Empty text keeps the page; a forged or expired token adds nothing.
	resp, b = e.postFormTo("/return/follow-up", url.Values{"visit": {token}, "text": {"   "}})
	if resp.StatusCode != 422 || byID(parseHTML(t, b), "error-summary") == nil {
		t.Errorf("empty follow-up: %d", resp.StatusCode)
	}
	for _, bad := range []string{forge(token), "", "x"} {
		resp, _ := e.postFormTo("/return/follow-up", url.Values{"visit": {bad}, "text": {"forged"}})
		if resp.StatusCode != 403 {
			t.Errorf("forged token %.12q: %d, want 403", bad, resp.StatusCode)
		}
	}
	var n int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'followup'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d follow-ups stored, want 1", n)
	}

	// A wrong receipt says so plainly.
	resp, doc, _ = e.openReturn(crypto.NewReceipt().String())
	if resp.StatusCode != 404 || !strings.Contains(text(byID(doc, "error-summary")), "could not find") {
		t.Errorf("wrong receipt: %d", resp.StatusCode)
	}
	resp, doc, _ = e.openReturn("not a receipt")
	if resp.StatusCode != 422 || !strings.Contains(text(byID(doc, "error-summary")), "25 letters") {
		t.Errorf("malformed receipt: %d", resp.StatusCode)
	}
	if strings.Contains(e.logs.String(), acc.Receipt.String()) || strings.Contains(e.logs.String(), typed) {
		t.Error("the receipt is in the logs")
	}
}

// TestRightReceiptGetsInDuringAFlood: wrong receipts, many from one
// address and then a concurrent flood from many, never stop the reporter
// with the right receipt (there is no lockout to trigger).
func TestRightReceiptGetsInDuringAFlood(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, storetest.NewDB(t), server.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	acc := e.submitted("hrc_session")
	for i := range 30 {
		if resp, _, _ := e.openReturn(crypto.NewReceipt().String()); resp.StatusCode != 404 {
			t.Fatalf("wrong receipt %d from one address: %d, want 404", i+1, resp.StatusCode)
		}
	}
	if resp, doc, body := e.openReturn(acc.Receipt.String()); resp.StatusCode != 200 || byID(doc, "status") == nil || !bytes.Contains(body, []byte(acc.Reference)) {
		t.Fatalf("the right receipt after 30 wrong ones from the same address: %d", resp.StatusCode)
	}

	// A flood from many addresses, running while the reporter comes in.
	stop := make(chan struct{})
	warm := make(chan struct{})
	var done atomic.Int64
	var warmed sync.Once
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			defer warmed.Do(func() { close(warm) }) // never leave the test waiting
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", e.srv.URL+"/return",
					strings.NewReader(url.Values{"receipt": {crypto.NewReceipt().String()}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.1", g, i%250))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 404 {
					t.Errorf("wrong receipt in the flood: %d, want 404", resp.StatusCode)
				}
				if done.Add(1) >= 200 {
					warmed.Do(func() { close(warm) })
				}
			}
		})
	}
	<-warm // 200 wrong receipts have been answered; the flood goes on
	resp, doc, body := e.openReturn(acc.Receipt.String())
	close(stop)
	wg.Wait()
	if resp.StatusCode != 200 || byID(doc, "status") == nil || !bytes.Contains(body, []byte(acc.Reference)) {
		t.Errorf("the right receipt during a flood: %d", resp.StatusCode)
	}
}

func TestOnionLocationAndQuickExit(t *testing.T) {
	e := newEnv(t)
	cases, _ := casework.NewService(e.db.DB, e.teams.Config)
	h, err := server.New(intake.NewService(e.db.DB, e.teams.Config, nil), cases, slog.New(slog.DiscardHandler),
		server.Options{OnionURL: "http://exampleonionaddressxyz.onion", QuickExitURL: "https://example.org/weather"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, path := range []string{"/report", "/return", "/nowhere"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := html.Parse(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Onion-Location"); got != "http://exampleonionaddressxyz.onion"+path {
			t.Errorf("%s: Onion-Location %q", path, got)
		}
		exits := findAll(doc, func(n *html.Node) bool { return n.Data == "a" && strings.Contains(attr(n, "class"), "quick-exit") })
		if len(exits) != 1 || !strings.HasPrefix(attr(exits[0], "href"), "/exit") || attr(exits[0], "rel") != "noreferrer" {
			t.Fatalf("%s: quick exit link %v", path, exits)
		}
		// The link leads, through /exit, to the configured page, and
		// clears what the browser keeps of this site.
		req, _ := http.NewRequest("GET", srv.URL+attr(exits[0], "href"), nil)
		exit, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		exit.Body.Close()
		if exit.StatusCode != 303 || exit.Header.Get("Location") != "https://example.org/weather" || exit.Header.Get("Clear-Site-Data") != `"cache", "cookies", "storage"` {
			t.Errorf("%s: the quick exit answers %d, Location %q, Clear-Site-Data %q", path, exit.StatusCode, exit.Header.Get("Location"), exit.Header.Get("Clear-Site-Data"))
		}
	}
	// Without an onion address, no header.
	resp, _ := e.do("GET", "/report", "", nil)
	if resp.Header.Get("Onion-Location") != "" {
		t.Error("Onion-Location sent without an onion address")
	}
	_, b := e.do("GET", "/report", "", nil)
	if !bytes.Contains(b, []byte("Tor Browser")) || !bytes.Contains(b, []byte("cannot guarantee")) || !bytes.Contains(b, []byte("metadata")) {
		t.Error("the form lacks the safety notice")
	}
}

// forge returns tok with one character in its middle changed, so that it
// always differs from tok in the bytes it decodes to.
func forge(tok string) string {
	i := len(tok) / 2
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// TestLongReplyAndLongFollowUp: a long reply from the UN (its sealed box,
// carried by the page, well over 256 KiB) and the longest follow-up in
// Chinese (about 90 KB once percent-encoded) fit the follow-up form's
// limit together: the follow-up is stored and the reply stays on the page.
func TestLongReplyAndLongFollowUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("upr")
	reply := strings.Repeat("We are looking into this with the State concerned. ", 6000) // about 300 KiB
	e.reply(acc.Reference, reply)
	resp, doc, _ := e.openReturn(acc.Receipt.String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("return visit: status %d", resp.StatusCode)
	}
	v := url.Values{"text": {strings.Repeat("他们昨天又来了。", intake.MaxFollowUp/8)}}
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "type") == "hidden" }) {
		v.Set(attr(n, "name"), attr(n, "value"))
	}
	if len(v.Get("replies")) <= 256<<10 {
		t.Fatalf("the page carries a box of %d bytes, want one over 256 KiB (no box: the reply would vanish)", len(v.Get("replies")))
	}
	if n := len(v.Encode()); n <= 256<<10 {
		t.Fatalf("the follow-up form is %d bytes, want over the old 256 KiB limit", n)
	}
	before := e.followUps(acc.Reference)
	resp, b := e.postFormTo("/return/follow-up", v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("follow-up: status %d, want 200", resp.StatusCode)
	}
	doc = parseHTML(t, b)
	if byID(doc, "added") == nil {
		t.Error("the follow-up was not confirmed")
	}
	if got := text(byID(doc, "messages")); !strings.Contains(got, "with the State concerned") {
		t.Error("after adding information the long reply is gone")
	}
	if got := e.followUps(acc.Reference); got != before+1 {
		t.Errorf("%d follow-ups stored, want %d", got, before+1)
	}
}

// followUps counts the follow-ups stored for a case.
func (e *env) followUps(ref string) int {
	e.t.Helper()
	var n int
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes n JOIN reports r ON r.id = n.report_id WHERE r.reference = $1 AND n.kind = 'followup'`, ref).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
