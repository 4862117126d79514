package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
)

type apiError = handlerapi.Error

func decodeError(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, body)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body lacks code or message: %s", body)
	}
	return e
}

func TestAPIAccepts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.postJSON(intaketest.Report("upr"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Reference   string   `json:"reference"`
		Receipt     string   `json:"receipt"`
		RoutedTeams []string `json:"routed_teams"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}$`).MatchString(got.Reference) ||
		!regexp.MustCompile(`^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$`).MatchString(got.Receipt) ||
		len(got.RoutedTeams) != 2 {
		t.Errorf("unexpected answer %s", body)
	}
	if n := e.count(); n != 1 {
		t.Errorf("%d reports stored, want 1", n)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q: the receipt must not be cached", cc)
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	valid, _ := json.Marshal(intaketest.Report("upr"))
	huge := append([]byte(`{"language":"`), bytes.Repeat([]byte("a"), server.MaxJSONBody)...)
	huge = append(huge, `"}`...)
	tests := []struct {
		name        string
		contentType string
		body        io.Reader
		chunked     bool
		status      int
		code        string
		words       string
	}{
		{"malformed JSON", "application/json", strings.NewReader(`{"language":`), false, 400, "bad_request", "middle of the JSON"},
		{"unknown field", "application/json", strings.NewReader(`{"nmae":"x"}`), false, 400, "bad_request", `"nmae"`},
		{"wrong type", "application/json", strings.NewReader(`{"victims":"x"}`), false, 400, "bad_request", "must be a list"},
		{"empty body", "application/json", strings.NewReader(``), false, 400, "bad_request", "empty"},
		{"too large, declared", "application/json", bytes.NewReader(huge), false, 413, "too_large", "larger than"},
		{"too large, chunked", "application/json", bytes.NewReader(huge), true, 413, "too_large", "not saved"},
		{"form encoded", "application/x-www-form-urlencoded", bytes.NewReader(valid), false, 415, "unsupported_media_type", "application/json"},
		{"no content type", "", bytes.NewReader(valid), false, 415, "unsupported_media_type", "application/json"},
		{"text", "text/plain", bytes.NewReader(valid), false, 415, "unsupported_media_type", "application/json"},
		{"invalid fields", "application/json", strings.NewReader(`{"language":"en"}`), false, 422, "invalid_report", "not saved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			resp, b := e.do("POST", "/api/v1/reports", tt.contentType, body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			got := decodeError(t, b)
			if got.Error.Code != tt.code || !strings.Contains(got.Error.Message, tt.words) {
				t.Errorf("error %+v, want code %s and words %q", got.Error, tt.code, tt.words)
			}
		})
	}
	if n := e.count(); n != 0 {
		t.Errorf("%d reports stored after refused requests, want 0", n)
	}
}

func TestAPIValidationFieldMap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := intaketest.Report("upr")
	r.Victims[0].Name = ""
	r.Incidents[0].Date = "2026"
	r.Consent.ShareWithOHCHR = false
	resp, b := e.postJSON(r)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	got := decodeError(t, b)
	want := []string{"victims[0].name", "incidents[0].date", "consent.share_with_ohchr"}
	if len(got.Error.Fields) != len(want) {
		t.Errorf("fields %v, want %v", got.Error.Fields, want)
	}
	for _, f := range want {
		if got.Error.Fields[f] == "" {
			t.Errorf("no message for %s in %v", f, got.Error.Fields)
		}
	}
}

func TestAPIDatabaseDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.db.SetReachable(t, false)
	resp, b := e.postJSON(intaketest.Report("upr"))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", resp.StatusCode, b)
	}
	got := decodeError(t, b)
	if got.Error.Code != "not_saved" || !strings.Contains(got.Error.Message, "Not saved, please retry") {
		t.Errorf("error %+v", got.Error)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	if strings.Contains(string(b), "SQLSTATE") || strings.Contains(string(b), "postgres") {
		t.Errorf("the answer leaks internals: %s", b)
	}
	e.db.SetReachable(t, true)
	if n := e.count(); n != 0 {
		t.Fatalf("%d reports stored while the database was down, want 0", n)
	}
	if resp, b := e.postJSON(intaketest.Report("upr")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after recovery: status %d: %s", resp.StatusCode, b)
	}
	if n := e.count(); n != 1 {
		t.Fatalf("%d reports stored after recovery, want 1", n)
	}
}

func TestAPIUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/nothing", 404},
		{"GET", "/api/v1/reports", 405},
		{"DELETE", "/api/v1/reports", 405},
	} {
		resp, b := e.do(tt.method, tt.path, "", nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			continue
		}
		decodeError(t, b)
	}
}
