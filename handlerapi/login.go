package handlerapi

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/envelope"
)

var handlerName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Login logs the client in as handler: it asks for a challenge, checks it
// with envelope.OpenChallenge (the one check of the challenge format) and
// answers with the nonce alone. On success the client keeps the session's
// token.
func (c *Client) Login(ctx context.Context, handler string, ids ...age.Identity) (LoginResponse, error) {
	if !handlerName.MatchString(handler) {
		return LoginResponse{}, fmt.Errorf("%q is not a handler name (lower-case letters, digits, '.', '_', '-')", Safe(handler))
	}
	ch, err := c.Challenge(ctx, handler)
	if err != nil {
		return LoginResponse{}, err
	}
	nonce, err := envelope.OpenChallenge(ch.Challenge, c.origin, handler, time.Now(), ids...)
	if err != nil {
		return LoginResponse{}, err
	}
	res, err := c.Answer(ctx, ch.ChallengeID, nonce)
	if err != nil {
		return res, err
	}
	if res.Handler != handler {
		c.token = ""
		return LoginResponse{}, fmt.Errorf("%w (the session is for another handler)", ErrBadResponse)
	}
	return res, nil
}
