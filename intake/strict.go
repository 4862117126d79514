package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"unicode"
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
// a *http.MaxBytesError from it is returned as it is, and any other error
// reading it (a body cut off before its declared end, a connection that
// closed) is a *DecodeError: the client's, never the server's.
func DecodeStrict(r io.Reader, v any) error {
	b, err := io.ReadAll(r)
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return err
		}
		return &DecodeError{MsgCutOff}
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

// checkKeys refuses an object with a repeated key, or nesting deeper than
// MaxJSONDepth. Keys are compared as encoding/json matches them to struct
// fields, ignoring case (foldKey): {"body":1,"BODY":2} fills one field
// twice, so it is refused like {"body":1,"body":2}. It scans the text once (encoding/json's token API costs
// several times the decode itself); text that is not valid JSON is left
// for the decoder to describe.
func checkKeys(b []byte) error {
	if !json.Valid(b) {
		return nil
	}
	var stack []map[string]bool // nil for an array
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			if len(stack) >= MaxJSONDepth {
				return &DecodeError{fmt.Sprintf("The request body is nested more than %d levels deep.", MaxJSONDepth)}
			}
			var keys map[string]bool
			if b[i] == '{' {
				keys = map[string]bool{}
			}
			stack = append(stack, keys)
		case '}', ']':
			stack = stack[:len(stack)-1]
		case '"':
			end, escaped := stringEnd(b, i)
			// In valid JSON a string followed by ':' is a key of the
			// innermost object.
			k := end + 1
			for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
				k++
			}
			if k < len(b) && b[k] == ':' {
				key := string(b[i+1 : end])
				if escaped {
					json.Unmarshal(b[i:end+1], &key)
				}
				keys := stack[len(stack)-1]
				folded := foldKey(key)
				if keys[folded] {
					return &DecodeError{fmt.Sprintf("The request body has the field %q twice in one object (field names are compared without regard to case).", clip(key))}
				}
				keys[folded] = true
			}
			i = end
		}
	}
	return nil
}

// foldKey folds a key the way encoding/json does when it matches a key to
// a struct field (its foldName: each rune becomes the smallest rune of its
// unicode.SimpleFold orbit), so two keys fold to the same string exactly
// when strings.EqualFold holds: "Cooperation", "COOPERATION" and a key spelt
// with the Kelvin sign for "k" all land in one field. ASCII results are
// kept in lower case (any one representative per class will do), so the
// usual key, in lower-case ASCII, is returned as it is, without copying.
func foldKey(k string) string {
	i := 0
	for i < len(k) && k[i] < utf8.RuneSelf && (k[i] < 'A' || k[i] > 'Z') {
		i++
	}
	if i == len(k) {
		return k
	}
	var b strings.Builder
	b.Grow(len(k))
	b.WriteString(k[:i])
	for _, r := range k[i:] {
		f := r
		for s := unicode.SimpleFold(r); s != r; s = unicode.SimpleFold(s) {
			f = min(f, s)
		}
		if f < utf8.RuneSelf {
			f = unicode.ToLower(f)
		}
		b.WriteRune(f)
	}
	return b.String()
}

// stringEnd returns the index of the quote that ends the JSON string
// starting at b[start], and whether the string has escapes.
func stringEnd(b []byte, start int) (int, bool) {
	escaped := false
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i, escaped
		}
	}
	return len(b) - 1, escaped
}

// MsgCutOff is the message for a request body that ended before its
// declared length (the connection closed or was cut mid-way).
const MsgCutOff = "The request body was cut off before its end, so nothing of it was used. Please send it again."

// MsgBadText is the message (translated in web/messages) for a text answer that holds a NUL character
// or bytes that are not UTF-8 text.
const MsgBadText = "This answer holds characters that cannot be stored, such as a NUL character or bytes that are not text. Please type it again."

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
		out.Fields = append(out.Fields, FieldError{Path: p, Message: MsgBadText, Key: MsgBadText})
	}
	return out
}

var (
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ValidUUID reports whether s is a UUID in its 36-character text form.
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }
