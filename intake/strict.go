package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits of the strict JSON check.
const (
	// MaxJSONDepth bounds the nesting of objects and arrays in a request.
	MaxJSONDepth = 16
)

// DecodeStrict reads exactly one JSON value from r into v. Beyond what
// encoding/json checks, it refuses, with a *DecodeError: bytes that are not
// UTF-8 (encoding/json would silently turn them into U+FFFD), the escapes
// \u0000 and unpaired surrogates (which would become NUL or U+FFFD), an
// object with the same key twice (encoding/json would keep the last one),
// nesting deeper than MaxJSONDepth, unknown fields, and anything after the
// value. r must be bounded by the caller (such as http.MaxBytesReader);
// its errors are returned as they are.
func DecodeStrict(r io.Reader, v any) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := CheckJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &DecodeError{"The request body must hold exactly one JSON object."}
	}
	return nil
}

// CheckJSON checks the text of a JSON document for what encoding/json
// lets through: invalid UTF-8, \u0000, unpaired surrogate escapes,
// duplicate keys and deep nesting. Syntax errors are left to the decoder,
// which describes them.
func CheckJSON(b []byte) error {
	if !utf8.Valid(b) {
		return &DecodeError{"The request body is not valid UTF-8 text."}
	}
	if err := checkEscapes(b); err != nil {
		return err
	}
	return checkKeys(b)
}

// checkEscapes refuses \u0000 and surrogate escapes that are not a high
// surrogate followed by a low one. Outside strings, valid JSON has no
// backslash, so a plain scan is exact.
func checkEscapes(b []byte) error {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++
		if i >= len(b) || b[i] != 'u' {
			continue // another escape (or a syntax error the decoder reports)
		}
		r, ok := hex4(b[i+1:])
		if !ok {
			continue
		}
		i += 4
		switch {
		case r == 0:
			return &DecodeError{`The request body holds a NUL character (\u0000), which is not accepted.`}
		case r >= 0xDC00 && r <= 0xDFFF:
			return &DecodeError{"The request body holds a \\u escape of half a character (an unpaired surrogate)."}
		case r >= 0xD800 && r <= 0xDBFF:
			if i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				if lo, ok := hex4(b[i+3:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return &DecodeError{"The request body holds a \\u escape of half a character (an unpaired surrogate)."}
		}
	}
	return nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// checkKeys walks the tokens of b and refuses an object with a repeated
// key, or nesting deeper than MaxJSONDepth.
func checkKeys(b []byte) error {
	type level struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*level
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error for the decoder to report
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			key, ok := tok.(string)
			if !ok {
				// '}' closes the object below.
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].wantKey = true
				}
				continue
			}
			if top.keys[key] {
				return &DecodeError{fmt.Sprintf("The request body has the field %q twice in one object.", clip(key))}
			}
			top.keys[key] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= MaxJSONDepth {
				return &DecodeError{fmt.Sprintf("The request body is nested more than %d levels deep.", MaxJSONDepth)}
			}
			stack = append(stack, &level{object: tok == json.Delim('{'), keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value (or the end of an array) completes the member of the
		// object around it.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// msgBadText is the message for a text answer that holds a NUL character
// or bytes that are not UTF-8 text.
const msgBadText = "This answer holds characters that cannot be stored, such as a NUL character or bytes that are not text. Please type it again."

// badText returns the paths (as the JSON API and the form name them) of
// every string in v that is not valid UTF-8 or holds a NUL character, in
// field order.
func badText(v reflect.Value, path string) []string {
	var out []string
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			out = append(out, path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" || !t.Field(i).IsExported() {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			out = append(out, badText(v.Field(i), p)...)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			p := path
			if v.Type().Elem().Kind() == reflect.Struct {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			for _, b := range badText(v.Index(i), p) {
				if len(out) == 0 || out[len(out)-1] != b {
					out = append(out, b)
				}
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			out = append(out, badText(v.Elem(), path)...)
		}
	}
	return out
}

// textError returns a *ValidationError naming every field of v whose text
// cannot be stored, or nil.
func textError(v any) *ValidationError {
	paths := badText(reflect.ValueOf(v), "")
	if len(paths) == 0 {
		return nil
	}
	out := &ValidationError{}
	for _, p := range paths {
		out.Fields = append(out.Fields, FieldError{Path: p, Message: msgBadText, Key: msgBadText})
	}
	return out
}

var (
	referenceRE = regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`)
	uuidRE      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ValidReference reports whether s is a case reference as NewReference
// makes them (such as 7KQ4-M2XD): identifiers from clients are checked
// before any query.
func ValidReference(s string) bool { return referenceRE.MatchString(s) }

// ValidUUID reports whether s is a UUID in its 36-character text form.
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }
