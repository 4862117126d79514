package handlerapi

import (
	"path"
	"strings"
	"unicode/utf8"
)

// SafeFileName reduces a reporter-given file name to a harmless base name
// for writing to disk or offering as a download: no directories, no
// control or bidirectional characters (which can disguise an extension,
// as in "photo\u202egpj.exe"), no quotes or characters Windows refuses,
// at most 120 bytes, never empty, "." or "..".
func SafeFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case Safe(string(r)) != string(r), strings.ContainsRune(`"/\:*?<>|`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), ". ")
	for len(name) > 120 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		name = "attachment"
	}
	return name
}
