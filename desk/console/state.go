package console

import (
	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// reportState returns the report's State concerned: an ISO 3166-1 code,
// country.NotSure, or "" when the report predates the field.
func reportState(r *envelope.Report) string { return r.StateConcerned }

// stateName is a State's UN name in lang, by its code; the answers that
// are not a State get words of their own.
func stateName(b base, code string) string {
	switch code {
	case "":
		return b.T("Not recorded (older report)")
	case country.NotSure:
		return b.T("Not sure")
	}
	if n := country.Name(code, b.Lang); n != "" {
		return n
	}
	return b.T("Invalid value") + " (" + handlerapi.Safe(code) + ")"
}
