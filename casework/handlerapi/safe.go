package handlerapi

import (
	"fmt"
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
