package handlerapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

func TestOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://report.example.org", "https://report.example.org"},
		{"https://Report.Example.org/", "https://report.example.org"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{" https://report.example.org:8443 ", "https://report.example.org:8443"},
		{"https://report.example.org/api", ""},
		{"https://user@report.example.org", ""},
		{"https://report.example.org?x=1", ""},
		{"https://report.example.org#x", ""},
		{"ftp://report.example.org", ""},
		{"report.example.org", ""},
		{"", ""},
	} {
		got, err := handlerapi.Origin(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("Origin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// hostile serves one canned answer to every request.
func hostile(t *testing.T, status int, contentType, body string) *handlerapi.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := handlerapi.New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientRefusesWhatItDoesNotExpect drives the client against a server
// that answers with the wrong thing.
func TestClientRefusesWhatItDoesNotExpect(t *testing.T) {
	const js = "application/json"
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		bad               bool   // ErrBadResponse
		apiMsg            string // *APIError with this message
	}{
		{name: "unknown field", ctype: js, body: `{"handler":"a","team":"t","statuses":[],"urgencies":[],"closure_reasons":[],"extra":1}`, status: 200, bad: true},
		{name: "two objects", ctype: js, body: `{"handler":"a"}{"handler":"b"}`, status: 200, bad: true},
		{name: "not JSON", ctype: js, body: `<html>`, status: 200, bad: true},
		{name: "wrong content type", ctype: "text/html", body: `{"handler":"a"}`, status: 200, bad: true},
		{name: "too large", ctype: js, body: `{"handler":"` + strings.Repeat("a", handlerapi.MaxResponse) + `"}`, status: 200, bad: true},
		{name: "error with escapes", ctype: js, body: `{"error":{"code":"x","message":"\u001b]0;pwned\u0007\u001b[2Jgone"}}`, status: 422, apiMsg: `\x1b]0;pwned\x07\x1b[2Jgone`},
		{name: "long error", ctype: js, body: `{"error":{"code":"x","message":"` + strings.Repeat("é", 400) + `"}}`, status: 500, apiMsg: strings.Repeat("é", 150) + "..."},
		{name: "error not JSON", ctype: "text/plain", body: "\x1b[2J", status: 502, apiMsg: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hostile(t, tc.status, tc.ctype, tc.body).Team(context.Background())
			var ae *handlerapi.APIError
			switch {
			case tc.bad && !errors.Is(err, handlerapi.ErrBadResponse):
				t.Fatalf("err = %v, want ErrBadResponse", err)
			case !tc.bad && !errors.As(err, &ae):
				t.Fatalf("err = %v, want *APIError", err)
			case !tc.bad && (ae.Message != tc.apiMsg || ae.Status != tc.status):
				t.Fatalf("APIError %d %q, want %d %q", ae.Status, ae.Message, tc.status, tc.apiMsg)
			}
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error text carries ESC: %q", err)
			}
		})
	}
}

// TestClientChecksCaseMetadata: a hostile server's case list, case or
// triage answer with a reference, day, urgency or deadline that is not of
// its fixed format (escape sequences, markup) is refused.
func TestClientChecksCaseMetadata(t *testing.T) {
	good := `{"reference":"ABCD-EFGH","received_on":"2026-05-01","status":"received","status_name":"Received","urgency":"U1","next_deadline":"2026-06-01","size_bucket":4096,"channel":"public","routed_teams":["reprisals-team"]}`
	for _, tc := range []struct {
		name, field, value string
		ok                 bool
	}{
		{"good", "", "", true},
		{"no urgency or deadline", "urgency", `""`, true},
		{"reference with an escape", "reference", `"ABCD-EFGH\u001b[2J"`, false},
		{"reference with markup", "reference", `"<b>ABCD</b>"`, false},
		{"received day with an escape", "received_on", `"2026-05-01\u001b]0;x\u0007"`, false},
		{"received time, not a day", "received_on", `"2026-05-01T10:00:00Z"`, false},
		{"urgency U9", "urgency", `"U9"`, false},
		{"urgency with bidi", "urgency", `"U1\u202e"`, false},
		{"deadline not a date", "next_deadline", `"tomorrow"`, false},
		{"negative size", "size_bucket", `-1`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := good
			if tc.field != "" {
				var m map[string]json.RawMessage
				json.Unmarshal([]byte(good), &m)
				m[tc.field] = json.RawMessage(tc.value)
				b, _ := json.Marshal(m)
				meta = string(b)
			}
			checks := map[string]func(*handlerapi.Client) error{
				"list": func(c *handlerapi.Client) error {
					_, err := c.Cases(context.Background(), handlerapi.CaseQuery{})
					return err
				},
				"triage": func(c *handlerapi.Client) error {
					_, err := c.Triage(context.Background(), "ABCD-EFGH", handlerapi.Change{})
					return err
				},
			}
			bodies := map[string]string{"list": `{"cases":[` + meta + `],"total":1,"page":1,"per_page":50}`, "triage": meta}
			for what, call := range checks {
				err := call(hostile(t, 200, "application/json", bodies[what]))
				if tc.ok && err != nil {
					t.Errorf("%s: %v", what, err)
				}
				if !tc.ok && !errors.Is(err, handlerapi.ErrBadResponse) {
					t.Errorf("%s: err = %v, want ErrBadResponse", what, err)
				}
			}
		})
	}
}

// FuzzCaseMetaCheck: whatever a server sends, metadata that passes Check
// has fixed-format fields that print as they are, with no markup.
func FuzzCaseMetaCheck(f *testing.F) {
	f.Add("ABCD-EFGH", "2026-05-01", "U1", "2026-06-01")
	f.Add("ABCD-EFGH\x1b[2J", "2026-5-1", "U1\u202e", "<b>")
	f.Fuzz(func(t *testing.T, ref, received, urgency, deadline string) {
		m := handlerapi.CaseMeta{Reference: ref, ReceivedOn: received, Urgency: urgency, NextDeadline: deadline}
		if m.Check() != nil {
			return
		}
		for _, s := range []string{ref, received, urgency, deadline} {
			if handlerapi.Safe(s) != s || strings.ContainsAny(s, `<>&"' `) {
				t.Fatalf("Check passed %q", s)
			}
		}
	})
}
