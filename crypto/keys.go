package crypto

import (
	"fmt"
	"time"

	"filippo.io/age"
)

// NewIdentityFile generates an age identity and returns it in the format of
// age-keygen (comments with the creation time and public key, then the
// secret key), together with its public recipient. Post-quantum selects a
// hybrid ML-KEM-768 + X25519 key.
func NewIdentityFile(postQuantum bool, now time.Time) (file, recipient string, err error) {
	var secret string
	if postQuantum {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return "", "", err
		}
		secret, recipient = id.String(), id.Recipient().String()
	} else {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return "", "", err
		}
		secret, recipient = id.String(), id.Recipient().String()
	}
	file = fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", now.UTC().Format(time.RFC3339), recipient, secret)
	return file, recipient, nil
}
