package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/server"
)

// orgWorld is a server with intermediary pages, two organisations and a
// staff member in each.
type orgWorld struct {
	e     *env
	orgs  *intermediary.Service
	srv   *httptest.Server
	creds map[string]intermediary.Credentials
}

func newOrgWorld(t *testing.T) *orgWorld { return newOrgWorldWith(t, server.Options{}) }

func newOrgWorldWith(t *testing.T, opts server.Options) *orgWorld {
	e := newEnv(t)
	orgs := intermediary.New(e.db.DB, e.teams.Config)
	cases, _ := casework.NewService(e.db.DB, e.teams.Config)
	opts.Intermediaries = orgs
	h, err := server.New(intake.NewService(e.db.DB, e.teams.Config, nil), cases, slog.New(slog.DiscardHandler), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w := &orgWorld{e: e, orgs: orgs, srv: srv, creds: map[string]intermediary.Credentials{}}
	ctx := context.Background()
	for _, org := range []string{"nhri-a", "ngo-b"} {
		if err := orgs.AddOrganisation(ctx, org, strings.ToUpper(org)+" Commission", "test"); err != nil {
			t.Fatal(err)
		}
		c, err := orgs.AddStaff(ctx, org, "staff-"+org, "test")
		if err != nil {
			t.Fatal(err)
		}
		w.creds["staff-"+org] = c
	}
	return w
}

// client is a browser-like client with a cookie jar that does not follow
// redirects, so they can be checked.
func client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (w *orgWorld) signIn(t *testing.T, c *http.Client, user, password, code string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(w.srv.URL+"/org/login", url.Values{"username": {user}, "password": {password}, "code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func code(t *testing.T, secret string, at time.Time) string {
	c, err := intermediary.Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestStaffSignIn(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	cr := w.creds["staff-nhri-a"]
	now := time.Now()

	// Without the second factor, or with a wrong one: refused.
	c := client()
	if r := w.signIn(t, c, "staff-nhri-a", cr.Password, ""); r.StatusCode != 401 {
		t.Errorf("without TOTP: %d, want 401", r.StatusCode)
	}
	if r := w.signIn(t, c, "staff-nhri-a", cr.Password, "000000"); r.StatusCode != 401 {
		t.Errorf("wrong TOTP: %d", r.StatusCode)
	}
	if r := w.signIn(t, c, "staff-nhri-a", "wrong", code(t, cr.TOTPSecret, now)); r.StatusCode != 401 {
		t.Errorf("wrong password: %d", r.StatusCode)
	}
	if r := w.signIn(t, c, "nobody", cr.Password, code(t, cr.TOTPSecret, now)); r.StatusCode != 401 {
		t.Errorf("unknown user: %d", r.StatusCode)
	}
	// With both: a session cookie, HttpOnly and SameSite=Strict.
	r := w.signIn(t, c, "staff-nhri-a", cr.Password, code(t, cr.TOTPSecret, now))
	if r.StatusCode != 303 || r.Header.Get("Location") != "/org/cases?lang=en" {
		t.Fatalf("sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	set := r.Header.Get("Set-Cookie")
	if !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") || !strings.Contains(set, "Path=/") {
		t.Errorf("cookie attributes: %s", set)
	}
	if resp, body := get(t, c, w.srv.URL+"/org/cases"); resp.StatusCode != 200 || !strings.Contains(body, "NHRI-A Commission") {
		t.Fatalf("cases page: %d", resp.StatusCode)
	}
	// The same code cannot be used twice.
	if r := w.signIn(t, client(), "staff-nhri-a", cr.Password, code(t, cr.TOTPSecret, now)); r.StatusCode != 401 {
		t.Errorf("replayed TOTP code: %d, want 401", r.StatusCode)
	}

	// Idle and absolute expiry end the session.
	w.e.db.Pool().Exec(context.Background(), `UPDATE staff_sessions SET idle_expires = now() - interval '1 second'`)
	if resp, _ := get(t, c, w.srv.URL+"/org/cases"); resp.StatusCode != 303 {
		t.Errorf("after idle expiry: %d, want a redirect to sign in", resp.StatusCode)
	}
	c2 := client()
	w.signIn(t, c2, "staff-nhri-a", cr.Password, code(t, cr.TOTPSecret, now.Add(30*time.Second)))
	w.e.db.Pool().Exec(context.Background(), `UPDATE staff_sessions SET absolute_expires = now() - interval '1 second' WHERE NOT revoked`)
	if resp, _ := get(t, c2, w.srv.URL+"/org/cases"); resp.StatusCode != 303 {
		t.Errorf("after absolute expiry: %d", resp.StatusCode)
	}

	// Five wrong codes with the right password lock the account, even for
	// the right credentials, with the same answer as any failure.
	b := w.creds["staff-ngo-b"]
	for i := range intermediary.MaxFailures {
		if r := w.signIn(t, client(), "staff-ngo-b", b.Password, wrongCode(t, b.TOTPSecret)); r.StatusCode != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, r.StatusCode)
		}
	}
	if r := w.signIn(t, client(), "staff-ngo-b", b.Password, code(t, b.TOTPSecret, now)); r.StatusCode != 401 {
		t.Errorf("locked account with the right credentials: %d, want 401", r.StatusCode)
	}
	if err := w.orgs.Unlock(context.Background(), "staff-ngo-b", "test"); err != nil {
		t.Fatal(err)
	}
	if r := w.signIn(t, client(), "staff-ngo-b", b.Password, code(t, b.TOTPSecret, now)); r.StatusCode != 303 {
		t.Errorf("after unlock: %d", r.StatusCode)
	}
	// An operator's reset replaces both factors.
	nb, _ := w.orgs.ResetPassword(context.Background(), "staff-ngo-b", "test")
	nt, _ := w.orgs.ResetTOTP(context.Background(), "staff-ngo-b", "test")
	if r := w.signIn(t, client(), "staff-ngo-b", b.Password, code(t, nt.TOTPSecret, now.Add(30*time.Second))); r.StatusCode != 401 {
		t.Errorf("old password after reset: %d", r.StatusCode)
	}
	if r := w.signIn(t, client(), "staff-ngo-b", nb.Password, code(t, nt.TOTPSecret, now.Add(30*time.Second))); r.StatusCode != 303 {
		t.Errorf("new password and TOTP: %d", r.StatusCode)
	}
}

func TestIntermediaryLogsACaseWriteOnly(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	now := time.Now()
	a, b := client(), client()
	w.signIn(t, a, "staff-nhri-a", w.creds["staff-nhri-a"].Password, code(t, w.creds["staff-nhri-a"].TOTPSecret, now))
	w.signIn(t, b, "staff-ngo-b", w.creds["staff-ngo-b"].Password, code(t, w.creds["staff-ngo-b"].TOTPSecret, now))

	v := formValues(intaketest.Report("hrc_session"))
	// The intermediary's record is required.
	resp, err := a.PostForm(w.srv.URL+"/org/report", v)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 422 || !strings.Contains(string(body), `href="#intermediary.consent_from"`) {
		t.Fatalf("without the record: %d", resp.StatusCode)
	}
	// The form shown again carries its one-time submission token.
	tok := regexp.MustCompile(`name="submission" value="([^"]+)"`).FindStringSubmatch(string(body))
	if tok == nil {
		t.Fatal("the intermediary's form has no submission token")
	}
	v.Set("submission", tok[1])
	v.Set("intermediary.consent_from", "The victim's sister")
	v.Set("intermediary.consent_on", "2026-11-20")
	v.Set("intermediary.consent_how", "In person at our office, with an interpreter")
	v.Set("intermediary.relationship", "We represent her before the courts")
	resp, _ = a.PostForm(w.srv.URL+"/org/report", v)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	doc := parseHTML(t, body)
	if resp.StatusCode != 200 || byID(doc, "receipt") == nil {
		t.Fatalf("logging a case: %d", resp.StatusCode)
	}
	ref := text(byID(doc, "reference"))

	// The routed team decrypts it with the consent record inside; the
	// channel is the organisation, in clear.
	stored, err := w.e.db.ReportByReference(context.Background(), ref)
	if err != nil || stored.Channel != "org:nhri-a" {
		t.Fatalf("stored: %v, channel %q", err, stored.Channel)
	}
	plain, _ := crypto.Open(stored.Ciphertext, w.e.teams.Reprisals)
	var env envelope.Case
	json.Unmarshal(plain, &env)
	if env.Intermediary == nil || env.Intermediary.Staff != "staff-nhri-a" || env.Intermediary.Organisation != "nhri-a" ||
		env.Intermediary.ConsentHow != "In person at our office, with an interpreter" || env.Channel != "org:nhri-a" {
		t.Errorf("envelope intermediary record: %+v", env.Intermediary)
	}

	// Organisation A lists and opens it; B gets 404 and does not list it.
	if _, body := get(t, a, w.srv.URL+"/org/cases"); !strings.Contains(body, ref) {
		t.Error("A does not list its case")
	}
	if _, body := get(t, b, w.srv.URL+"/org/cases"); strings.Contains(body, ref) {
		t.Error("B lists A's case")
	}
	if resp, _ := get(t, b, w.srv.URL+"/org/cases/"+ref); resp.StatusCode != 404 {
		t.Errorf("B opening A's case: %d, want 404", resp.StatusCode)
	}
	// A handler replies; the case page never shows content or replies.
	w.e.reply(ref, "A reply only the victim may read")
	resp2, page := get(t, a, w.srv.URL+"/org/cases/"+ref)
	if resp2.StatusCode != 200 {
		t.Fatalf("A opening its case: %d", resp2.StatusCode)
	}
	for _, secret := range []string{"A reply only the victim may read", "Arrested at home", "Amina", "sister"} {
		if strings.Contains(page, secret) {
			t.Errorf("the staff case page shows %q", secret)
		}
	}
	// A can add information through the page's form, once: the answer is
	// a redirect to the case page.
	var action string
	for _, n := range findAll(parseHTML(t, []byte(page)), func(n *html.Node) bool {
		return n.Data == "form" && strings.Contains(attr(n, "action"), "/follow-up")
	}) {
		action, _, _ = strings.Cut(attr(n, "action"), "#")
	}
	resp, _ = a.PostForm(w.srv.URL+action, url.Values{"text": {"The victim has been released."}, "language": {"en"}})
	resp.Body.Close()
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/org/cases/"+ref+"?") {
		t.Errorf("adding information: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var followUps int
	w.e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'followup'`).Scan(&followUps)
	if followUps != 1 {
		t.Errorf("%d follow-ups stored, want 1", followUps)
	}
	// Staff have no way to fetch content: the handler API refuses them.
	if resp, _ := get(t, a, w.srv.URL+"/api/v1/handler/cases/"+ref); resp.StatusCode != 401 {
		t.Errorf("staff cookie on the handler API: %d, want 401", resp.StatusCode)
	}
	// Signing out ends the session.
	resp, _ = a.PostForm(w.srv.URL+"/org/logout", nil)
	resp.Body.Close()
	if resp, _ := get(t, a, w.srv.URL+"/org/cases"); resp.StatusCode != 303 {
		t.Errorf("after sign-out: %d", resp.StatusCode)
	}
}
