package handlerapi

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ohchr-reprisals/intake/intake"
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
	case !intake.ValidReference(m.Reference):
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
