package intake

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// DecodeError is a request body that cannot be read as a report at all (as
// opposed to a report with invalid fields). Its message is written for the
// client and never quotes the body beyond a field name.
type DecodeError struct{ Message string }

func (e *DecodeError) Error() string { return e.Message }

// DecodeJSON reads exactly one JSON report from r. Unknown fields are
// refused, so a misspelt field is reported instead of silently dropped.
// Errors from r (such as *http.MaxBytesError) are returned as they are.
func DecodeJSON(r io.Reader) (*Report, error) {
	var rep Report
	if err := DecodeStrict(r, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &DecodeError{"The request body is empty: send the report as a JSON object."}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{"The request body ends in the middle of the JSON."}
	case errors.As(err, &se):
		return &DecodeError{fmt.Sprintf("The request body is not valid JSON (near byte %d).", se.Offset)}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return &DecodeError{"The request body must be a JSON object."}
		}
		return &DecodeError{fmt.Sprintf("The field %q must be %s.", clip(field), jsonKind(te.Type))}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &DecodeError{fmt.Sprintf("The field %s is not part of a report (see the API description).", clip(name))}
	case errors.As(err, new(base64.CorruptInputError)):
		return &DecodeError{"A field that carries binary data is not valid base64."}
	}
	// The body was read whole before decoding, so any other error (a
	// value a field's type refuses, such as a malformed time) is about
	// the client's JSON, never the server's.
	return &DecodeError{"The request body could not be read as the JSON this request takes (see the API description)."}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	}
	return "of another type"
}

// clip shortens a client-supplied name before it is echoed back.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// DecodeForm builds a report from HTML form values whose names are the
// report's JSON paths, such as "victims[0].name" or "incidents[1].types"
// (repeated for several choices). Unknown names are ignored, list indexes
// beyond a list's limit are dropped, and a check box counts as true when
// its value is "yes", "on" or "true". It never fails: whatever cannot be
// placed is left for Validate to report.
func DecodeForm(values url.Values) *Report {
	var rep Report
	root := reflect.ValueOf(&rep).Elem()
	for key, vals := range values {
		if len(key) > 100 || len(vals) == 0 {
			continue
		}
		setPath(root, strings.Split(key, "."), vals)
	}
	return &rep
}

func setPath(v reflect.Value, segs []string, vals []string) {
	name, index := segs[0], -1
	if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
		n, err := strconv.Atoi(name[i+1 : len(name)-1])
		if err != nil || n < 0 {
			return
		}
		name, index = name[:i], n
	}
	f, ok := fieldByJSON(v, name)
	if !ok {
		return
	}
	fv := v.FieldByIndex(f.Index)
	last := len(segs) == 1
	switch {
	case index >= 0:
		if fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() != reflect.Struct || last {
			return
		}
		if index >= maxLen(f) {
			return
		}
		if fv.Len() <= index {
			fv.Set(reflect.AppendSlice(fv, reflect.MakeSlice(fv.Type(), index+1-fv.Len(), index+1-fv.Len())))
		}
		setPath(fv.Index(index), segs[1:], vals)
	case !last:
		if fv.Kind() == reflect.Struct {
			setPath(fv, segs[1:], vals)
		}
	case fv.Kind() == reflect.String:
		fv.SetString(vals[0])
	case fv.Kind() == reflect.Bool:
		switch strings.ToLower(vals[0]) {
		case "yes", "on", "true":
			fv.SetBool(true)
		}
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
		var out []string
		for _, s := range vals[:min(len(vals), maxLen(f)+1)] {
			if s != "" {
				out = append(out, s)
			}
		}
		fv.Set(reflect.ValueOf(out))
	}
}

func fieldByJSON(v reflect.Value, name string) (reflect.StructField, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// maxLen returns the max= limit in a list field's validate tag.
func maxLen(f reflect.StructField) int {
	for _, part := range strings.Split(f.Tag.Get("validate"), ",") {
		if part == "dive" {
			break
		}
		if n, ok := strings.CutPrefix(part, "max="); ok {
			if m, err := strconv.Atoi(n); err == nil {
				return m
			}
		}
	}
	return 0
}

// EncodeForm is the inverse of DecodeForm: the report's non-empty values
// under their form names ("victims[0].name", "incidents[1].types"
// repeated, "consent.risks_understood" = "yes"). Forms use it to carry
// answers between steps.
func EncodeForm(r *Report) url.Values {
	v := url.Values{}
	encodeValue(v, reflect.ValueOf(r).Elem(), "")
	return v
}

func encodeValue(v url.Values, rv reflect.Value, prefix string) {
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := rv.Field(i)
		switch {
		case f.Kind() == reflect.Struct:
			encodeValue(v, f, prefix+name+".")
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			for j := 0; j < f.Len(); j++ {
				encodeValue(v, f.Index(j), fmt.Sprintf("%s%s[%d].", prefix, name, j))
			}
		case f.Kind() == reflect.Slice:
			for j := 0; j < f.Len(); j++ {
				if s := f.Index(j).String(); s != "" {
					v.Add(prefix+name, s)
				}
			}
		case f.Kind() == reflect.Bool:
			if f.Bool() {
				v.Set(prefix+name, "yes")
			}
		case f.Kind() == reflect.String:
			if s := f.String(); s != "" {
				v.Set(prefix+name, s)
			}
		}
	}
}
