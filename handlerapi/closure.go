package handlerapi

// NotAReport is the closing reason for what is not a report at all:
// machine-written junk, spam, a test. A case closed for it is left out of
// every figure (the annual counts, the CSV, the annex drafts), as a
// duplicate is.
const NotAReport = "not_a_report"

// ClosureReasonNames are the closing reasons' names in English, for the
// command line (the console has its own words, in its languages).
var ClosureReasonNames = map[string]string{
	"resolved":              "resolved",
	"consent_withdrawn":     "consent withdrawn",
	"no_contact":            "no contact",
	"victim_request":        "at the victim's request",
	"out_of_scope_referred": "out of scope, referred",
	NotAReport:              "not a report, left out of every figure",
}

// ClosureName returns a closing reason's name, or the key made safe when
// it is not a reason this client knows (a newer or a hostile server).
func ClosureName(key string) string {
	if n, ok := ClosureReasonNames[key]; ok {
		return n
	}
	return Safe(key)
}
