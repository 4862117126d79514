package casework

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Statuses are the workflow statuses, by key, in the order a case usually
// moves through them. Keys are stored; names (DefaultStatusNames, which
// the configuration may override) are shown.
var Statuses = config.Statuses

// DefaultStatusNames are the statuses' display names.
var DefaultStatusNames = map[string]string{
	"received":                "Received",
	"acknowledged":            "Acknowledged",
	"awaiting_consent":        "Awaiting consent",
	"under_assessment":        "Under assessment",
	"urgent_escalation":       "Urgent escalation",
	"raised_with_state":       "Raised with the State",
	"state_response_received": "State response received",
	"sg_report_candidate":     "Candidate for the Secretary-General's report",
	"published":               "Published",
	"follow_up":               "Follow-up",
	"on_hold":                 "On hold (do no harm)",
	"closed":                  "Closed",
	"duplicate":               "Duplicate",
}

// transitions lists, for each status, the statuses a case may move to.
var transitions = map[string][]string{
	"received":                {"acknowledged", "awaiting_consent", "under_assessment", "urgent_escalation", "on_hold", "closed", "duplicate"},
	"acknowledged":            {"awaiting_consent", "under_assessment", "urgent_escalation", "on_hold", "closed", "duplicate"},
	"awaiting_consent":        {"under_assessment", "urgent_escalation", "on_hold", "closed"},
	"under_assessment":        {"awaiting_consent", "urgent_escalation", "raised_with_state", "sg_report_candidate", "follow_up", "on_hold", "closed", "duplicate"},
	"urgent_escalation":       {"under_assessment", "raised_with_state", "follow_up", "on_hold", "closed"},
	"raised_with_state":       {"state_response_received", "sg_report_candidate", "follow_up", "on_hold", "closed"},
	"state_response_received": {"raised_with_state", "sg_report_candidate", "follow_up", "on_hold", "closed"},
	"sg_report_candidate":     {"published", "follow_up", "on_hold", "closed"},
	"published":               {"follow_up", "closed"},
	"follow_up":               {"under_assessment", "urgent_escalation", "raised_with_state", "sg_report_candidate", "on_hold", "closed"},
	"on_hold":                 {"awaiting_consent", "under_assessment", "follow_up", "closed"},
	"closed":                  {"follow_up"},
	"duplicate":               {"under_assessment"},
}

// ClosureReasons are the reasons a case may be closed for. The last,
// handlerapi.NotAReport ("not_a_report"), is for machine-written junk and
// the like: such a case is left out of every figure the handlers compute.
var ClosureReasons = []string{"resolved", "consent_withdrawn", "no_contact", "victim_request", "out_of_scope_referred", handlerapi.NotAReport}

// Urgencies are the urgency classes: U1 imminent risk to life or physical
// integrity, U2 ongoing or imminent deprivation of liberty or movement, U3
// serious but not imminent, U4 pattern, follow-up or information only.
var Urgencies = []string{"U1", "U2", "U3", "U4"}

// Transitions returns the statuses a case in status from may move to.
func Transitions(from string) []string { return slices.Clone(transitions[from]) }

// checkStatusChange validates a status change and its detail: a closure
// reason for "closed", the original's reference for "duplicate", nothing
// for the others. It returns the detail to store.
func checkStatusChange(from, to, detail string) (string, error) {
	if !slices.Contains(Statuses, to) {
		return "", invalidf("status", "%q is not a status; the statuses are %s", to, inWords(Statuses))
	}
	if from == to {
		return "", invalidf("status", "the case is already %q", to)
	}
	if !slices.Contains(transitions[from], to) {
		return "", invalidf("status", "a case cannot go from %q to %q; from %q it can go to %s", from, to, from, inWords(transitions[from]))
	}
	switch to {
	case "closed":
		if !slices.Contains(ClosureReasons, detail) {
			return "", invalidf("status_detail", "closing a case needs a reason: %s", inWords(ClosureReasons))
		}
	case "duplicate":
		if !envelope.ValidReference(detail) {
			return "", invalidf("status_detail", "marking a duplicate needs the reference of the original case")
		}
	default:
		if detail != "" {
			return "", invalidf("status_detail", `only "closed" and "duplicate" take a detail`)
		}
	}
	return detail, nil
}

func checkDeadline(s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return invalidf("next_deadline", "must be a date as YYYY-MM-DD, or empty to clear it")
	}
	return nil
}

// InvalidError is a change that the workflow refuses; it names the field.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// inWords lists choices for a person: "a", "b" or "c".
func inWords(choices []string) string {
	q := make([]string, len(choices))
	for i, c := range choices {
		q[i] = strconv.Quote(c)
	}
	switch len(q) {
	case 0:
		return "nothing"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func invalidf(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}
