package envelope

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/crypto"
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

// Challenge is the plaintext of a login challenge: bound to a server
// origin, a handler and an expiry, carrying the nonce the client returns.
// It is not JSON: five lines (Marshal), so that no other sealed record
// can ever be read as one.
type Challenge struct {
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
func (c Challenge) Marshal() []byte {
	return fmt.Appendf(nil, "%s\norigin: %s\nhandler: %s\nexpires: %s\nnonce: %s\n",
		ChallengeContext, c.Origin, c.Handler, c.Expires.UTC().Format(time.RFC3339), c.Nonce)
}

// ParseChallenge parses a challenge's plaintext strictly: exactly the
// lines Marshal writes, in order, each well-formed (an origin in its
// canonical form, a handler name, an expiry in UTC seconds, a 32-byte
// nonce), then nothing but padding spaces.
func ParseChallenge(b []byte) (Challenge, error) {
	var c Challenge
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
	if !canonicalOrigin(fields[0]) || !handlerName.MatchString(fields[1]) || !nonceRE.MatchString(fields[3]) {
		return c, ErrNotAChallenge
	}
	exp, err := time.Parse(time.RFC3339, fields[2])
	if err != nil || exp.UTC().Format(time.RFC3339) != fields[2] {
		return c, ErrNotAChallenge
	}
	return Challenge{Origin: fields[0], Handler: fields[1], Expires: exp, Nonce: fields[3]}, nil
}

// canonicalOrigin reports whether s is an origin as a client writes it
// (handlerapi.Origin): a lower-case http or https scheme and host, with
// nothing else.
func canonicalOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery {
		return false
	}
	return s == strings.ToLower(u.Scheme+"://"+u.Host)
}

// NewNonce returns a random nonce for a challenge.
func NewNonce(random io.Reader) (string, error) {
	b := make([]byte, NonceBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SealChallenge encrypts a login challenge to the handler's recipient,
// padded like everything the server seals, and armours it.
func SealChallenge(c Challenge, to crypto.Recipient) (string, error) {
	plain := c.Marshal()
	defer clear(plain)
	s, err := crypto.Seal(plain, []crypto.Recipient{to})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	aw := armor.NewWriter(&b)
	if _, err := aw.Write(s.Ciphertext); err != nil {
		return "", err
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// OpenChallenge decrypts a login challenge sent by the server at origin
// for handler and checks every part of it: the context line, the origin,
// the handler, an expiry in the future and at most MaxChallengeTTL away.
// It returns only the nonce, the one thing the client sends back. Any
// other content is ErrNotAChallenge, and its plaintext is wiped; a
// challenge that none of ids opens is an error of its own (the wrong
// key, not a hostile server).
func OpenChallenge(armored, origin, handler string, now time.Time, ids ...age.Identity) (string, error) {
	if len(armored) > MaxChallengeArmored {
		return "", ErrNotAChallenge
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(armored)), ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		if !handlerName.MatchString(handler) {
			return "", errors.New("this identity cannot open the login challenge: is it the key registered for you?")
		}
		return "", fmt.Errorf("this identity cannot open the login challenge for %s: is it the key registered for you?", handler)
	}
	if err != nil {
		return "", ErrNotAChallenge
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxChallengePlain+1))
	defer clear(plain)
	if err != nil {
		return "", ErrNotAChallenge
	}
	c, err := ParseChallenge(plain)
	if err != nil || c.Origin != origin || c.Handler != handler ||
		!now.Before(c.Expires) || c.Expires.Sub(now) > MaxChallengeTTL {
		return "", ErrNotAChallenge
	}
	return c.Nonce, nil
}
