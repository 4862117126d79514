package casework

import (
	"strings"
	"testing"
)

// TestErrorsListChoicesInWords: a refused status change names the choices
// as a person writes them, never as a Go slice.
func TestErrorsListChoicesInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ from, to, detail, want string }{
		{"received", "published", "", `from "received" it can go to "acknowledged", `},
		{"received", "nonsense", "", `"received", "acknowledged", `},
		{"under_assessment", "closed", "", `"resolved", "consent_withdrawn", `},
	} {
		_, err := checkStatusChange(tc.from, tc.to, tc.detail)
		if err == nil || strings.ContainsAny(err.Error(), "[]") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: %v, want words with %q", tc.from, tc.to, err, tc.want)
		}
	}
	if got := inWords([]string{"U1", "U2", "U3"}); got != `"U1", "U2" or "U3"` {
		t.Errorf("inWords = %s", got)
	}
}
