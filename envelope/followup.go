package envelope

import "time"

// FollowUp is the sealed form of a reporter's follow-up.
type FollowUp struct {
	Version    int       `json:"version"`
	Kind       string    `json:"kind"` // "followup"
	Reference  string    `json:"reference"`
	ReceivedAt time.Time `json:"received_at"`
	Language   string    `json:"language"`
	Text       string    `json:"text"`
}

// Marshal encodes the follow-up as compact JSON, as Case.Marshal does.
func (f FollowUp) Marshal() ([]byte, error) { return marshalJSON(f) }
