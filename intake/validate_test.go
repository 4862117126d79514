package intake_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

var fixedNow = time.Date(2026, 11, 27, 22, 55, 47, 123456789, time.UTC)

func validate(r *intake.Report) map[string]string {
	err := intake.NewValidator(func() time.Time { return fixedNow }).Validate(r)
	if err == nil {
		return nil
	}
	var ve *intake.ValidationError
	if !errors.As(err, &ve) {
		panic(err)
	}
	return ve.Map()
}

func TestValidReportPasses(t *testing.T) {
	for _, body := range []string{"upr", "hrc_session", "special_procedures"} {
		if errs := validate(intaketest.Report(body)); errs != nil {
			t.Errorf("body %s: valid report refused: %v", body, errs)
		}
	}
}

// TestValidationRules checks every rule: each case breaks one thing and
// expects exactly the listed fields to be reported, with a message
// containing the given words.
func TestValidationRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes per rune: limits count runes
	many := func(n int) []string {
		var s []string
		for i := range n {
			s = append(s, string(rune('a'+i%26))+strings.Repeat("x", i))
		}
		return s
	}
	tests := []struct {
		name   string
		mutate func(r *intake.Report)
		want   map[string]string // path -> words the message contains
	}{
		{"language missing", func(r *intake.Report) { r.Language = "" }, map[string]string{"language": "choose"}},
		{"language unknown", func(r *intake.Report) { r.Language = "de" }, map[string]string{"language": "options"}},
		{"State missing", func(r *intake.Report) { r.StateConcerned = "" }, map[string]string{"state_concerned": "choose the State concerned"}},
		{"State not sure", func(r *intake.Report) { r.StateConcerned = "unsure" }, nil},
		{"State padded", func(r *intake.Report) { r.StateConcerned = " KP " }, nil},
		{"State lower case", func(r *intake.Report) { r.StateConcerned = "ua" }, map[string]string{"state_concerned": "from the list"}},
		{"State unknown code", func(r *intake.Report) { r.StateConcerned = "XX" }, map[string]string{"state_concerned": "from the list"}},
		{"State alpha-3", func(r *intake.Report) { r.StateConcerned = "UKR" }, map[string]string{"state_concerned": "from the list"}},
		{"State as a name", func(r *intake.Report) { r.StateConcerned = "Ukraine" }, map[string]string{"state_concerned": "from the list"}},
		{"submitter name at limit", func(r *intake.Report) { r.Submitter.Name = long(200) }, nil},
		{"submitter name too long", func(r *intake.Report) { r.Submitter.Name = long(201) }, map[string]string{"submitter.name": "at most 200 characters"}},
		{"organisation too long", func(r *intake.Report) { r.Submitter.Organisation = long(201) }, map[string]string{"submitter.organisation": "200"}},
		{"relationship missing", func(r *intake.Report) { r.Submitter.Relationship = "" }, map[string]string{"submitter.relationship": "choose"}},
		{"relationship unknown", func(r *intake.Report) { r.Submitter.Relationship = "boss" }, map[string]string{"submitter.relationship": "options"}},
		{"contact method too long", func(r *intake.Report) { r.Submitter.ContactMethod = long(2001) }, map[string]string{"submitter.contact_method": "2000"}},
		{"contact times too long", func(r *intake.Report) { r.Submitter.ContactTimes = long(201) }, map[string]string{"submitter.contact_times": "200"}},
		{"contact allowed but no method", func(r *intake.Report) { r.Submitter.ContactMethod = "  " }, map[string]string{"submitter.contact_method": "safe way to reach you"}},
		{"no contact, no method is fine", func(r *intake.Report) { r.Submitter.ContactMethod = ""; r.Consent.ContactPermission = "no" }, nil},
		{"no victims", func(r *intake.Report) { r.Victims = nil }, map[string]string{"victims": "at least one person"}},
		{"too many victims", func(r *intake.Report) {
			for len(r.Victims) <= intake.MaxVictims {
				r.Victims = append(r.Victims, r.Victims[0])
			}
		}, map[string]string{"victims": "at most 20"}},
		{"victim name missing", func(r *intake.Report) { r.Victims[0].Name = "" }, map[string]string{"victims[0].name": "name or a pseudonym"}},
		{"victim name only spaces", func(r *intake.Report) { r.Victims[0].Name = " \t\n " }, map[string]string{"victims[0].name": "pseudonym"}},
		{"victim name too long", func(r *intake.Report) { r.Victims[0].Name = long(201) }, map[string]string{"victims[0].name": "200"}},
		{"victim kind missing", func(r *intake.Report) { r.Victims[0].Kind = "" }, map[string]string{"victims[0].kind": "choose"}},
		{"victim kind unknown", func(r *intake.Report) { r.Victims[0].Kind = "robot" }, map[string]string{"victims[0].kind": "options"}},
		{"victim gender too long", func(r *intake.Report) { r.Victims[0].Gender = long(201) }, map[string]string{"victims[0].gender": "200"}},
		{"victim age too long", func(r *intake.Report) { r.Victims[0].Age = long(201) }, map[string]string{"victims[0].age": "200"}},
		{"victim nationality too long", func(r *intake.Report) { r.Victims[0].Nationality = long(201) }, map[string]string{"victims[0].nationality": "200"}},
		{"victim location too long", func(r *intake.Report) { r.Victims[0].Location = long(201) }, map[string]string{"victims[0].location": "200"}},
		{"victim role unknown", func(r *intake.Report) { r.Victims[0].Roles = []string{"defender", "spy"} }, map[string]string{"victims[0].roles[1]": "options"}},
		{"victim role repeated", func(r *intake.Report) { r.Victims[0].Roles = []string{"defender", "defender"} }, map[string]string{"victims[0].roles": "only once"}},
		{"victim roles too many", func(r *intake.Report) { r.Victims[0].Roles = many(12) }, map[string]string{"victims[0].roles": "at most 11"}},
		{"victim role other too long", func(r *intake.Report) { r.Victims[0].RoleOther = long(201) }, map[string]string{"victims[0].role_other": "200"}},
		{"victim status missing", func(r *intake.Report) { r.Victims[0].Status = "" }, map[string]string{"victims[0].status": "choose"}},
		{"victim place of detention too long", func(r *intake.Report) { r.Victims[0].PlaceOfDetention = long(201) }, map[string]string{"victims[0].place_of_detention": "200"}},
		{"second victim checked too", func(r *intake.Report) { r.Victims = append(r.Victims, intake.Victim{Name: "B"}) }, map[string]string{"victims[1].kind": "choose", "victims[1].status": "choose"}},
		{"UN body missing", func(r *intake.Report) { r.Cooperation.Body = "" }, map[string]string{"cooperation.body": "choose"}},
		{"UN body unknown", func(r *intake.Report) { r.Cooperation.Body = "unicef" }, map[string]string{"cooperation.body": "options"}},
		{"UN body other needs a name", func(r *intake.Report) { r.Cooperation.Body = "other" }, map[string]string{"cooperation.body_other": "name the UN body"}},
		{"UN body other named", func(r *intake.Report) { r.Cooperation.Body = "other"; r.Cooperation.BodyOther = "UNESCO" }, nil},
		{"cooperation form missing", func(r *intake.Report) { r.Cooperation.Form = "" }, map[string]string{"cooperation.form": "how the person or group cooperated"}},
		{"cooperation form too long", func(r *intake.Report) { r.Cooperation.Form = long(2001) }, map[string]string{"cooperation.form": "2000"}},
		{"session ref too long", func(r *intake.Report) { r.Cooperation.SessionRef = long(201) }, map[string]string{"cooperation.session_ref": "200"}},
		{"cooperation dates too long", func(r *intake.Report) { r.Cooperation.Dates = long(201) }, map[string]string{"cooperation.dates": "200"}},
		{"cooperation nature missing", func(r *intake.Report) { r.Cooperation.Nature = "" }, map[string]string{"cooperation.nature": "choose"}},
		{"evidence at limit", func(r *intake.Report) { r.Cooperation.Evidence = long(10000) }, nil},
		{"evidence too long", func(r *intake.Report) { r.Cooperation.Evidence = long(10001) }, map[string]string{"cooperation.evidence": "10000"}},
		{"no incidents", func(r *intake.Report) { r.Incidents = []intake.Incident{} }, map[string]string{"incidents": "at least one incident"}},
		{"too many incidents", func(r *intake.Report) {
			for len(r.Incidents) <= intake.MaxIncidents {
				r.Incidents = append(r.Incidents, r.Incidents[0])
			}
		}, map[string]string{"incidents": "at most 10"}},
		{"incident date missing", func(r *intake.Report) { r.Incidents[0].Date = "" }, map[string]string{"incidents[0].date": "fill in"}},
		{"incident date year only", func(r *intake.Report) { r.Incidents[0].Date = "2026" }, map[string]string{"incidents[0].date": "month and year"}},
		{"incident date bad month", func(r *intake.Report) { r.Incidents[0].Date = "2026-13" }, map[string]string{"incidents[0].date": "YYYY-MM"}},
		{"incident date bad day", func(r *intake.Report) { r.Incidents[0].Date = "2026-02-30" }, map[string]string{"incidents[0].date": "YYYY-MM"}},
		{"incident date before the UN", func(r *intake.Report) { r.Incidents[0].Date = "1900-01" }, map[string]string{"incidents[0].date": "YYYY-MM"}},
		{"incident date in the future", func(r *intake.Report) { r.Incidents[0].Date = "2027-01" }, map[string]string{"incidents[0].date": "not in the future"}},
		{"incident date today", func(r *intake.Report) { r.Incidents[0].Date = "2026-11-27" }, nil},
		{"incident date other format", func(r *intake.Report) { r.Incidents[0].Date = "March 2026" }, map[string]string{"incidents[0].date": "YYYY-MM"}},
		{"incident date ambiguous day and month", func(r *intake.Report) { r.Incidents[0].Date = "05/03/2026" }, map[string]string{"incidents[0].date": "YYYY-MM"}},
		{"incident place too long", func(r *intake.Report) { r.Incidents[0].Place = long(201) }, map[string]string{"incidents[0].place": "200"}},
		{"narrative missing", func(r *intake.Report) { r.Incidents[0].Narrative = "" }, map[string]string{"incidents[0].narrative": "what happened"}},
		{"narrative too long", func(r *intake.Report) { r.Incidents[0].Narrative = long(10001) }, map[string]string{"incidents[0].narrative": "10000"}},
		{"perpetrator kind missing", func(r *intake.Report) { r.Incidents[0].PerpetratorKind = "" }, map[string]string{"incidents[0].perpetrator_kind": "choose"}},
		{"perpetrator too long", func(r *intake.Report) { r.Incidents[0].Perpetrator = long(201) }, map[string]string{"incidents[0].perpetrator": "200"}},
		{"perpetrator basis too long", func(r *intake.Report) { r.Incidents[0].PerpetratorBasis = long(2001) }, map[string]string{"incidents[0].perpetrator_basis": "2000"}},
		{"no incident types", func(r *intake.Report) { r.Incidents[0].Types = nil }, map[string]string{"incidents[0].types": "at least one kind"}},
		{"empty incident types", func(r *intake.Report) { r.Incidents[0].Types = []string{} }, map[string]string{"incidents[0].types": "at least one kind"}},
		{"incident type unknown", func(r *intake.Report) { r.Incidents[0].Types = []string{"rudeness"} }, map[string]string{"incidents[0].types[0]": "options"}},
		{"incident type repeated", func(r *intake.Report) { r.Incidents[0].Types = []string{"killing", "killing"} }, map[string]string{"incidents[0].types": "only once"}},
		{"incident types too many", func(r *intake.Report) { r.Incidents[0].Types = many(14) }, map[string]string{"incidents[0].types": "at most 13"}},
		{"incident type other too long", func(r *intake.Report) { r.Incidents[0].TypeOther = long(201) }, map[string]string{"incidents[0].type_other": "200"}},
		{"domestic remedies too long", func(r *intake.Report) { r.StepsTaken.DomesticRemedies = long(2001) }, map[string]string{"steps_taken.domestic_remedies": "2000"}},
		{"other mechanisms too long", func(r *intake.Report) { r.StepsTaken.OtherMechanisms = long(2001) }, map[string]string{"steps_taken.other_mechanisms": "2000"}},
		{"UN document unanswered", func(r *intake.Report) { r.StepsTaken.UNDocument, r.StepsTaken.UNDocumentSymbol = "", "" }, nil},
		{"UN document not known", func(r *intake.Report) { r.StepsTaken.UNDocument, r.StepsTaken.UNDocumentSymbol = "unsure", "" }, nil},
		{"UN document yes, symbol not known", func(r *intake.Report) { r.StepsTaken.UNDocumentSymbol = "" }, nil},
		{"UN document answer unknown", func(r *intake.Report) { r.StepsTaken.UNDocument = "perhaps" }, map[string]string{"steps_taken.un_document": "options", "steps_taken.un_document_symbol": "only if you answered"}},
		{"UN document symbol at limit", func(r *intake.Report) { r.StepsTaken.UNDocumentSymbol = long(200) }, nil},
		{"UN document symbol too long", func(r *intake.Report) { r.StepsTaken.UNDocumentSymbol = long(201) }, map[string]string{"steps_taken.un_document_symbol": "200"}},
		{"UN document symbol with no", func(r *intake.Report) { r.StepsTaken.UNDocument = "no" }, map[string]string{"steps_taken.un_document_symbol": "only if you answered"}},
		{"UN document symbol unanswered", func(r *intake.Report) { r.StepsTaken.UNDocument = "" }, map[string]string{"steps_taken.un_document_symbol": "only if you answered"}},
		{"UN document padded", func(r *intake.Report) { r.StepsTaken.UNDocument = " yes " }, nil},
		{"immediate danger missing", func(r *intake.Report) { r.Risk.ImmediateDanger = "" }, map[string]string{"risk.immediate_danger": "choose"}},
		{"immediate danger unknown", func(r *intake.Report) { r.Risk.ImmediateDanger = "maybe" }, map[string]string{"risk.immediate_danger": "options"}},
		{"imminent dates too long", func(r *intake.Report) { r.Risk.ImminentDates = long(2001) }, map[string]string{"risk.imminent_dates": "2000"}},
		{"state contact risk missing", func(r *intake.Report) { r.Risk.StateContactRisk = "" }, map[string]string{"risk.state_contact_risk": "choose"}},
		{"risk details too long", func(r *intake.Report) { r.Risk.Details = long(2001) }, map[string]string{"risk.details": "2000"}},
		{"consent given by missing", func(r *intake.Report) { r.Consent.GivenBy = "" }, map[string]string{"consent.given_by": "choose"}},
		{"consent given by other needs who", func(r *intake.Report) { r.Consent.GivenBy = "other" }, map[string]string{"consent.given_by_other": "who gave consent"}},
		{"consent how too long", func(r *intake.Report) { r.Consent.How = long(2001) }, map[string]string{"consent.how": "2000"}},
		{"consent when too long", func(r *intake.Report) { r.Consent.When = long(201) }, map[string]string{"consent.when": "200"}},
		{"risks not understood", func(r *intake.Report) { r.Consent.RisksUnderstood = false }, map[string]string{"consent.risks_understood": "explained and understood"}},
		{"no consent to share with OHCHR", func(r *intake.Report) { r.Consent.ShareWithOHCHR = false }, map[string]string{"consent.share_with_ohchr": "shared with OHCHR"}},
		{"raise with state missing", func(r *intake.Report) { r.Consent.RaiseWithState = "" }, map[string]string{"consent.raise_with_state": "choose"}},
		{"raise with state unsure refused", func(r *intake.Report) { r.Consent.RaiseWithState = "unsure" }, map[string]string{"consent.raise_with_state": "options"}},
		{"publication missing", func(r *intake.Report) { r.Consent.Publication = "" }, map[string]string{"consent.publication": "choose"}},
		{"publication unknown", func(r *intake.Report) { r.Consent.Publication = "everywhere" }, map[string]string{"consent.publication": "options"}},
		{"share UN mechanisms missing", func(r *intake.Report) { r.Consent.ShareUNMechanisms = "" }, map[string]string{"consent.share_un_mechanisms": "choose"}},
		{"share third parties missing", func(r *intake.Report) { r.Consent.ShareThirdParties = "" }, map[string]string{"consent.share_third_parties": "choose"}},
		{"contact permission missing", func(r *intake.Report) { r.Consent.ContactPermission = "" }, map[string]string{"consent.contact_permission": "choose"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := intaketest.Report("upr")
			tt.mutate(r)
			got := validate(r)
			if len(got) != len(tt.want) {
				t.Fatalf("errors = %v\nwant fields %v", got, keys(tt.want))
			}
			for path, words := range tt.want {
				msg, ok := got[path]
				if !ok {
					t.Fatalf("no error for %s; got %v", path, got)
				}
				if !strings.Contains(msg, words) {
					t.Errorf("%s: message %q does not contain %q", path, msg, words)
				}
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestValidationTrimsAndKeepsOrder(t *testing.T) {
	r := intaketest.Report("upr")
	r.Submitter.Name = "  Amina \n"
	r.Language = ""
	r.Consent.Publication = ""
	err := intake.NewValidator(nil).Validate(r)
	var ve *intake.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a ValidationError", err)
	}
	if r.Submitter.Name != "Amina" {
		t.Errorf("name not trimmed: %q", r.Submitter.Name)
	}
	var paths []string
	for _, f := range ve.Fields {
		paths = append(paths, f.Path)
	}
	if diff := cmp.Diff([]string{"language", "consent.publication"}, paths); diff != "" {
		t.Errorf("error order (-want +got):\n%s", diff)
	}
}
