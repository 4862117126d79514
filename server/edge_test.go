package server_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// rawRequest sends a request over a fresh connection: the header says
// the body has declared bytes, body is what is sent, and then the client
// half-closes the connection (a cut-off body when declared > len(body)).
// It returns the status and the body of the answer.
func rawRequest(t *testing.T, addr, method, path, contentType string, header []string, body string, declared int) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", method, path, addr, declared)
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", header[i], header[i+1])
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got)
}

// TestBadBodiesOnEveryRoute: on every route that reads a body, a body cut
// off before its declared end, a malformed body and a body of the wrong
// type are answered with 400 (415 for the wrong type), a message written
// for the user, and no ERROR line in the log.
func TestBadBodiesOnEveryRoute(t *testing.T) {
	t.Parallel()
	u, tok, ref, oh, staff := everyoneSignedIn(t)
	ou, _ := url.Parse(oh.URL)
	var cookie []string
	for _, ck := range staff.Jar.Cookies(ou) {
		cookie = []string{"Cookie", ck.Name + "=" + ck.Value}
	}
	if cookie == nil {
		t.Fatal("no staff session cookie")
	}

	const (
		jsonCT = "application/json"
		formCT = "application/x-www-form-urlencoded"
		mpCT   = "multipart/form-data; boundary=XyZ"
	)
	auth := []string{"Authorization", "Bearer " + tok}
	mpStart := "--XyZ\r\nContent-Disposition: form-data; name=\"visit\"\r\n\r\nabc"
	// The logouts and POST /cases/:ref/export read no body.
	routes := []struct {
		server       string // "" the reporter's and handlers' server, "org" the staff pages'
		method, path string
		ct           string // the type the route takes
		header       []string
		start        string // the start of a well-formed body
		malformed    string
	}{
		{"", "POST", "/report", formCT, nil, "language=en&submission=abc", "a=%zz"},
		{"", "POST", "/report", mpCT, nil, mpStart, "--XyZ\r\ngarbage"},
		{"", "POST", "/proof", formCT, nil, "proof=abc", "a=%zz"},
		{"", "POST", "/return", formCT, nil, "receipt=abc", "a=%zz"},
		{"", "POST", "/return/follow-up", formCT, nil, "visit=abc&text=x", "a=%zz"},
		{"", "POST", "/attachments", mpCT, nil, mpStart, "--XyZ\r\ngarbage"},
		{"", "POST", "/api/v1/reports", jsonCT, nil, `{"language":"en",`, `{"language":`},
		{"", "POST", "/api/v1/attachments", mpCT, nil, mpStart, "--XyZ\r\ngarbage"},
		{"", "POST", "/api/v1/handler/login/challenge", jsonCT, nil, `{"handler":"om`, `{"handler"`},
		{"", "POST", "/api/v1/handler/login", jsonCT, nil, `{"challenge_id":"`, `{"answer":1}`},
		{"", "PATCH", "/api/v1/handler/cases/" + ref, jsonCT, auth, `{"urgency":"U`, `{"urgency":`},
		{"", "POST", "/api/v1/handler/cases/" + ref + "/notes", jsonCT, auth, `{"kind":"note",`, `{"kind":}`},
		{"", "POST", "/api/v1/handler/cases/" + ref + "/rekey", jsonCT, auth, `{"ciphertext":"`, `{"ciphertext":]`},
		{"", "POST", "/api/v1/handler/rosters", jsonCT, auth, `{"roster":"`, `{"roster":`},
		{"org", "POST", "/org/login", formCT, nil, "username=staff-a&password=x", "a=%zz"},
		{"org", "POST", "/org/report", formCT, cookie, "language=en&submission=abc", "a=%zz"},
		{"org", "POST", "/org/report", mpCT, cookie, mpStart, "--XyZ\r\ngarbage"},
	}
	addr := func(server string) string {
		if server == "org" {
			return strings.TrimPrefix(oh.URL, "http://")
		}
		return u.up.Listener.Addr().String()
	}
	for _, r := range routes {
		for _, k := range []struct {
			kind     string
			ct, body string
			declared int
			want     int
		}{
			{"cut off", r.ct, r.start, len(r.start) + 500, http.StatusBadRequest},
			{"malformed", r.ct, r.malformed, len(r.malformed), http.StatusBadRequest},
			{"wrong type", "text/plain", r.start, len(r.start), http.StatusUnsupportedMediaType},
		} {
			if k.kind == "wrong type" && r.ct == mpCT && r.path != "/attachments" && r.path != "/api/v1/attachments" {
				continue // the report forms take two types; the urlencoded row checks this
			}
			code, page := rawRequest(t, addr(r.server), r.method, r.path, k.ct, r.header, k.body, k.declared)
			if code != k.want {
				t.Errorf("%s %s (%s), %s: status %d, want %d: %.300s", r.method, clipPath(r.path), r.ct, k.kind, code, k.want, page)
				continue
			}
			if strings.Contains(page, "Something went wrong") || !readable(page) {
				t.Errorf("%s %s (%s), %s: no message for the user: %.300s", r.method, clipPath(r.path), r.ct, k.kind, page)
			}
		}
	}
	for _, l := range []string{u.logs.String(), oh.logs.String()} {
		if strings.Contains(l, `"level":"ERROR"`) {
			t.Errorf("an ERROR line was logged:\n%s", l)
		}
	}
}

