package envelope

import "regexp"

var referenceRE = regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`)

// ValidReference reports whether s is a case reference as
// intake.NewReference makes them (such as 7KQ4-M2XD): identifiers from
// clients, and references a server names, are checked before use.
func ValidReference(s string) bool { return referenceRE.MatchString(s) }
