package handlerapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// ChallengeContext is the first line of every login challenge's
// plaintext. It is versioned: a client refuses any other.
const ChallengeContext = "reprisals-handler-login-challenge/v1"

// Limits on a login challenge.
const (
	// MaxChallengeArmored bounds the armoured age file a server sends.
	MaxChallengeArmored = 8 << 10
	// MaxChallengePlain bounds its plaintext, which the server pads with
	// spaces to 4 KiB like everything it encrypts.
	MaxChallengePlain = 4 << 10
	// maxChallengeText bounds the plaintext without its padding.
	maxChallengeText = 512
	// MaxChallengeTTL is the longest lifetime a client accepts (the
	// server's handlers.challenge_ttl is at most an hour).
	MaxChallengeTTL = time.Hour
	// NonceBytes is the nonce's size before base64url encoding.
	NonceBytes = 32
)

// ErrNotAChallenge is what a client says when a server sends, as a login
// challenge, something that is not one: a stored case, a manifest, a
// challenge for another server or handler, or an expired one. Nothing was
// sent back.
var ErrNotAChallenge = errors.New("this server sent something that is not a login challenge; nothing was sent back. " +
	"Do not use this server; tell your security focal point")

// LoginChallenge is the plaintext of a login challenge: bound to a server
// origin, a handler and an expiry, carrying the nonce the client returns.
type LoginChallenge struct {
	Origin  string
	Handler string
	Expires time.Time
	Nonce   string
}

var (
	handlerName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	nonceRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

// Marshal returns the challenge's plaintext: the context line, then one
// "key: value" line each for origin, handler, expires (RFC 3339, UTC,
// seconds) and nonce.
func (c LoginChallenge) Marshal() []byte {
	return fmt.Appendf(nil, "%s\norigin: %s\nhandler: %s\nexpires: %s\nnonce: %s\n",
		ChallengeContext, c.Origin, c.Handler, c.Expires.UTC().Format(time.RFC3339), c.Nonce)
}

// ParseLoginChallenge parses a challenge's plaintext strictly: exactly the
// lines Marshal writes, in order, each well-formed, then nothing but
// padding spaces.
func ParseLoginChallenge(b []byte) (LoginChallenge, error) {
	var c LoginChallenge
	if len(b) > MaxChallengePlain {
		return c, ErrNotAChallenge
	}
	b = bytes.TrimRight(b, " ")
	if len(b) > maxChallengeText || !bytes.HasSuffix(b, []byte("\n")) {
		return c, ErrNotAChallenge
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 5 || lines[0] != ChallengeContext {
		return c, ErrNotAChallenge
	}
	var fields [4]string
	for i, key := range []string{"origin", "handler", "expires", "nonce"} {
		v, ok := strings.CutPrefix(lines[i+1], key+": ")
		if !ok {
			return c, ErrNotAChallenge
		}
		fields[i] = v
	}
	o, err := Origin(fields[0])
	if err != nil || o != fields[0] {
		return c, ErrNotAChallenge
	}
	if !handlerName.MatchString(fields[1]) || !nonceRE.MatchString(fields[3]) {
		return c, ErrNotAChallenge
	}
	exp, err := time.Parse(time.RFC3339, fields[2])
	if err != nil || exp.UTC().Format(time.RFC3339) != fields[2] {
		return c, ErrNotAChallenge
	}
	return LoginChallenge{Origin: fields[0], Handler: fields[1], Expires: exp, Nonce: fields[3]}, nil
}

// NewNonce returns a random nonce for a challenge.
func NewNonce(random io.Reader) (string, error) {
	b := make([]byte, NonceBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// OpenChallenge decrypts a login challenge sent by the server at origin
// for handler and checks every part of it: the context line, the origin,
// the handler, an expiry in the future and at most MaxChallengeTTL away.
// It returns only the nonce, the one thing the client sends back. Any
// other content is ErrNotAChallenge, and its plaintext is wiped.
func OpenChallenge(armored, origin, handler string, now time.Time, ids ...age.Identity) (string, error) {
	if len(armored) > MaxChallengeArmored {
		return "", ErrNotAChallenge
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(armored)), ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return "", fmt.Errorf("this identity cannot open the login challenge for %s: is it the key registered for you?", Safe(handler))
	}
	if err != nil {
		return "", ErrNotAChallenge
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxChallengePlain+1))
	defer clear(plain)
	if err != nil {
		return "", ErrNotAChallenge
	}
	c, err := ParseLoginChallenge(plain)
	if err != nil || c.Origin != origin || c.Handler != handler ||
		!now.Before(c.Expires) || c.Expires.Sub(now) > MaxChallengeTTL {
		return "", ErrNotAChallenge
	}
	return c.Nonce, nil
}

// Login logs the client in as handler: it asks for a challenge, checks it
// with OpenChallenge and answers with the nonce alone. On success the
// client keeps the session's token.
func (c *Client) Login(ctx context.Context, handler string, ids ...age.Identity) (LoginResponse, error) {
	if !handlerName.MatchString(handler) {
		return LoginResponse{}, fmt.Errorf("%q is not a handler name (lower-case letters, digits, '.', '_', '-')", Safe(handler))
	}
	ch, err := c.Challenge(ctx, handler)
	if err != nil {
		return LoginResponse{}, err
	}
	nonce, err := OpenChallenge(ch.Challenge, c.origin, handler, time.Now(), ids...)
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
