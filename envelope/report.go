package envelope

// Limits on the lists of a report; they match the validate tags below.
// Every string has a limit too (in characters, in its tag), and the HTTP
// layer bounds the whole request in bytes.
const (
	MaxVictims   = 20
	MaxIncidents = 10
)

// Choices lists the allowed values of every multiple-choice field, in the
// order forms show them. The validator's "choice=NAME" tag, the web form
// and the OpenAPI document all read this one table.
var Choices = map[string][]string{
	"language":      {"ar", "en", "es", "fr", "ru", "zh"},
	"relationship":  {"self", "family", "colleague", "lawyer", "ngo", "nhri", "witness", "other"},
	"victim_kind":   {"individual", "group"},
	"victim_role":   {"defender", "journalist", "lawyer", "witness", "relative", "nhri", "ngo", "trade_unionist", "indigenous_leader", "academic", "other"},
	"victim_status": {"at_liberty", "detained", "disappeared", "in_exile", "deceased", "unknown"},
	"un_body":       {"upr", "hrc_session", "special_procedures", "treaty_body", "ohchr_field_presence", "un_country_team", "peace_operation", "other"},
	"cooperation":   {"actual", "attempted", "perceived"},
	"perpetrator":   {"state", "non_state", "unknown"},
	"incident_type": {"threats_harassment", "travel_ban", "surveillance_hacking", "smear_campaign", "prosecution_legislation", "arrest_detention", "enforced_disappearance", "torture_ill_treatment", "denial_medical_care", "killing", "harm_to_relatives", "pressure_on_nhri", "other"},
	"yes_no_unsure": {"yes", "no", "unsure"},
	"yes_no":        {"yes", "no"},
	"consent_by":    {"victim", "family", "other"},
	"publication":   {"named", "anonymous", "pattern_only", "no"},
}

// Report is what a reporter submits. Everything in it is encrypted before it
// is stored; nothing in it is ever logged.
type Report struct {
	// Language is the language the report was written in.
	Language string `json:"language" validate:"required,choice=language"`
	// StateConcerned is the State where the reprisal happened or that is
	// held responsible: an ISO 3166-1 alpha-2 code from package country,
	// or country.NotSure.
	StateConcerned string      `json:"state_concerned" validate:"required,country"`
	Submitter      Submitter   `json:"submitter"`
	Victims        []Victim    `json:"victims" validate:"required,min=1,max=20,dive"`
	Cooperation    Cooperation `json:"cooperation"`
	Incidents      []Incident  `json:"incidents" validate:"required,min=1,max=10,dive"`
	StepsTaken     StepsTaken  `json:"steps_taken"`
	Risk           Risk        `json:"risk"`
	Consent        Consent     `json:"consent"`
}

// Submitter is the person filling in the report. Every field is optional:
// a reporter may stay anonymous, although OHCHR needs a way to reach
// someone for most actions.
type Submitter struct {
	Name          string `json:"name" validate:"max=200"`
	Organisation  string `json:"organisation" validate:"max=200"`
	Relationship  string `json:"relationship" validate:"required,choice=relationship"`
	ContactMethod string `json:"contact_method" validate:"max=2000"`
	ContactTimes  string `json:"contact_times" validate:"max=200"`
}

// Victim is one alleged victim: a person or a group or organisation.
type Victim struct {
	Name             string   `json:"name" validate:"required,max=200"`
	Kind             string   `json:"kind" validate:"required,choice=victim_kind"`
	Gender           string   `json:"gender" validate:"max=200"`
	Age              string   `json:"age" validate:"max=200"`
	Nationality      string   `json:"nationality" validate:"max=200"`
	Location         string   `json:"location" validate:"max=200"`
	Roles            []string `json:"roles" validate:"max=11,unique,dive,choice=victim_role"`
	RoleOther        string   `json:"role_other" validate:"max=200"`
	Status           string   `json:"status" validate:"required,choice=victim_status"`
	PlaceOfDetention string   `json:"place_of_detention" validate:"max=200"`
}

// Cooperation is the link between the harm and cooperation with the UN.
// Body "upr" routes the report to the UPR Secretariat as well.
type Cooperation struct {
	Body       string `json:"body" validate:"required,choice=un_body"`
	BodyOther  string `json:"body_other" validate:"required_if=Body other,max=200"`
	Form       string `json:"form" validate:"required,max=2000"`
	SessionRef string `json:"session_ref" validate:"max=200"`
	Dates      string `json:"dates" validate:"max=200"`
	Nature     string `json:"nature" validate:"required,choice=cooperation"`
	Evidence   string `json:"evidence" validate:"max=10000"`
}

// Incident is one act of intimidation or reprisal.
type Incident struct {
	Date             string   `json:"date" validate:"required,monthdate"`
	Place            string   `json:"place" validate:"max=200"`
	Narrative        string   `json:"narrative" validate:"required,max=10000"`
	PerpetratorKind  string   `json:"perpetrator_kind" validate:"required,choice=perpetrator"`
	Perpetrator      string   `json:"perpetrator" validate:"max=200"`
	PerpetratorBasis string   `json:"perpetrator_basis" validate:"max=2000"`
	Types            []string `json:"types" validate:"required,min=1,max=13,unique,dive,choice=incident_type"`
	TypeOther        string   `json:"type_other" validate:"max=200"`
}

// StepsTaken records remedies already sought.
type StepsTaken struct {
	DomesticRemedies string `json:"domestic_remedies" validate:"max=2000"`
	OtherMechanisms  string `json:"other_mechanisms" validate:"max=2000"`
	// UNDocument answers whether the act was already referred to in an
	// official UN document ("yes", "no", "unsure"; optional), as calls
	// for input to the Secretary-General's report ask; UNDocumentSymbol
	// is that document's symbol, if known (only with "yes").
	UNDocument       string `json:"un_document,omitempty" validate:"omitempty,choice=yes_no_unsure"`
	UNDocumentSymbol string `json:"un_document_symbol,omitempty" validate:"max=200,excluded_unless=UNDocument yes"`
}

// Risk is the reporter's view of the danger. ImmediateDanger "yes" seeds
// the clear urgency class U1.
type Risk struct {
	ImmediateDanger  string `json:"immediate_danger" validate:"required,choice=yes_no_unsure"`
	ImminentDates    string `json:"imminent_dates" validate:"max=2000"`
	StateContactRisk string `json:"state_contact_risk" validate:"required,choice=yes_no_unsure"`
	Details          string `json:"details" validate:"max=2000"`
}

// Consent records each consent separately. It travels inside the
// encrypted report.
type Consent struct {
	GivenBy           string `json:"given_by" validate:"required,choice=consent_by"`
	GivenByOther      string `json:"given_by_other" validate:"required_if=GivenBy other,max=200"`
	How               string `json:"how" validate:"max=2000"`
	When              string `json:"when" validate:"max=200"`
	RisksUnderstood   bool   `json:"risks_understood" validate:"eq=true"`
	ShareWithOHCHR    bool   `json:"share_with_ohchr" validate:"eq=true"`
	RaiseWithState    string `json:"raise_with_state" validate:"required,choice=yes_no"`
	Publication       string `json:"publication" validate:"required,choice=publication"`
	ShareUNMechanisms string `json:"share_un_mechanisms" validate:"required,choice=yes_no"`
	ShareThirdParties string `json:"share_third_parties" validate:"required,choice=yes_no"`
	ContactPermission string `json:"contact_permission" validate:"required,choice=yes_no"`
}
