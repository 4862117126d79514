package console

// choiceLabels are the handler-facing words for each choice value of a
// report, in English; messages/fr.json translates them.
var choiceLabels = map[string]map[string]string{
	"language":     {"ar": "Arabic", "en": "English", "es": "Spanish", "fr": "French", "ru": "Russian", "zh": "Chinese"},
	"relationship": {"self": "The person concerned", "family": "A relative", "colleague": "A colleague", "lawyer": "Their lawyer", "ngo": "An NGO supporting them", "nhri": "A national human rights institution", "witness": "A witness", "other": "Other"},
	"victim_kind":  {"individual": "A person", "group": "A group or organisation"},
	"victim_role": {
		"defender": "Human rights defender", "journalist": "Journalist or media worker", "lawyer": "Lawyer",
		"witness": "Witness", "relative": "Relative of someone who cooperated", "nhri": "NHRI member or staff",
		"ngo": "NGO member or staff", "trade_unionist": "Trade unionist", "indigenous_leader": "Indigenous or community leader",
		"academic": "Academic", "other": "Other",
	},
	"victim_status": {"at_liberty": "At liberty", "detained": "Detained", "disappeared": "Disappeared or whereabouts unknown", "in_exile": "In exile", "deceased": "Deceased", "unknown": "Not known"},
	"un_body": {
		"upr": "Universal Periodic Review", "hrc_session": "Human Rights Council session", "special_procedures": "Special procedures",
		"treaty_body": "Treaty body", "ohchr_field_presence": "OHCHR field presence", "un_country_team": "UN country team",
		"peace_operation": "UN peace operation", "other": "Other",
	},
	"cooperation": {"actual": "Actual cooperation", "attempted": "Attempted cooperation", "perceived": "Perceived cooperation"},
	"perpetrator": {"state": "State authorities or agents", "non_state": "Non-State actors", "unknown": "Not known"},
	"incident_type": {
		"threats_harassment": "Threats or harassment", "travel_ban": "Travel ban", "surveillance_hacking": "Surveillance or hacking",
		"smear_campaign": "Smear campaign", "prosecution_legislation": "Prosecution or restrictive legislation",
		"arrest_detention": "Arrest or detention", "enforced_disappearance": "Enforced disappearance",
		"torture_ill_treatment": "Torture or ill-treatment", "denial_medical_care": "Denial of medical care",
		"killing": "Killing", "harm_to_relatives": "Harm to relatives", "pressure_on_nhri": "Pressure on an NHRI", "other": "Other",
	},
	"yes_no_unsure": {"yes": "Yes", "no": "No", "unsure": "Not sure"},
	"yes_no":        {"yes": "Yes", "no": "No"},
	"consent_by":    {"victim": "The person concerned", "family": "Their family", "other": "Someone else"},
	"publication":   {"named": "Named", "anonymous": "Anonymous", "pattern_only": "Only as part of a pattern", "no": "Not at all"},
	"note_kind":     {"report": "Report", "followup": "Follow-up from the reporter", "note": "Team note", "reply": "Reply to the reporter"},
	"action_kind": {"communication": "Communication by a special procedure", "raised_with_state": "Raised with the State",
		"public_statement": "Public statement", "referral": "Referral to a mechanism", "other": "Other action"},
	"stance":  {"denies": "Denies the allegations", "acknowledges": "Acknowledges the facts", "investigates": "Says it investigates", "other": "Other position, or none"},
	"closure": {"resolved": "Resolved", "consent_withdrawn": "Consent withdrawn", "no_contact": "No contact", "victim_request": "At the victim's request", "out_of_scope_referred": "Out of scope, referred", "not_a_report": "Not a report (left out of every figure)"},
	"annex":   {"I": "Annex I (new cases)", "II": "Annex II (follow-up)"},
}

// statusLabels are the workflow statuses' names in the console (the
// server's configured names are shown too when they differ).
var statusLabels = map[string]string{
	"received": "Received", "acknowledged": "Acknowledged", "awaiting_consent": "Awaiting consent",
	"under_assessment": "Under assessment", "urgent_escalation": "Urgent escalation", "raised_with_state": "Raised with the State",
	"state_response_received": "State response received", "sg_report_candidate": "Candidate for the Secretary-General's report",
	"published": "Published", "follow_up": "Follow-up", "on_hold": "On hold (do no harm)", "closed": "Closed", "duplicate": "Duplicate",
}

// urgencyLabels explain the urgency classes.
var urgencyLabels = map[string]string{
	"U1": "U1: imminent risk to life or physical integrity",
	"U2": "U2: ongoing or imminent deprivation of liberty or movement",
	"U3": "U3: serious but not imminent",
	"U4": "U4: pattern, follow-up or information only",
}

// label returns the English label of a choice value, or the value itself
// when it is unknown (a newer server, or a tampered report: the caller
// shows it through SafeText).
func label(kind, value string) string {
	if l, ok := choiceLabels[kind][value]; ok {
		return l
	}
	return value
}

// Label returns the English label the console shows for a choice value
// (kind is the choice's name in intake.Choices), or the value itself when
// it is unknown; casectl show prints the same words.
func Label(kind, value string) string { return label(kind, value) }
