package desk

import (
	"context"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Session is what a login gives the handler's client to keep (casectl
// writes it to its 0600 session file, as JSON with these names).
type Session struct {
	Server  string `json:"server"` // the server's origin
	Handler string `json:"handler"`
	Team    string `json:"team"` // the server's word: see CheckTeamOfMine
	// Recipients are the public keys of the identities used at login
	// (native X25519 ones only, OwnRecipients): a note goes only to a
	// team whose signed roster lists one of them.
	Recipients []string  `json:"recipients,omitempty"`
	Token      string    `json:"token"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Login logs handler name in by decrypting the server's challenge with
// ids (handlerapi.Client.Login: bound to the server's origin, the handler
// and an expiry; a session for another handler is refused) and returns
// the session, with the handler's own public keys recorded.
func Login(ctx context.Context, api *handlerapi.Client, name string, ids []age.Identity) (Session, error) {
	res, err := api.Login(ctx, name, ids...)
	if err != nil {
		return Session{}, err
	}
	return Session{Server: api.Origin(), Handler: res.Handler, Team: res.Team, Token: res.Token, ExpiresAt: res.ExpiresAt,
		Recipients: OwnRecipients(ids)}, nil
}

// OwnRecipients are the public keys of the native X25519 identities
// among ids (a plugin identity's is not known to the client).
func OwnRecipients(ids []age.Identity) []string {
	var out []string
	for _, id := range ids {
		if x, ok := crypto.Native(id).(*age.X25519Identity); ok {
			out = append(out, x.Recipient().String())
		}
	}
	return out
}
