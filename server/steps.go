package server

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
)

// formStep is one step of the report form. Prefixes are the form names of
// the answers it asks for; every other answer travels through it in hidden
// fields, so nothing is kept on the server between steps.
type formStep struct {
	ID       string
	Title    string
	Prefixes []string
}

// reportSteps are the steps of the report form, in order. The last one
// shows every answer for review, takes files and sends the report.
var reportSteps = []formStep{
	{"you", "About you", []string{"submitter."}},
	{"victims", "Who was harmed", []string{"victims"}},
	{"incidents", "What happened", []string{"state_concerned", "incidents"}},
	{"un", "Link to the UN", []string{"cooperation.", "steps_taken."}},
	{"consent", "Risk and consent", []string{"risk.", "consent.", "intermediary."}},
	{"send", "Files, check and send", nil},
}

// reviewStep is the index of the last step.
var reviewStep = len(reportSteps) - 1

// stepOf returns the step that asks for the answer named path; anything
// not claimed by a step (such as the report's language) is on the last.
func stepOf(path string) int {
	for i, st := range reportSteps {
		for _, p := range st.Prefixes {
			if strings.HasPrefix(path, p) {
				return i
			}
		}
	}
	return reviewStep
}

// consentStep is the index of the step that asks for consent.
const consentStep = 4

// contactHere reports whether the consent step asks for the contact
// method too: after "May OHCHR contact you?" was answered "Yes", the
// method (first asked under "About you") is a question of that step,
// checked there, so a "Yes" without a way to reach the reporter is caught
// on the step that raised it, not at Send.
func contactHere(r *intake.Report) bool { return r.Consent.ContactPermission == "yes" }

// answerStep is the step that checks the answer named path for r: the one
// that asks it (stepOf), except the contact method once contact is
// allowed, which the consent step checks.
func answerStep(r *intake.Report, path string) int {
	if path == "submitter.contact_method" && contactHere(r) {
		return consentStep
	}
	return stepOf(path)
}

// stepIndex reads a step index from the form, clamped to the steps.
func stepIndex(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return min(n, reviewStep)
}

// stepErrors keeps the field errors of one step, or of all steps when
// step is negative.
func stepErrors(r *intake.Report, ve *intake.ValidationError, step int) *intake.ValidationError {
	if ve == nil {
		return nil
	}
	out := &intake.ValidationError{}
	for _, f := range ve.Fields {
		if step < 0 || answerStep(r, f.Path) == step {
			out.Fields = append(out.Fields, f)
		}
	}
	if len(out.Fields) == 0 {
		return nil
	}
	return out
}

// firstErrorStep is the earliest step with an error.
func firstErrorStep(r *intake.Report, ve *intake.ValidationError) int {
	first := reviewStep
	for _, f := range ve.Fields {
		first = min(first, answerStep(r, f.Path))
	}
	return first
}

// followUps lists the questions that apply only after some answers (the
// place of detention of someone detained, "which other body" after
// "other"...), as form names. Pages show them when they apply or already
// hold an answer; without JavaScript, Next shows them on the same step
// before moving on.
func followUps(r *intake.Report) []string {
	var out []string
	if r.Cooperation.Body == "other" {
		out = append(out, "cooperation.body_other")
	}
	if r.StepsTaken.UNDocument == "yes" {
		out = append(out, "steps_taken.un_document_symbol")
	}
	if r.Consent.GivenBy == "other" {
		out = append(out, "consent.given_by_other")
	}
	if r.Consent.GivenBy != "" && r.Consent.GivenBy != "victim" {
		out = append(out, "consent.how", "consent.when")
	}
	for i, v := range r.Victims {
		n := "victims[" + strconv.Itoa(i) + "]."
		if v.Status == "detained" {
			out = append(out, n+"place_of_detention")
		}
		if slices.Contains(v.Roles, "other") {
			out = append(out, n+"role_other")
		}
	}
	for i, in := range r.Incidents {
		if slices.Contains(in.Types, "other") {
			out = append(out, "incidents["+strconv.Itoa(i)+"].type_other")
		}
	}
	return out
}

// unseenFollowUps reports whether a question that now applies on step was
// not on the page that was sent (its name is absent from the form).
func unseenFollowUps(r *intake.Report, form url.Values, step int) bool {
	for _, p := range followUps(r) {
		if stepOf(p) == step && !form.Has(p) {
			return true
		}
	}
	return false
}

// hiddenField is an answer carried through a step it does not belong to.
type hiddenField struct{ Name, Value string }

// carried returns the answers of every step but the one shown, as hidden
// fields in a stable order. On the review step every answer is carried
// except the report's language, which that step asks for.
func carried(r *intake.Report, rec *envelope.IntermediaryRecord, step int) []hiddenField {
	v := intake.EncodeForm(r)
	if rec != nil {
		for name, val := range map[string]string{
			"intermediary.consent_from": rec.ConsentFrom, "intermediary.consent_on": rec.ConsentOn,
			"intermediary.consent_how": rec.ConsentHow, "intermediary.relationship": rec.Relationship,
		} {
			if val != "" {
				v.Set(name, val)
			}
		}
	}
	var out []hiddenField
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if stepOf(name) == step || answerStep(r, name) == step {
			continue
		}
		for _, val := range v[name] {
			out = append(out, hiddenField{name, val})
		}
	}
	return out
}

// stepView is one entry of the step indicator.
type stepView struct {
	Index         int
	Title         string
	Current, Done bool
	Change        string // the label of the review's "Change" button
}
