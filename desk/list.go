package desk

import (
	"context"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Cases lists a page of the team's cases. Every case's clear fields with
// a fixed format (reference, days, urgency, size) are checked
// (handlerapi.CaseMeta.Check), so a hostile server cannot put escape
// sequences or markup in them; one malformed case fails the page
// (handlerapi.ErrBadResponse). Free-text fields are still shown only
// through handlerapi.Safe.
func (d Desk) Cases(ctx context.Context, q handlerapi.CaseQuery) (handlerapi.CaseList, error) {
	return d.API.Cases(ctx, q)
}

// Listing is what an inbox does with a case the server lists (Screen).
type Listing int

const (
	// Listed: its fields are well-formed; it is listed and opened.
	Listed Listing = iota
	// Malformed: a fixed-format field is malformed (the check Cases
	// makes); it is listed by its reference only and never opened.
	Malformed
	// LeftOut: its reference itself is malformed, so it cannot be named
	// or linked; it is left out and counted.
	LeftOut
)

// Screen checks a case's clear fields as an inbox page lists them, with
// the check Cases makes (handlerapi.CaseMeta.Check), but case by case, so
// that one bad case never stops the inbox.
func Screen(m handlerapi.CaseMeta) Listing {
	switch {
	case m.Check() == nil:
		return Listed
	case envelope.ValidReference(m.Reference):
		return Malformed
	}
	return LeftOut
}
