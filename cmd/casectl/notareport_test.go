package main_test

import (
	"strings"
	"testing"
)

// TestCloseAsNotAReport: casectl closes a case as not a report and names
// the reason in words, in triage's answer and in the case list; a reason
// that is not one is refused with the list, which names not_a_report.
func TestCloseAsNotAReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.addHandler("omar", "reprisals-team")
	junk, real := w.submit("hrc_session"), w.submit("hrc_session")
	contains(t, w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", key), "Logged in as omar")

	contains(t, w.must("omar", "", "triage", junk, "-status", "closed", "-detail", "not_a_report"),
		junk+": Closed (not a report, left out of every figure)")
	w.fails("omar", `"not_a_report"`, "triage", real, "-status", "closed", "-detail", "junk")
	list := w.must("omar", "", "cases", "-status", "closed")
	contains(t, list, junk, "(not a report, left out of every figure)", "(1 cases)")
	if strings.Contains(list, real) || strings.Contains(list, "(not_a_report)") {
		t.Errorf("the list of closed cases:\n%s", list)
	}
}
