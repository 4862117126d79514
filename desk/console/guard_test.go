package console_test

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestGuard checks what the console refuses: a request without the
// session cookie, with another Host (DNS rebinding), from another origin,
// a reused or wrong secret, a form without its token. And what every page
// carries: a strict CSP and no-store.
func TestGuard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	e.submit(intaketest.Report("hrc_session"))
	con, _, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	port := con.Addr()[strings.LastIndex(con.Addr(), ":")+1:]

	code, body := get(t, hc, base+"/")
	if code != http.StatusOK || !strings.Contains(body, "Arrest or detention") {
		t.Fatalf("the opened console's inbox: %d\n%s", code, body)
	}
	jar, _ := cookiejar.New(nil)
	stranger := &http.Client{Jar: jar}

	type check struct {
		name    string
		client  *http.Client
		method  string
		url     string
		host    string
		headers map[string]string
		body    string
		want    int
	}
	form := "csrf=wrong&lang=fr&back=/"
	for _, c := range []check{
		{"no cookie", stranger, "GET", base + "/", "", nil, "", http.StatusForbidden},
		{"no cookie, a case", stranger, "GET", base + "/cases/AAAA-BBBB", "", nil, "", http.StatusForbidden},
		{"the secret again", stranger, "GET", con.URL(), "", nil, "", http.StatusForbidden},
		{"a wrong secret", stranger, "GET", base + "/open?secret=x", "", nil, "", http.StatusForbidden},
		{"no secret", stranger, "GET", base + "/open", "", nil, "", http.StatusForbidden},
		{"foreign host (DNS rebinding)", hc, "GET", base + "/", "evil.example:" + port, nil, "", http.StatusMisdirectedRequest},
		{"another port", hc, "GET", base + "/", "127.0.0.1:1", nil, "", http.StatusMisdirectedRequest},
		{"no port", hc, "GET", base + "/", "localhost", nil, "", http.StatusMisdirectedRequest},
		{"another origin", hc, "POST", base + "/lang", "", map[string]string{"Origin": "http://evil.example"}, form, http.StatusForbidden},
		{"origin null", hc, "POST", base + "/lang", "", map[string]string{"Origin": "null"}, form, http.StatusForbidden},
		{"cross-site fetch", hc, "GET", base + "/", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},
		{"same-site fetch", hc, "GET", base + "/", "", map[string]string{"Sec-Fetch-Site": "same-site"}, "", http.StatusForbidden},
		{"another origin, whatever Sec-Fetch-Site says", hc, "POST", base + "/lang", "", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, form, http.StatusForbidden},
		{"form without its token", hc, "POST", base + "/lang", "", nil, form, http.StatusForbidden},
		{"quit without its token", hc, "POST", base + "/quit", "", nil, "csrf=", http.StatusForbidden},
		{"same origin, localhost", hc, "GET", base + "/", "localhost:" + port, map[string]string{"Sec-Fetch-Site": "same-origin"}, "", http.StatusOK},
		{"typed address", hc, "GET", base + "/", "", map[string]string{"Sec-Fetch-Site": "none"}, "", http.StatusOK},
		{"unknown page", hc, "GET", base + "/nothing", "", nil, "", http.StatusNotFound},
		{"bad reference", hc, "GET", base + "/cases/..%2f..%2fetc", "", nil, "", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
		if c.host != "" {
			// The client's jar would look cookies up by this Host: send
			// the session's cookie by hand, as a rebinding page would get it.
			req.Host = c.host
			if c.client == hc {
				u, _ := url.Parse(base)
				for _, ck := range hc.Jar.Cookies(u) {
					req.AddCookie(ck)
				}
			}
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: HTTP %d, want %d\n%s", c.name, resp.StatusCode, c.want, b)
		}
		if c.want != http.StatusOK && strings.Contains(string(b), "Amina") {
			t.Errorf("%s: a refused request got case content", c.name)
		}
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("Cache-Control") != "no-store" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", c.name, h)
		}
	}
	u, _ := url.Parse(base)
	for _, ck := range hc.Jar.Cookies(u) {
		if !strings.HasPrefix(ck.Name, "casectl_console_") || len(ck.Value) < 40 {
			t.Errorf("cookie %s=%d bytes", ck.Name, len(ck.Value))
		}
	}
}

// TestSessionCookie checks the cookie's attributes as sent.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	con, _ := e.startConsole("omar", id)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(con.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("opening: %d to %q, want 303 to / (the secret leaves the address bar)", resp.StatusCode, resp.Header.Get("Location"))
	}
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
}

// TestCloseWipesAndClosesThePort: after Close (or Quit), the port is
// closed and the decrypted buffers are zeroed.
func TestCloseWipesAndClosesThePort(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	ref := e.submit(intaketest.Report("hrc_session")).Reference
	con, src, hc := e.console("omar", id)
	code, _ := get(t, hc, "http://"+con.Addr()+"/")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	cs, ok := src.Lookup(ref)
	if !ok || !cs.Readable() {
		t.Fatalf("case %s not loaded", ref)
	}
	text := console.CaseText(cs)
	if len(text) == 0 || !strings.Contains(string(text), "arrested at home") {
		t.Fatal("no decrypted buffers to check")
	}
	// Quit, as the button does.
	resp, err := hc.PostForm("http://"+con.Addr()+"/quit", url.Values{"csrf": {console.FormToken(con)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "The console is closed") {
		t.Errorf("quit page:\n%s", b)
	}
	// The browser is told to forget the console: caches (back/forward
	// cache included), cookies and storage; the session cookie is ended.
	if got := resp.Header.Get("Clear-Site-Data"); got != `"cache", "cookies", "storage"` {
		t.Errorf("quit: Clear-Site-Data %q", got)
	}
	if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "casectl_console_") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("quit: Set-Cookie %q does not end the session cookie", sc)
	}
	if r, err := hc.Get("http://" + con.Addr() + "/"); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Error("the session still works after Quit")
		}
	}
	select {
	case <-con.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the console did not stop after Quit")
	}
	if c, err := net.DialTimeout("tcp", con.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the port is still open after the console closed")
	}
	for i, x := range text {
		if x != 0 {
			t.Fatalf("byte %d of the decrypted buffers is not wiped", i)
		}
	}
	if _, ok := src.Lookup(ref); ok {
		t.Error("the case is still in the source after closing")
	}
}
