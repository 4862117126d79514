package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/server"
)

// TestMalformedIdentifiers sends malformed case references, attachment
// ids and challenge ids to the handler, challenge, staff and attachment
// routes: each is a 4xx (never a 500), and nothing of it reaches the log.
func TestMalformedIdentifiers(t *testing.T) {
	t.Parallel()
	u, tok, ref, oh, staff := everyoneSignedIn(t)

	bad := []string{
		"BADID000-zzzz-zzzz-zzzz-zzzzzzzzzzzz", // 36 characters, not a UUID
		"BADID%00x",                            // NUL
		"BADID%FF%FEx",                         // not UTF-8
		"BADID'%20OR%201=1--",
		"BADID" + strings.Repeat("x", 300),
	}
	auth := []string{"Authorization", "Bearer " + tok}
	for _, b := range bad {
		for _, r := range []struct {
			method, path string
			body         string
			header       []string
		}{
			{"GET", "/api/v1/handler/cases/" + b, "", auth},
			{"GET", "/api/v1/handler/cases/" + b + "/notes", "", auth},
			{"PATCH", "/api/v1/handler/cases/" + b, `{"urgency":"U2"}`, auth},
			{"GET", "/api/v1/handler/cases/" + ref + "/attachments/" + b, "", auth},
			{"GET", "/api/v1/handler/cases/" + b + "/attachments/" + b, "", nil},
			{"POST", "/api/v1/handler/login", `{"challenge_id":"` + jsonText(b) + `","answer":"x"}`, nil},
		} {
			body := strings.NewReader(r.body)
			ct := ""
			if r.body != "" {
				ct = "application/json"
			}
			resp, page := u.doRaw(r.method, u.up.URL+r.path, ct, body, r.header...)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("%s %s: status %d, want 4xx: %.200s", r.method, clipPath(r.path), resp.StatusCode, page)
			}
		}
		resp, page := get(t, staff, oh.URL+"/org/cases/"+b)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("GET /org/cases/%s: status %d, want 4xx: %.200s", clipPath(b), resp.StatusCode, page)
		}
	}
	// The visit token of an upload, and a follow-up.
	ct, body := multipartBody("BADID-token", map[string][]byte{"x.txt": []byte("x")})
	if resp, _ := u.doRaw("POST", u.up.URL+"/attachments", ct, body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload with a malformed token: %d, want 403", resp.StatusCode)
	}
	for _, l := range []string{u.logs.String(), oh.logs.String()} {
		if strings.Contains(strings.ToLower(l), "badid") || strings.Contains(l, `"status":500`) {
			t.Errorf("the log holds a malformed identifier or a 500:\n%s", l)
		}
	}
}

// orgServer is a server with the staff pages over an existing database.
type orgServer struct {
	URL  string
	logs *syncBuffer
}

