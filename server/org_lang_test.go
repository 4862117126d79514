package server_test

import (
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// TestOrgPagesInTheirLanguage: the staff pages speak the page's language
// (Arabic right to left), a failed sign-in keeps it and says why in it,
// and signing in leads to the cases in the same language. The strings are
// in the message files (TestMessages covers them).
func TestOrgPagesInTheirLanguage(t *testing.T) {
	w := newOrgWorld(t)
	c := client()
	resp, body := get(t, c, w.srv.URL+"/org/login?lang=ar")
	doc := parseHTML(t, []byte(body))
	root := findAll(doc, func(n *html.Node) bool { return n.Data == "html" })[0]
	if resp.StatusCode != 200 || attr(root, "dir") != "rtl" || !strings.Contains(body, "تسجيل الدخول") || strings.Contains(body, "Username") {
		t.Fatalf("the Arabic sign-in page is not Arabic (%d)", resp.StatusCode)
	}
	form := findAll(doc, func(n *html.Node) bool { return n.Data == "form" })[0]
	action := attr(form, "action")
	if !strings.Contains(action, "lang=ar") {
		t.Fatalf("the sign-in form posts to %q, losing the language", action)
	}

	// A failed sign-in, sent as the form sends it: still Arabic.
	r, err := c.PostForm(w.srv.URL+strings.Split(action, "#")[0], url.Values{"username": {"staff-nhri-a"}, "password": {"wrong"}, "code": {"000000"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 401 || !strings.Contains(string(b), "فشل تسجيل الدخول") || !strings.Contains(string(b), `dir="rtl"`) {
		t.Errorf("a failed sign-in in Arabic: %d, not in Arabic", r.StatusCode)
	}

	// Signed in: the cases in French.
	cr := w.creds["staff-ngo-b"]
	r, err = c.PostForm(w.srv.URL+"/org/login?lang=fr", url.Values{"username": {"staff-ngo-b"}, "password": {cr.Password}, "code": {code(t, cr.TOTPSecret, time.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if loc := r.Header.Get("Location"); loc != "/org/cases?lang=fr" {
		t.Fatalf("after signing in: %s", loc)
	}
	_, body = get(t, c, w.srv.URL+"/org/cases?lang=fr")
	if !strings.Contains(body, "Se déconnecter") || !strings.Contains(body, "Aucun cas pour l’instant.") {
		t.Errorf("the cases page is not in French")
	}
}
