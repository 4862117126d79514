package intake

import "github.com/ohchr-reprisals/intake/envelope"

// The report a reporter submits is defined with the sealed formats, in
// package envelope; intake validates it and seals it.
type (
	Report      = envelope.Report
	Submitter   = envelope.Submitter
	Victim      = envelope.Victim
	Cooperation = envelope.Cooperation
	Incident    = envelope.Incident
	StepsTaken  = envelope.StepsTaken
	Risk        = envelope.Risk
	Consent     = envelope.Consent
)

// Limits on the lists of a report (see envelope).
const (
	MaxVictims   = envelope.MaxVictims
	MaxIncidents = envelope.MaxIncidents
)

// Choices lists the allowed values of every multiple-choice field
// (envelope.Choices, the one table).
var Choices = envelope.Choices
