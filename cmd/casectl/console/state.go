package console

import (
	"github.com/ohchr-reprisals/intake/casework/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
)

// reportState returns the report's State concerned (an ISO 3166-1 code,
// or "" when the report predates the field).
func reportState(r *intake.Report) string { return "" }

// stateName is a State's name in lang, by its code.
func stateName(lang, code string) string { return handlerapi.SafeText(code) }
