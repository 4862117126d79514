package handlerapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafe(t *testing.T) {
	for _, tc := range []struct {
		name, in, line, text string
	}{
		{"plain", "Détention à Genève", "Détention à Genève", "Détention à Genève"},
		{"arabic and chinese kept", "اعتقال 拘留", "اعتقال 拘留", "اعتقال 拘留"},
		{"zero-width joiners kept", "می\u200cخواهم", "می\u200cخواهم", "می\u200cخواهم"},
		{"newline and tab", "a\nb\tc", `a\x0ab\x09c`, "a\nb\tc"},
		{"carriage return", "ok\rFAKE", `ok\x0dFAKE`, `ok\x0dFAKE`},
		{"NUL, BEL, backspace", "a\x00b\x07c\x08", `a\x00b\x07c\x08`, `a\x00b\x07c\x08`},
		{"DEL", "a\x7fb", `a\x7fb`, `a\x7fb`},
		{"CSI clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`, `\x1b[2J\x1b[H`},
		{"SGR hidden text", "\x1b[8msecret\x1b[0m", `\x1b[8msecret\x1b[0m`, `\x1b[8msecret\x1b[0m`},
		{"OSC window title, BEL", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`, `\x1b]0;pwned\x07`},
		{"OSC 8 hyperlink, ST", "\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", `\x1b]8;;http://evil\x1b\x\x1b]8;;\x1b\`, `\x1b]8;;http://evil\x1b\x\x1b]8;;\x1b\`},
		{"C1 CSI and OSC", "\u009b2J\u009d0;t\u009c", `\u009b2J\u009d0;t\u009c`, `\u009b2J\u009d0;t\u009c`},
		{"C1 NEL", "a\u0085b", `a\u0085b`, `a\u0085b`},
		{"right-to-left override", "file\u202etxt.exe", `file\u202etxt.exe`, `file\u202etxt.exe`},
		{"isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`, `\u2066a\u2067b\u2068c\u2069`},
		{"embeddings and marks", "\u202a\u202b\u202c\u202d\u200e\u200f\u061c", `\u202a\u202b\u202c\u202d\u200e\u200f\u061c`, `\u202a\u202b\u202c\u202d\u200e\u200f\u061c`},
		{"line separator", "a\u2028b\u2029c", `a\u2028b\u2029c`, `a\u2028b\u2029c`},
		{"BOM", "\ufeffa", `\ufeffa`, `\ufeffa`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`, `a\xffb\xc3`},
		{"8-bit CSI byte", "a\x9bb", `a\x9bb`, `a\x9bb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Safe(tc.in); got != tc.line {
				t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.line)
			}
			if got := SafeText(tc.in); got != tc.text {
				t.Errorf("SafeText(%q) = %q, want %q", tc.in, got, tc.text)
			}
		})
	}
}

// FuzzSafe checks that nothing Safe or SafeText returns can steer a
// terminal: valid UTF-8 without a single unsafe rune (newline and tab
// only in SafeText).
func FuzzSafe(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\x1b]0;t\x07", "\u202e", "\xff\xfe", "a\nb\tc\r", "\u009b31m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			out := safe(s, multiline)
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, r := range out {
				if unsafeRune(r) && !(multiline && (r == '\n' || r == '\t')) {
					t.Fatalf("unsafe rune %U left in %q (from %q)", r, out, s)
				}
			}
			if !needsEscape(s, multiline) && out != s {
				t.Fatalf("safe text changed: %q -> %q", s, out)
			}
			if strings.ContainsRune(out, 0x1b) {
				t.Fatalf("ESC left in %q", out)
			}
		}
	})
}
