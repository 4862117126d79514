package server

// choiceLabels are the words the web form shows for each choice value.
// English only for now; the six-language message files come with the full
// reporter experience.
var choiceLabels = map[string]map[string]string{
	"language": {"ar": "العربية (Arabic)", "en": "English", "es": "Español (Spanish)", "fr": "Français (French)", "ru": "Русский (Russian)", "zh": "中文 (Chinese)"},
	"relationship": {
		"self": "I am the person who suffered the reprisal", "family": "A relative", "colleague": "A colleague",
		"lawyer": "Their lawyer", "ngo": "An NGO supporting them", "nhri": "A national human rights institution",
		"witness": "A witness", "other": "Other",
	},
	"victim_kind": {"individual": "A person", "group": "A group or organisation"},
	"victim_role": {
		"defender": "Human rights defender", "journalist": "Journalist or media worker", "lawyer": "Lawyer",
		"witness": "Witness", "relative": "Relative of someone who cooperated", "nhri": "Member or staff of a national human rights institution",
		"ngo": "NGO member or staff", "trade_unionist": "Trade unionist", "indigenous_leader": "Indigenous or community leader",
		"academic": "Academic", "other": "Other",
	},
	"victim_status": {
		"at_liberty": "At liberty", "detained": "Detained", "disappeared": "Disappeared or whereabouts unknown",
		"in_exile": "In exile", "deceased": "Deceased", "unknown": "Not known",
	},
	"un_body": {
		"upr": "Universal Periodic Review (UPR)", "hrc_session": "A Human Rights Council session",
		"special_procedures": "Special procedures (special rapporteurs, working groups)", "treaty_body": "A treaty body",
		"ohchr_field_presence": "An OHCHR field presence", "un_country_team": "A UN country team",
		"peace_operation": "A UN peace operation", "other": "Other",
	},
	"cooperation": {
		"actual": "They cooperated with the UN", "attempted": "They tried to cooperate with the UN",
		"perceived": "They were believed to have cooperated with the UN",
	},
	"perpetrator": {"state": "State authorities or agents", "non_state": "Non-State actors", "unknown": "Not known"},
	"incident_type": {
		"threats_harassment": "Threats or harassment", "travel_ban": "Travel ban", "surveillance_hacking": "Surveillance or hacking",
		"smear_campaign": "Smear campaign", "prosecution_legislation": "Prosecution or restrictive legislation",
		"arrest_detention": "Arrest or detention", "enforced_disappearance": "Enforced disappearance",
		"torture_ill_treatment": "Torture or ill-treatment, including sexual violence", "denial_medical_care": "Denial of medical care",
		"killing": "Killing", "harm_to_relatives": "Harm to relatives", "pressure_on_nhri": "Pressure on a national human rights institution",
		"other": "Other",
	},
	"yes_no_unsure": {"yes": "Yes", "no": "No", "unsure": "Not sure"},
	"yes_no":        {"yes": "Yes", "no": "No"},
	"consent_by":    {"victim": "The person concerned", "family": "Their family", "other": "Someone else"},
	"publication": {
		"named": "Yes, with names", "anonymous": "Yes, without names", "pattern_only": "Only as part of a general pattern",
		"no": "No",
	},
}
