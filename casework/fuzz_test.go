package casework

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzCheckCiphertext: the handler API's check of the age files handlers
// send (notes, replies, rekeyed cases) accepts only a bounded binary age
// file, never armour or plaintext. Never a panic.
func FuzzCheckCiphertext(f *testing.F) {
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\nxyz\n--- mac\n"))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"))
	f.Add([]byte("plain text note"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkCiphertext(b)
		ok := len(b) > 0 && len(b) <= MaxCiphertext && bytes.HasPrefix(b, []byte("age-encryption.org/v1\n"))
		if (err == nil) != ok {
			t.Fatalf("checkCiphertext(%q) = %v", b, err)
		}
	})
}

// FuzzParseInboxCursor: an inbox cursor from a client is accepted only in
// the one spelling InboxCursor gives it, and then reads back to itself.
// Never a panic.
func FuzzParseInboxCursor(f *testing.F) {
	for _, s := range []string{"", "2026-12-03.ABCD-EFGH", "2026-13-01.ABCD-EFGH", "2026-12-03.abcd-efgh",
		"2026-12-3.ABCD-EFGH", "2026-12-03ABCD-EFGH", "0001-01-01.ABCD-EFGH", "+2026-12-03.ABCD-EFGH", "2026-02-30.2345-6789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		after, err := ParseInboxCursor(s)
		if err != nil || s == "" {
			return
		}
		if back := InboxCursor(after.Day, after.Reference); back != s {
			t.Fatalf("ParseInboxCursor(%q) reads back as %q", s, back)
		}
	})
}

// FuzzParseNotesCursor: a notes feed cursor from a client is accepted
// only as a positive note id in plain decimal (the one spelling the feed's
// next gives it), and then reads back to itself. Never a panic.
func FuzzParseNotesCursor(f *testing.F) {
	for _, s := range []string{"", "1", "42", "9223372036854775807", "9223372036854775808", "0", "-1", "01", "+5", "1.5", "1e3", " 1", "0x10", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseNotesCursor(s)
		if err != nil || s == "" {
			if s == "" && (err != nil || id != 0) {
				t.Fatalf("ParseNotesCursor(\"\") = %d, %v", id, err)
			}
			return
		}
		if id < 1 || strconv.FormatInt(id, 10) != s {
			t.Fatalf("ParseNotesCursor(%q) = %d", s, id)
		}
	})
}
