package handlerapi

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Safe returns s ready to print on a terminal or a page as one line:
// every control character (C0 including newline and tab, DEL, C1), every
// escape sequence's introducer (so ESC, CSI and OSC sequences are inert),
// bidirectional controls, line and paragraph separators, and invalid
// UTF-8 are replaced by a visible escape such as \x1b or \u202e. Every
// string that came from a report, a note, a reply, a follow-up, a file
// name or the server goes through Safe or SafeText before it is shown.
func Safe(s string) string { return safe(s, false) }

// SafeText is Safe for multi-line text: newlines and tabs are kept, and
// everything else Safe escapes is escaped.
func SafeText(s string) string { return safe(s, true) }

func safe(s string, multiline bool) string {
	if !needsEscape(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string, multiline bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (unsafeRune(r) && !(multiline && (r == '\n' || r == '\t'))) {
			return true
		}
		i += size
	}
	return false
}

// Unsafe reports whether r is one of the runes Safe escapes: C0 controls
// (newline and tab included), DEL, C1, bidirectional controls, line and
// paragraph separators, BOM and interlinear annotations. Exports that
// keep newlines and tabs use it to escape the rest.
func Unsafe(r rune) bool { return unsafeRune(r) }

// unsafeRune reports whether r can change how a terminal or text layout
// shows what follows it.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f: // C0 (ESC, CR, BS, BEL...) and DEL
		return true
	case r >= 0x80 && r <= 0x9f: // C1, including the 8-bit CSI and OSC
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // Arabic letter mark, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0xfeff, r == 0xfff9, r == 0xfffa, r == 0xfffb: // BOM, interlinear annotation
		return true
	}
	return false
}

// SafeWriter passes everything written through SafeText before it reaches
// w: a terminal or a text file a handler will open. Newlines and tabs
// stay; a UTF-8 sequence split across writes is kept whole.
type SafeWriter struct {
	w    io.Writer
	tail []byte // an incomplete UTF-8 sequence from the last write
}

// NewSafeWriter returns a SafeWriter writing to w.
func NewSafeWriter(w io.Writer) *SafeWriter { return &SafeWriter{w: w} }

func (s *SafeWriter) Write(p []byte) (int, error) {
	b := append(s.tail, p...)
	s.tail = nil
	// Keep back the start of a rune that the next write may complete.
	if i := lastRuneStart(b); i >= 0 && !utf8.FullRune(b[i:]) && len(b)-i < utf8.UTFMax {
		s.tail = append([]byte(nil), b[i:]...)
		b = b[:i]
	}
	if _, err := io.WriteString(s.w, SafeText(string(b))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes an incomplete sequence left at the end, escaped.
func (s *SafeWriter) Flush() error {
	if len(s.tail) == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, SafeText(string(s.tail)))
	s.tail = nil
	return err
}

func lastRuneStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return -1
}

// SafeJSON escapes, inside marshalled JSON, every rune Safe would (C1,
// DEL, bidi controls and the like, which encoding/json leaves raw) as a
// \uXXXX escape, so the JSON stays valid and prints harmlessly. b must be
// the output of json.Marshal (control characters below 0x20 only as
// whitespace between values).
func SafeJSON(b []byte) []byte {
	s := string(b)
	if !needsEscape(s, true) {
		return b
	}
	var out strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || (unsafeRune(r) && r != '\n' && r != '\t' && r != '\r' && r != ' ') {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return []byte(out.String())
}
