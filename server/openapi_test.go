package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

var update = flag.Bool("update", false, "rewrite openapi.json's schemas from the Go types")

// TestOpenAPI checks the committed OpenAPI document against the real
// routes (every /api/ route documented, every documented route real) and
// its schemas against the Go types and their validation tags.
func TestOpenAPI(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	components := doc["components"].(map[string]any)
	want := schemas()
	if *update {
		docSchemas := components["schemas"].(map[string]any)
		for k, v := range want {
			docSchemas[k] = v
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("openapi.json", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote openapi.json")
		return
	}
	// Round-trip the generated schemas through JSON so types compare.
	var wantJSON any
	b, _ := json.Marshal(want)
	json.Unmarshal(b, &wantJSON)
	// The generated schemas must match; others (the handler API's) are
	// written by hand.
	docSchemas := map[string]any{}
	for k := range wantJSON.(map[string]any) {
		docSchemas[k] = components["schemas"].(map[string]any)[k]
	}
	if diff := cmp.Diff(wantJSON, any(docSchemas)); diff != "" {
		t.Errorf("openapi.json schemas differ from the Go types (run go test ./server -run TestOpenAPI -update) (-types +doc):\n%s", diff)
	}

	e, err := New(nil, nil, slog.New(slog.DiscardHandler), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var real []string
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Path, "/api/") && r.Method != echo.RouteNotFound {
			real = append(real, strings.ToLower(r.Method)+" "+strings.NewReplacer(":ref", "{ref}", ":id", "{id}", ":team", "{team}").Replace(r.Path))
		}
	}
	var documented []string
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			documented = append(documented, method+" "+path)
			if len(op.(map[string]any)["responses"].(map[string]any)) == 0 {
				t.Errorf("%s %s documents no response", method, path)
			}
		}
	}
	slices.Sort(real)
	slices.Sort(documented)
	if diff := cmp.Diff(real, documented); diff != "" {
		t.Errorf("API routes (-real +documented):\n%s", diff)
	}
	// Every status the API can answer is documented.
	responses := doc["paths"].(map[string]any)["/api/v1/reports"].(map[string]any)["post"].(map[string]any)["responses"].(map[string]any)
	for _, code := range []int{201, 400, 409, 413, 415, 422, 500, 503} {
		if _, ok := responses[strconv.Itoa(code)]; !ok {
			t.Errorf("POST /api/v1/reports does not document %d", code)
		}
	}
}

// schemas builds JSON Schemas for the API's types from their json and
// validate tags.
func schemas() map[string]any {
	out := map[string]any{}
	for _, v := range []any{intake.Report{}, acceptedResponse{}, handlerapi.Error{}} {
		structSchema(reflect.TypeOf(v), out)
	}
	// A friendlier name for the response type.
	out["Accepted"] = out["acceptedResponse"]
	delete(out, "acceptedResponse")
	return out
}

func structSchema(t reflect.Type, all map[string]any) map[string]any {
	if s, ok := all[t.Name()]; ok {
		return s.(map[string]any)
	}
	props := map[string]any{}
	required := []string{}
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	all[t.Name()] = s
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		tags := strings.Split(f.Tag.Get("validate"), ",")
		props[name] = fieldSchema(f.Type, tags, all)
		for _, tag := range tags {
			if cond, ok := strings.CutPrefix(tag, "required_if="); ok {
				other, value, _ := strings.Cut(cond, " ")
				of, _ := t.FieldByName(other)
				otherName, _, _ := strings.Cut(of.Tag.Get("json"), ",")
				props[name].(map[string]any)["description"] = fmt.Sprintf("Required when %s is %q.", otherName, value)
			}
		}
		if slices.Contains(tags, "required") || slices.Contains(tags, "eq=true") ||
			(f.Type.Kind() == reflect.Struct && hasRequired(f.Type)) ||
			(f.Tag.Get("validate") == "" && !strings.Contains(opts, "omitempty") && t.Name() != "Report") {
			required = append(required, name)
		}
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// hasRequired reports whether a struct has a field that must be given, so
// that leaving the whole object out fails validation too.
func hasRequired(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		tags := strings.Split(t.Field(i).Tag.Get("validate"), ",")
		if slices.Contains(tags, "required") || slices.Contains(tags, "eq=true") {
			return true
		}
	}
	return false
}

// TestOpenAPIRequiredMatchesValidation checks the Report schema's required
// list against the validator itself: a valid report with one top-level
// field left out is refused exactly when the schema calls it required.
func TestOpenAPIRequiredMatchesValidation(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string       `json:"required"`
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["Report"]
	full, _ := json.Marshal(intaketest.Report("upr"))
	v := intake.NewValidator(time.Now)
	for field := range schema.Properties {
		var m map[string]any
		json.Unmarshal(full, &m)
		delete(m, field)
		b, _ := json.Marshal(m)
		var r intake.Report
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		refused := v.Validate(&r) != nil
		if listed := slices.Contains(schema.Required, field); listed != refused {
			t.Errorf("Report without %q: refused %t, but the schema lists it as required: %t", field, refused, listed)
		}
	}
}

func fieldSchema(t reflect.Type, tags []string, all map[string]any) map[string]any {
	s := map[string]any{}
	elemTags := []string{}
	if i := slices.Index(tags, "dive"); i >= 0 {
		tags, elemTags = tags[:i], tags[i+1:]
	}
	switch t.Kind() {
	case reflect.Struct:
		structSchema(t, all)
		return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	case reflect.Bool:
		s["type"] = "boolean"
		if slices.Contains(tags, "eq=true") {
			s["const"] = true
		}
	case reflect.String:
		s["type"] = "string"
	case reflect.Slice:
		s["type"] = "array"
		s["items"] = fieldSchema(t.Elem(), elemTags, all)
	}
	for _, tag := range tags {
		key, val, _ := strings.Cut(tag, "=")
		n, _ := strconv.Atoi(val)
		switch {
		case key == "max" && t.Kind() == reflect.String:
			s["maxLength"] = n
		case key == "max":
			s["maxItems"] = n
		case key == "min" && t.Kind() == reflect.Slice:
			s["minItems"] = n
		case key == "required" && t.Kind() == reflect.String:
			s["minLength"] = 1
		case key == "required" && t.Kind() == reflect.Slice:
			if _, ok := s["minItems"]; !ok {
				s["minItems"] = 1
			}
		case key == "unique":
			s["uniqueItems"] = true
		case key == "choice":
			s["enum"] = intake.Choices[val]
		case key == "country":
			s["enum"] = append(country.Codes(), country.NotSure)
			s["description"] = "The State where the reprisal happened or that is held responsible: an ISO 3166-1 alpha-2 code in capitals, or \"unsure\"."
		case key == "monthdate":
			s["pattern"] = `^\d{4}-\d{2}(-\d{2})?$`
			s["description"] = "At least the month and year: YYYY-MM or YYYY-MM-DD, from 1945 to today."
		}
	}
	return s
}

// TestOpenAPIHandlerTypes checks that every request and response body of
// the handler API documented in openapi.json has exactly the fields of its
// type in package handlerapi, the types both the server and the clients
// use, nested objects included.
func TestOpenAPIHandlerTypes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	const p = handlerapi.Prefix
	for _, tc := range []struct {
		path, method, part string // part: "request" or a response status
		typ                any
	}{
		{p + "/login/challenge", "post", "request", handlerapi.ChallengeRequest{}},
		{p + "/login/challenge", "post", "200", handlerapi.ChallengeResponse{}},
		{p + "/login", "post", "request", handlerapi.LoginRequest{}},
		{p + "/login", "post", "200", handlerapi.LoginResponse{}},
		{p + "/team", "get", "200", handlerapi.Team{}},
		{p + "/cases", "get", "200", handlerapi.CaseList{}},
		{p + "/inbox", "get", "200", handlerapi.InboxPage{}},
		{p + "/cases/{ref}", "get", "200", handlerapi.Case{}},
		{p + "/cases/{ref}", "patch", "request", handlerapi.Change{}},
		{p + "/cases/{ref}", "patch", "200", handlerapi.CaseMeta{}},
		{p + "/cases/{ref}/notes", "get", "200", handlerapi.NoteList{}},
		{p + "/cases/{ref}/notes", "post", "request", handlerapi.NewNote{}},
		{p + "/cases/{ref}/notes", "post", "201", handlerapi.Created{}},
		{p + "/cases/{ref}/rekey", "post", "request", handlerapi.Rekey{}},
		{p + "/cases/{ref}/attachments", "get", "200", handlerapi.AttachmentList{}},
		{p + "/rosters/{team}", "get", "200", handlerapi.SignedRoster{}},
		{p + "/rosters", "post", "request", handlerapi.SignedRoster{}},
	} {
		t.Run(tc.method+" "+tc.path+" "+tc.part, func(t *testing.T) {
			op := dig(doc, "paths", tc.path, tc.method)
			var media any
			if tc.part == "request" {
				media = dig(op, "requestBody", "content", "application/json", "schema")
			} else {
				media = dig(op, "responses", tc.part, "content", "application/json", "schema")
			}
			if media == nil {
				t.Fatalf("not documented")
			}
			checkSchema(t, doc, media, reflect.TypeOf(tc.typ), tc.path)
		})
	}
}

// dig follows keys through nested JSON objects; nil if one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// properties resolves $ref and allOf and returns an object schema's
// properties.
func properties(doc map[string]any, s any) map[string]any {
	out := map[string]any{}
	m, _ := s.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return properties(doc, dig(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...))
	}
	parts, _ := dig(m, "allOf").([]any)
	for _, part := range parts {
		for k, v := range properties(doc, part) {
			out[k] = v
		}
	}
	props, _ := dig(m, "properties").(map[string]any)
	for k, v := range props {
		out[k] = v
	}
	return out
}

// jsonFields returns a struct's JSON field names and types, embedded
// structs flattened.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out[name] = f.Type
	}
	return out
}

func checkSchema(t *testing.T, doc map[string]any, s any, typ reflect.Type, where string) {
	t.Helper()
	props := properties(doc, s)
	fields := jsonFields(typ)
	var got, want []string
	for k := range props {
		got = append(got, k)
	}
	for k := range fields {
		want = append(want, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: fields of %s (-Go +openapi.json):\n%s", where, typ, diff)
	}
	for name, ft := range fields {
		sub := props[name]
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft, sub = ft.Elem(), dig(sub, "items")
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" && sub != nil {
			checkSchema(t, doc, sub, ft, where+"."+name)
		}
	}
}
