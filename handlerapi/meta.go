package handlerapi

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ohchr-reprisals/intake/envelope"
)

// urgencyRE is a case's urgency: empty or U1 to U4.
var urgencyRE = regexp.MustCompile(`^(U[1-4])?$`)

// Check verifies the clear metadata fields with fixed formats that the
// server sends for a case (reference, received day, urgency, deadline,
// size), so a hostile server cannot put escape sequences or markup in
// them; free-text fields (status names, assignee, teams) are still shown
// only through Safe. It wraps ErrBadResponse.
func (m CaseMeta) Check() error {
	bad := ""
	switch {
	case !envelope.ValidReference(m.Reference):
		bad = "reference"
	case !isDate(m.ReceivedOn):
		bad = "received_on"
	case !urgencyRE.MatchString(m.Urgency):
		bad = "urgency"
	case m.NextDeadline != "" && !isDate(m.NextDeadline):
		bad = "next_deadline"
	case m.SizeBucket < 0:
		bad = "size_bucket"
	default:
		return nil
	}
	return fmt.Errorf("%w (a case's %s)", ErrBadResponse, bad)
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// Check verifies the clear fields with fixed formats that the server sends
// for a note, reply or follow-up: a known kind and a day. The author and
// team are free text, shown only through Safe. It wraps ErrBadResponse.
func (n Note) Check() error {
	switch {
	case n.Kind != "note" && n.Kind != "reply" && n.Kind != "followup":
		return fmt.Errorf("%w (a note's kind)", ErrBadResponse)
	case !isDate(n.CreatedOn):
		return fmt.Errorf("%w (a note's created_on)", ErrBadResponse)
	}
	return nil
}
