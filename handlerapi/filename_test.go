package handlerapi_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

func TestSafeFileName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"photo\u202egpj.exe", "photo_gpj.exe"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\evil.exe`, "evil.exe"},
		{"a\x1b[2Jb.txt", "a_[2Jb.txt"},
		{"..", "attachment"},
		{"", "attachment"},
		{`"q".txt`, "_q_.txt"},
	} {
		if got := handlerapi.SafeFileName(tt.in); got != tt.want {
			t.Errorf("SafeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSafeFileName: whatever name a reporter gives a file, the result is
// a non-empty base name of at most 120 bytes, valid UTF-8, with no
// directory, control, bidirectional or quoting character.
func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"photo.jpg", "../../etc/passwd", `C:\Users\x\evil.exe`, "photo\u202egpj.exe", "a\x00b", "\"q\".txt",
		"", ".", "..", strings.Repeat("é", 200), "\xff\xfe", "name\nwith\nlines.pdf", " spaced .doc "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := handlerapi.SafeFileName(name)
		if got == "" || len(got) > 120 || !utf8.ValidString(got) {
			t.Fatalf("SafeFileName(%q) = %q", name, got)
		}
		if strings.ContainsAny(got, "/\\\":*?<>|") || handlerapi.Safe(got) != got || got == "." || got == ".." {
			t.Fatalf("SafeFileName(%q) = %q keeps a dangerous character", name, got)
		}
	})
}
