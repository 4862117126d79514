package handlerapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/casework/handlerapi"
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
