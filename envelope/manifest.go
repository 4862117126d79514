package envelope

import (
	"fmt"
	"time"
)

// Manifest is the sealed description of an attachment. It holds the key
// that opens the attachment's content, so only the case's recipients can
// open either.
type Manifest struct {
	Version     int       `json:"version"`
	Kind        string    `json:"kind"` // "attachment"
	Reference   string    `json:"reference"`
	ReceivedAt  time.Time `json:"received_at"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Key         string    `json:"key"` // AGE-SECRET-KEY-1...: decrypts the content
}

// String describes a manifest without its key.
func (m Manifest) String() string {
	return fmt.Sprintf("%s (%s, %d bytes)", m.Name, m.ContentType, m.Size)
}

// Marshal encodes the manifest as compact JSON, as Case.Marshal does.
func (m Manifest) Marshal() ([]byte, error) { return marshalJSON(m) }
