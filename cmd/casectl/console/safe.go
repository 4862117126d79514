package console

import (
	"fmt"
	"strings"
	"unicode"
)

// SafeText makes control characters and bidirectional controls in text
// from a report, a note, a file name or the server visible and harmless:
// each becomes a visible ⟨U+XXXX⟩ marker. Newlines and tabs stay. HTML
// escaping is html/template's job; this is about characters that escaping
// leaves alone but that can hide or reorder text.
// TODO(i11c): replace with handlerapi's safe-output function once it lands.
func SafeText(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r == unicode.ReplacementChar:
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}
