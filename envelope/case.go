package envelope

import (
	"bytes"
	"encoding/json"
	"time"
)

// Version is the version of every sealed format.
const Version = 1

// Case is the sealed report of a case (kind "report"): the report plus what the
// handlers need to interpret it. It binds the report to its reference, so a
// ciphertext moved to another row is detected by the handler's client.
type Case struct {
	Version    int       `json:"version"`
	Kind       string    `json:"kind"` // "report"
	Reference  string    `json:"reference"`
	ReceivedAt time.Time `json:"received_at"` // exact time; the database keeps only the day
	Channel    string    `json:"channel"`
	Teams      []string  `json:"routed_teams"`
	Report     Report    `json:"report"`
	// Intermediary is set when NHRI or NGO staff logged the report.
	Intermediary *IntermediaryRecord `json:"intermediary,omitempty"`
	// ReplyRecipient is the reporter's reply key, sealed with the report so
	// that a handler's client can check the one the server names.
	ReplyRecipient string `json:"reply_recipient,omitempty"`
}

// IntermediaryRecord is what an intermediary records about a report logged
// on a victim's behalf. It travels inside the ciphertext.
type IntermediaryRecord struct {
	Organisation     string `json:"organisation"`      // slug
	OrganisationName string `json:"organisation_name"` // as registered
	Staff            string `json:"staff"`             // the staff member who logged it (signed in)
	ConsentFrom      string `json:"consent_from" validate:"required,max=200"`
	ConsentOn        string `json:"consent_on" validate:"required,monthdate"`
	ConsentHow       string `json:"consent_how" validate:"required,max=2000"`
	Relationship     string `json:"relationship" validate:"required,max=200"`
}

// Marshal encodes the envelope as compact JSON, without HTML escaping so
// that a handler reading it with the stock age CLI sees the text as
// written (pipe it through jq to indent it).
func (e Case) Marshal() ([]byte, error) { return marshalJSON(e) }

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