// everyoneSignedIn starts an upload server with a handler (omar, signed
// in: tok) and a case (ref, with its upload token), and a staff member
// signed in (staff) on a server that has the staff pages (oh), over the
// same database.
func everyoneSignedIn(t *testing.T) (u *uploadEnv, tok, ref string, oh *orgServer, staff *http.Client) {
	t.Helper()
	u = newUploadEnv(t, server.Options{}, 10*time.Second)
	orgs := intermediary.New(u.db.DB, u.teams.Config)
	ctx := context.Background()
	if err := orgs.AddOrganisation(ctx, "nhri-a", "NHRI A", "test"); err != nil {
		t.Fatal(err)
	}
	cr, err := orgs.AddStaff(ctx, "nhri-a", "staff-a", "test")
	if err != nil {
		t.Fatal(err)
	}
	id := u.addHandler("omar", "reprisals-team")
	tok = u.login("omar", id)
	ref, _ = u.uploadToken("hrc_session")
	oh = newOrgServer(t, u, orgs)
	staff = client()
	c, _ := intermediary.Code(cr.TOTPSecret, time.Now())
	resp, err := staff.PostForm(oh.URL+"/org/login", url.Values{"username": {"staff-a"}, "password": {cr.Password}, "code": {c}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("staff sign-in: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
	return u, tok, ref, oh, staff
}

func newOrgServer(t *testing.T, u *uploadEnv, orgs *intermediary.Service) *orgServer {
	t.Helper()
	o := newUploadEnvOn(t, u.env, server.Options{Intermediaries: orgs}, 10*time.Second)
	return &orgServer{URL: o.up.URL, logs: o.logs}
}

func jsonText(s string) string {
	if us, err := url.PathUnescape(s); err == nil {
		s = us
	}
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func clipPath(p string) string {
	if len(p) > 80 {
		return p[:80] + "..."
	}
	return p
}

// doRaw sends a request to a full URL, which may hold escapes that
// url.Parse keeps as they are.
func (u *uploadEnv) doRaw(method, rawURL, contentType string, body io.Reader, header ...string) (*http.Response, string) {
	u.t.Helper()
	resp, b := send(u.t, method, rawURL, contentType, body, header...)
	return resp, string(b)
}

// TestTextThatCannotBeStored: NUL characters and bytes that are not UTF-8
// are refused, never silently changed: the JSON API answers 400, the form
// names the field and keeps the rest, follow-ups say so, and URLs are
// refused with 400. Nothing is stored.
func TestTextThatCannotBeStored(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	good, _ := json.Marshal(intaketestReport("hrc_session"))
	narrative := regexp.MustCompile(`"narrative":"[^"]*"`)
	for name, body := range map[string][]byte{
		"invalid UTF-8":      narrative.ReplaceAll(good, []byte("\"narrative\":\"before \xff\xfe after\"")),
		"NUL escape":         narrative.ReplaceAll(good, []byte(`"narrative":"before \u0000 after"`)),
		"unpaired surrogate": narrative.ReplaceAll(good, []byte(`"narrative":"before \udc00 after"`)),
	} {
		if bytes.Equal(body, good) {
			t.Fatalf("%s: the narrative was not replaced", name)
		}
		resp, b := u.doRaw("POST", u.up.URL+"/api/v1/reports", "application/json", bytes.NewReader(body))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("API, %s: status %d, want 400: %s", name, resp.StatusCode, b)
		}
	}

	for name, text := range map[string]string{"invalid UTF-8": "before \xff\xfe after", "NUL": "before \x00 after"} {
		v := formValues(intaketestReport("hrc_session"))
		v.Set("incidents[0].narrative", text)
		resp, page := u.doRaw("POST", u.up.URL+"/report", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="incidents[0].narrative-error"`) ||
			!strings.Contains(page, "cannot be stored") {
			t.Errorf("form, %s: status %d, want 422 with an error at the narrative", name, resp.StatusCode)
		}
	}
	if n := u.count(); n != 0 {
		t.Errorf("%d reports stored", n)
	}

	// A file whose name is not UTF-8, or holds NUL: refused, nothing kept.
	_, token := u.uploadToken("hrc_session")
	for _, name := range []string{"photo\xff\xfe.jpg", "photo\x00.jpg"} {
		ct, body := multipartBody(token, map[string][]byte{name: []byte("jpeg")})
		resp, b := u.doRaw("POST", u.up.URL+"/api/v1/attachments", ct, body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("file named %q: status %d, want 400: %s", name, resp.StatusCode, b)
		}
	}
	if rows, _ := u.attachmentRows(); rows != 0 {
		t.Errorf("%d attachments stored from bad file names", rows)
	}

	for _, path := range []string{"/report?lang=%FF", "/report?x=%00", "/report%00", "/%FF%FE", "/report?x=%zz"} {
		if resp, _ := u.doRaw("GET", u.up.URL+path, "", strings.NewReader("")); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", path, resp.StatusCode)
		}
	}
}

// TestDuplicateKeysAndContentType: a JSON object with a key twice is
// refused (a second "cooperation" object once changed a report's routing),
// and the handler API takes only application/json.
func TestDuplicateKeysAndContentType(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	good, _ := json.Marshal(intaketestReport("hrc_session"))
	// encoding/json matches keys to fields without regard to case, so a
	// key in other capitals is the same field given twice.
	for _, repl := range []string{
		`"cooperation":{"body":"upr"},"cooperation":{`,
		`"cooperation":{"body":"upr"},"Cooperation":{`,
		`"cooperation":{"body":"upr","BODY":"hrc_session",`,
	} {
		dup := bytes.Replace(good, []byte(`"cooperation":{`), []byte(repl), 1)
		if bytes.Equal(dup, good) {
			t.Fatal("no cooperation object to repeat")
		}
		resp, b := u.doRaw("POST", u.up.URL+"/api/v1/reports", "application/json", bytes.NewReader(dup))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "twice") {
			t.Errorf("duplicate cooperation %s: status %d, want 400: %s", repl, resp.StatusCode, b)
		}
	}
	if n := u.count(); n != 0 {
		t.Errorf("%d reports stored", n)
	}

	id := u.addHandler("omar", "reprisals-team")
	tok := u.login("omar", id)
	ref, _ := u.uploadToken("hrc_session")
	auth := []string{"Authorization", "Bearer " + tok}
	for _, r := range []struct {
		ct, body string
		want     int
	}{
		{"application/json", `{"urgency":"U2","urgency":"U1"}`, http.StatusBadRequest},
		{"application/json", `{"urgency":"U2","URGENCY":"U1"}`, http.StatusBadRequest},
		{"text/plain", `{"urgency":"U2"}`, http.StatusUnsupportedMediaType},
		{"", `{"urgency":"U2"}`, http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", `{"urgency":"U2"}`, http.StatusUnsupportedMediaType},
		{"application/json; charset=utf-8", `{"urgency":"U2"}`, http.StatusOK},
	} {
		resp, b := u.doRaw("PATCH", u.up.URL+"/api/v1/handler/cases/"+ref, r.ct, strings.NewReader(r.body), auth...)
		if resp.StatusCode != r.want {
			t.Errorf("PATCH %q as %q: status %d, want %d: %s", r.body, r.ct, resp.StatusCode, r.want, b)
		}
	}
	// A field of binary data that is not base64 was a 500 (found by
	// FuzzSigned): it is the client's error.
	for path, body := range map[string]string{
		"/api/v1/handler/rosters":                 `{"roster":"x","signatures":[{"key":"k","signature":"!!"}]}`,
		"/api/v1/handler/cases/" + ref + "/notes": `{"kind":"note","ciphertext":"!!"}`,
	} {
		resp, b := u.doRaw("POST", u.up.URL+path, "application/json", strings.NewReader(body), auth...)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "base64") {
			t.Errorf("POST %s with binary data that is not base64: status %d, want 400: %s", path, resp.StatusCode, b)
		}
	}
	if strings.Contains(u.logs.String(), "request failed") {
		t.Errorf("a client's malformed JSON was logged as a failure:\n%s", u.logs.String())
	}
	// Roster publication decodes the same way.
	resp, b := u.doRaw("POST", u.up.URL+"/api/v1/handler/rosters", "application/json", strings.NewReader(`{"roster":"a","Roster":"b","signatures":[]}`), auth...)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "twice") {
		t.Errorf("roster with \"roster\" and \"Roster\": status %d, want 400: %s", resp.StatusCode, b)
	}
	resp, _ = u.doRaw("POST", u.up.URL+"/api/v1/handler/login/challenge", "text/plain", strings.NewReader(`{"handler":"omar"}`))
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("challenge as text/plain: %d, want 415", resp.StatusCode)
	}
}

// TestLanguageLinksFromTheRoute: the language links of a page are built
// from the route, never from the raw path: on "//evil.example/x" they stay
// on this site.
func TestLanguageLinksFromTheRoute(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	// Links, or on the report form buttons that send the form.
	hrefs := regexp.MustCompile(`(?:href|formaction)="([^"]*)lang=([a-z]+)"[^>]*? lang="[a-z]+"`)
	for path, want := range map[string]string{
		"//evil.example/x":      "?",
		"/report":               "/report?",
		"/return":               "/return?",
		"//evil.example/report": "?",
	} {
		resp, page := u.doRaw("GET", u.up.URL+path, "", strings.NewReader(""))
		links := hrefs.FindAllStringSubmatch(page, -1)
		if len(links) != 6 {
			t.Errorf("GET %s (%d): %d language links, want 6", path, resp.StatusCode, len(links))
		}
		for _, l := range links {
			if l[1] != want || strings.Contains(l[0], "evil") {
				t.Errorf("GET %s: language link %q, want %q", path, l[0], want+"lang="+l[2])
			}
		}
	}
}

// TestValidationErrorsInAStableOrder: the same invalid report gets the
// same errors, in the same order, every time, from the form and the API.
func TestValidationErrorsInAStableOrder(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	bad := intaketestReport("hrc_session")
	bad.Language, bad.Victims[0].Name, bad.Incidents[0].Narrative, bad.Consent.ShareWithOHCHR = "", "", "", false
	body, _ := json.Marshal(bad)
	links := regexp.MustCompile(`href="#([^"]+)"`)
	var firstAPI, firstForm string
	for i := range 5 {
		_, api := u.doRaw("POST", u.up.URL+"/api/v1/reports", "application/json", bytes.NewReader(body))
		resp, page := u.doRaw("POST", u.up.URL+"/report", "application/x-www-form-urlencoded", strings.NewReader(formValues(bad).Encode()))
		var order []string
		for _, m := range links.FindAllStringSubmatch(page, -1) {
			order = append(order, m[1])
		}
		form := strings.Join(order, " ")
		if i == 0 {
			firstAPI, firstForm = api, form
			if resp.StatusCode != http.StatusUnprocessableEntity || len(order) < 1 || !strings.Contains(firstAPI, `"fields"`) {
				t.Fatalf("form: status %d, error links %v", resp.StatusCode, order)
			}
			continue
		}
		if api != firstAPI || form != firstForm {
			t.Fatalf("run %d differs:\nAPI %s\nvs  %s\nform %s\nvs   %s", i, api, firstAPI, form, firstForm)
		}
	}
}

// TestStaffSignInBadText: a username with NUL, bytes that are not UTF-8
// or more than intermediary.MaxUsername bytes is answered as any failed
// sign-in (401, the same page), never sent to PostgreSQL (which refused
// it with a 500 and a log line), and nothing of it reaches the log.
func TestStaffSignInBadText(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	orgs := intermediary.New(u.db.DB, u.teams.Config)
	if err := orgs.AddOrganisation(context.Background(), "nhri-a", "NHRI A", "test"); err != nil {
		t.Fatal(err)
	}
	oh := newOrgServer(t, u, orgs)
	for _, name := range []string{"BADNAME\x00b", "BADNAME\xff\xfeb", "BADNAME" + strings.Repeat("x", intermediary.MaxUsername)} {
		body := url.Values{"username": {name}, "password": {"x"}, "code": {"123456"}}.Encode()
		resp, page := u.doRaw("POST", oh.URL+"/org/login", "application/x-www-form-urlencoded", strings.NewReader(body))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Sign-in failed.") {
			t.Errorf("username %.20q: status %d, want 401 and the sign-in failure: %.300s", name, resp.StatusCode, page)
		}
		if strings.Contains(strings.ToLower(page), "badname") {
			t.Errorf("username %.20q is shown back on the page", name)
		}
	}
	if l := oh.logs.String(); strings.Contains(strings.ToLower(l), "badname") || strings.Contains(l, "request failed") {
		t.Errorf("the log holds a failed sign-in:\n%s", l)
	}
}