// readable reports whether an error answer (JSON or a page) carries a
// message: a JSON error with a message, or a page with a heading.
func readable(page string) bool {
	if strings.HasPrefix(page, "{") {
		return strings.Contains(page, `"message":"`) && !strings.Contains(page, `"message":""`)
	}
	return strings.Contains(page, "<h1") || strings.Contains(page, "could not be read") || len(strings.TrimSpace(page)) > 20
}

// tokenExpiry reads the expiry of a token from crypto.SignToken.
func tokenExpiry(t *testing.T, tok string) time.Time {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 8 {
		t.Fatalf("not a token: %.20q", tok)
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
}

// TestFollowUpWithoutContentRenewsNothing: a follow-up that is refused
// (empty, blank, text that cannot be stored, too long) answers with the
// visit token it came with, never a renewed one, so a visit cannot be kept
// open without end by sending nothing; a stored follow-up renews it.
func TestFollowUpWithoutContentRenewsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("hrc_session")
	_, doc, _ := e.openReturn(acc.Receipt.String())
	var token string
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "visit" }) {
		token = attr(n, "value")
	}
	key := crypto.DeriveKey(e.teams.Config.ReceiptKey(), "reprisals/visit-token/v1")
	id, err := crypto.OpenToken(key, token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A visit token that expires in a minute, as one near its end would.
	soon := time.Now().Add(time.Minute).Truncate(time.Second)
	short := crypto.SignToken(key, id, soon)
	pageToken := func(b []byte) string {
		for _, n := range findAll(parseHTML(t, b), func(n *html.Node) bool { return attr(n, "name") == "visit" }) {
			return attr(n, "value")
		}
		return ""
	}
	for _, text := range []string{"", "   \n\t", "bad\x00text", strings.Repeat("x", intake.MaxFollowUp+1)} {
		resp, b := e.postFormTo("/return/follow-up", url.Values{"visit": {short}, "text": {text}, "language": {"en"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("follow-up %.10q: status %d, want 422", text, resp.StatusCode)
		}
		if got := pageToken(b); got != short {
			exp := "none"
			if got != "" {
				exp = tokenExpiry(t, got).String()
			}
			t.Errorf("follow-up %.10q without content: the page carries another visit token (expires %s), want the one sent (expires %s)", text, exp, soon)
		}
	}
	if n := e.followUps(acc.Reference); n != 0 {
		t.Errorf("%d follow-ups stored, want 0", n)
	}
	resp, b := e.postFormTo("/return/follow-up", url.Values{"visit": {short}, "text": {"More information"}, "language": {"en"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("follow-up: %d", resp.StatusCode)
	}
	if got := tokenExpiry(t, pageToken(b)); !got.After(soon.Add(20 * time.Minute)) {
		t.Errorf("a stored follow-up does not renew the visit: its token expires %s", got)
	}
}

// TestIdempotencyKeyScopedToBody: an Idempotency-Key is bound to the
// report it came with. The same key with the same report (spaced
// differently) is a repeat, answered 409 with the first reference as
// before; the same key with another report is refused with 422, stores
// nothing and names nothing of the first report. Neither the key nor the
// report is in the database in clear.
func TestIdempotencyKeyScopedToBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const key = "0d6a1f52-7c3e-4b8a-9f10-2e4d6c8b0a13"
	first := intaketest.Report("upr")
	a, _ := json.Marshal(first)
	resp, b := e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(a), "Idempotency-Key", key)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first: %d %s", resp.StatusCode, b)
	}
	var acc struct{ Reference string }
	json.Unmarshal(b, &acc)

	same, _ := json.MarshalIndent(first, "", "    ")
	resp, b = e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(same), "Idempotency-Key", key)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), acc.Reference) {
		t.Errorf("the same report again: %d %s, want 409 naming %s", resp.StatusCode, b, acc.Reference)
	}

	other := intaketest.Report("hrc_session")
	other.Incidents[0].Narrative = "A different report, by someone else, under the same key."
	o, _ := json.Marshal(other)
	resp, b = e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(o), "Idempotency-Key", key)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "idempotency_key_reused") || !strings.Contains(string(b), "new Idempotency-Key") {
		t.Errorf("another report with the same key: %d %s, want 422 idempotency_key_reused", resp.StatusCode, b)
	}
	if strings.Contains(string(b), acc.Reference) || strings.Contains(string(b), `"receipt"`) {
		t.Errorf("the refusal reveals the first report: %s", b)
	}
	if n := e.count(); n != 1 {
		t.Errorf("%d reports stored, want 1", n)
	}
	if dump := e.db.Dump(t); bytes.Contains(dump, []byte(key)) || bytes.Contains(dump, []byte(other.Incidents[0].Narrative)) {
		t.Error("the key or a report is in the database in clear")
	}
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("an ERROR was logged:\n%s", e.logs.String())
	}
}
