package casework

import (
	"errors"
	"slices"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

func TestEveryStatusHasTransitionsAndAName(t *testing.T) {
	for _, s := range Statuses {
		if DefaultStatusNames[s] == "" {
			t.Errorf("%s has no name", s)
		}
		if len(transitions[s]) == 0 {
			t.Errorf("%s is a dead end", s)
		}
		for _, to := range transitions[s] {
			if !slices.Contains(Statuses, to) || to == s {
				t.Errorf("%s -> %s is not a valid transition", s, to)
			}
		}
	}
	if len(transitions) != len(Statuses) || len(DefaultStatusNames) != len(Statuses) {
		t.Error("transitions or names list statuses that do not exist")
	}
}

// TestEveryClosureReasonHasAName: the command line names each reason in
// words (handlerapi.ClosureReasonNames), "not a report" included.
func TestEveryClosureReasonHasAName(t *testing.T) {
	for _, r := range ClosureReasons {
		if handlerapi.ClosureReasonNames[r] == "" {
			t.Errorf("closing reason %s has no name", r)
		}
	}
	if !slices.Contains(ClosureReasons, handlerapi.NotAReport) {
		t.Errorf("%q is not a closing reason", handlerapi.NotAReport)
	}
}

func TestCheckStatusChange(t *testing.T) {
	tests := []struct {
		from, to, detail string
		field            string // "" when allowed
	}{
		{"received", "acknowledged", "", ""},
		{"received", "urgent_escalation", "", ""},
		{"received", "published", "", "status"},
		{"received", "received", "", "status"},
		{"received", "nonsense", "", "status"},
		{"acknowledged", "closed", "", "status_detail"},
		{"acknowledged", "closed", "resolved", ""},
		{"acknowledged", "closed", "bored", "status_detail"},
		{"under_assessment", "duplicate", "7KQ4-M2XD", ""},
		{"under_assessment", "duplicate", "not-a-ref", "status_detail"},
		{"under_assessment", "raised_with_state", "because", "status_detail"},
		{"raised_with_state", "state_response_received", "", ""},
		{"sg_report_candidate", "published", "", ""},
		{"published", "under_assessment", "", "status"},
		{"closed", "follow_up", "", ""},
		{"closed", "received", "", "status"},
		{"on_hold", "closed", "victim_request", ""},
		{"received", "closed", "not_a_report", ""},
		{"under_assessment", "closed", "not_a_report", ""},
		{"duplicate", "closed", "not_a_report", "status"},
		{"received", "closed", "Not_A_Report", "status_detail"},
		{"duplicate", "under_assessment", "", ""},
	}
	for _, tt := range tests {
		_, err := checkStatusChange(tt.from, tt.to, tt.detail)
		var ie *InvalidError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s -> %s (%q): refused: %v", tt.from, tt.to, tt.detail, err)
		case tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field):
			t.Errorf("%s -> %s (%q): err %v, want an error on %s", tt.from, tt.to, tt.detail, err, tt.field)
		}
	}
}
