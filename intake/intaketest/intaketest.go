// Package intaketest provides fixtures for tests: a valid report and a
// configuration with freshly generated team identities.
package intaketest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
)

// Report returns a valid report. body is the UN cooperation body ("upr"
// routes to both teams).
func Report(body string) *intake.Report {
	return &intake.Report{
		Language:       "en",
		StateConcerned: "UA",
		Submitter:      intake.Submitter{Name: "Amina", Relationship: "self", ContactMethod: "Signal +00 000", ContactTimes: "evenings"},
		Victims: []intake.Victim{{
			Name: "Amina", Kind: "individual", Gender: "woman", Age: "34", Nationality: "Examplestan",
			Location: "Capital City", Roles: []string{"defender", "journalist"}, Status: "detained",
			PlaceOfDetention: "Central prison",
		}},
		Cooperation: intake.Cooperation{Body: body, Form: "Submitted a stakeholder report", SessionRef: "UPR 48", Dates: "2026-01", Nature: "actual", Evidence: "Interrogated about the report"},
		Incidents: []intake.Incident{{
			Date: "2026-03", Place: "Capital City", Narrative: "Arrested at home two weeks after the review.",
			PerpetratorKind: "state", Perpetrator: "State security service", PerpetratorBasis: "Uniformed officers",
			Types: []string{"arrest_detention", "threats_harassment"},
		}},
		StepsTaken: intake.StepsTaken{DomesticRemedies: "Habeas corpus filed", OtherMechanisms: "None", UNDocument: "yes", UNDocumentSymbol: "A/HRC/57/30"},
		Risk:       intake.Risk{ImmediateDanger: "no", StateContactRisk: "unsure", ImminentDates: "Trial in May", Details: "Family threatened"},
		Consent: intake.Consent{
			GivenBy: "victim", How: "In person", When: "2026-04-01", RisksUnderstood: true, ShareWithOHCHR: true,
			RaiseWithState: "yes", Publication: "anonymous", ShareUNMechanisms: "yes", ShareThirdParties: "no", ContactPermission: "yes",
		},
	}
}

// Teams holds a validated configuration with the two default teams, each
// with a fresh identity, and those identities.
type Teams struct {
	Config    config.Config
	UPR       *age.X25519Identity // upr-secretariat
	Reprisals *age.X25519Identity // reprisals-team
}

// NewTeams generates identities for the default teams and a receipt key.
func NewTeams(t testing.TB) Teams {
	t.Helper()
	upr, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Teams[0].Recipients = []string{upr.Recipient().String()}
	cfg.Teams[1].Recipients = []string{rep.Recipient().String()}
	cfg.Receipts.Key = config.Secret(crypto.NewReceiptKey())
	cfg.Database.URL = "postgres://unused"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return Teams{Config: cfg, UPR: upr, Reprisals: rep}
}

// PlantCanary writes canary into every free-text field of r (every string
// that is not a multiple choice, a State or a date), followed by the field's path,
// and returns how many fields it wrote.
func PlantCanary(r *intake.Report, canary string) int {
	return plant(reflect.ValueOf(r).Elem(), canary, "")
}

func plant(v reflect.Value, canary, prefix string) int {
	n := 0
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		tag := f.Tag.Get("validate")
		switch fv.Kind() {
		case reflect.Struct:
			n += plant(fv, canary, prefix+name+".")
		case reflect.Slice:
			if fv.Type().Elem().Kind() == reflect.Struct {
				for j := 0; j < fv.Len(); j++ {
					n += plant(fv.Index(j), canary, fmt.Sprintf("%s%s[%d].", prefix, name, j))
				}
			}
		case reflect.String:
			if !strings.Contains(tag, "choice=") && !strings.Contains(tag, "monthdate") && !strings.Contains(tag, "country") {
				fv.SetString(canary + " " + prefix + name)
				n++
			}
		}
	}
	return n
}

// CheckChoiceLabels fails t for every value a report may hold
// (intake.Choices) that labels, a page's words for choice values, has no
// label for: a value added to the report is then never shown raw.
func CheckChoiceLabels(t testing.TB, labels map[string]map[string]string) {
	t.Helper()
	for choice, values := range intake.Choices {
		for _, v := range values {
			if labels[choice][v] == "" {
				t.Errorf("%s: no label for %q", choice, v)
			}
		}
	}
}
