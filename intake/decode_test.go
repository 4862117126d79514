package intake_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/intake"
)

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "empty"},
		{"not JSON", "hello", "not valid JSON"},
		{"truncated", `{"language": "en"`, "ends in the middle"},
		{"array", `[1,2]`, "must be a JSON object"},
		{"string", `"report"`, "must be a JSON object"},
		{"unknown field", `{"langauge": "en"}`, `"langauge" is not part of a report`},
		{"nested unknown field", `{"victims": [{"nme": "x"}]}`, `"nme" is not part of a report`},
		{"wrong type", `{"language": 5}`, `"language" must be a string`},
		{"wrong nested type", `{"consent": {"risks_understood": "yes"}}`, `"consent.risks_understood" must be true or false`},
		{"list expected", `{"victims": {}}`, `"victims" must be a list`},
		{"two objects", `{} {}`, "exactly one JSON object"},
		{"trailing garbage", `{} x`, "exactly one JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := intake.DecodeJSON(strings.NewReader(tt.body))
			var de *intake.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *DecodeError", err, err)
			}
			if !strings.Contains(de.Message, tt.want) {
				t.Errorf("message %q does not contain %q", de.Message, tt.want)
			}
		})
	}
}

func TestDecodeJSONPassesReadErrorsThrough(t *testing.T) {
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(`{"language": "`+strings.Repeat("a", 100)+`"}`)), 10)
	_, err := intake.DecodeJSON(body)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Fatalf("err = %v (%T), want *http.MaxBytesError", err, err)
	}
}

func TestDecodeJSONValid(t *testing.T) {
	r, err := intake.DecodeJSON(strings.NewReader(`{"language":"fr","victims":[{"name":"X","roles":["lawyer"]}],"consent":{"share_with_ohchr":true}}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Language != "fr" || len(r.Victims) != 1 || r.Victims[0].Roles[0] != "lawyer" || !r.Consent.ShareWithOHCHR {
		t.Errorf("decoded %+v", r)
	}
}

func TestDecodeForm(t *testing.T) {
	v := url.Values{
		"language":                   {"ar"},
		"submitter.name":             {"Amina"},
		"victims[0].name":            {"First"},
		"victims[0].roles":           {"defender", "", "journalist"},
		"victims[2].name":            {"Third"},
		"victims[99].name":           {"beyond the limit"},
		"victims[-1].name":           {"negative"},
		"victims[x].name":            {"not a number"},
		"victims[999999999999].name": {"huge"},
		"incidents[0].types":         {"killing"},
		"incidents[0].narrative":     {"line one\nline two"},
		"consent.risks_understood":   {"yes"},
		"consent.share_with_ohchr":   {"no"},
		"cooperation.body":           {"upr", "second value ignored"},
		"action":                     {"submit"},
		"unknown.field":              {"ignored"},
		"victims":                    {"not a list"},
		"victims[0]":                 {"not a field"},
		"victims[0].name.extra":      {"too deep"},
		strings.Repeat("k", 200):     {"long key"},
	}
	got := intake.DecodeForm(v)
	want := &intake.Report{
		Language:    "ar",
		Submitter:   intake.Submitter{Name: "Amina"},
		Victims:     []intake.Victim{{Name: "First", Roles: []string{"defender", "journalist"}}, {}, {Name: "Third"}},
		Cooperation: intake.Cooperation{Body: "upr"},
		Incidents:   []intake.Incident{{Types: []string{"killing"}, Narrative: "line one\nline two"}},
		Consent:     intake.Consent{RisksUnderstood: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeForm (-want +got):\n%s", diff)
	}
}

func TestDecodeFormBoundsMultiValues(t *testing.T) {
	var types []string
	for range 1000 {
		types = append(types, "killing")
	}
	got := intake.DecodeForm(url.Values{"incidents[0].types": types})
	if n := len(got.Incidents[0].Types); n > 14 {
		t.Errorf("kept %d values, want at most the limit plus one (so validation reports it)", n)
	}
}
