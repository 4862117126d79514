package intake

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// NormalizeMonthDate rewrites a date as people type it into the form the
// report keeps, YYYY-MM or YYYY-MM-DD: digits of any script (such as
// Arabic-Indic ٢٠٢٦) become ASCII, and "2026/03", "2026.3", "03/2026",
// "3-2026", "2026-03-05" and "05/03/2026" (day first, or month first when
// the day is over 12) are recognised. Anything else is returned trimmed
// but otherwise as it was, for the validator to refuse. It does not check
// that the date exists.
func NormalizeMonthDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return s
	}
	var parts []string
	var cur strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Nd, r):
			cur.WriteByte(byte('0' + digitValue(r)))
		case r == '-' || r == '/' || r == '.' || r == ' ' || r == '\u060d' || r == '\u2010' || r == '\u2011' || r == '\u2012' || r == '\u2013' || r == '\u2212':
			if cur.Len() == 0 {
				return s
			}
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			return s
		}
	}
	if cur.Len() == 0 {
		return s
	}
	parts = append(parts, cur.String())
	n := make([]int, len(parts))
	for i, p := range parts {
		if len(p) > 4 {
			return s
		}
		n[i], _ = strconv.Atoi(p)
	}
	year := func(i int) bool { return len(parts[i]) == 4 }
	small := func(i, max int) bool { return len(parts[i]) <= 2 && n[i] >= 1 && n[i] <= max }
	switch {
	case len(parts) == 2 && year(0) && small(1, 12):
		return fmt.Sprintf("%04d-%02d", n[0], n[1])
	case len(parts) == 2 && small(0, 12) && year(1):
		return fmt.Sprintf("%04d-%02d", n[1], n[0])
	case len(parts) == 3 && year(0) && small(1, 12) && small(2, 31):
		return fmt.Sprintf("%04d-%02d-%02d", n[0], n[1], n[2])
	case len(parts) == 3 && year(2) && small(0, 31) && small(1, 12) && (n[0] > 12 || n[0] == n[1]):
		return fmt.Sprintf("%04d-%02d-%02d", n[2], n[1], n[0]) // day first: 25/03/2026
	case len(parts) == 3 && year(2) && small(0, 12) && small(1, 31) && n[1] > 12:
		return fmt.Sprintf("%04d-%02d-%02d", n[2], n[0], n[1]) // month first: 03/25/2026
	}
	return s
}

// digitValue is the value of a decimal digit of any script. Unicode
// encodes each script's digits 0 to 9 in a contiguous run starting with
// zero (runs may follow one another), so the distance to the start of
// the run, modulo 10, is the value.
func digitValue(r rune) int {
	k := 0
	for k < 100 && unicode.Is(unicode.Nd, r-rune(k+1)) {
		k++
	}
	return k % 10
}
