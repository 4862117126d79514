package casework

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ohchr-reprisals/intake/envelope"
)

// A login challenge is not stored. Its id, which the client sends back with
// the answer, is a token sealed (XChaCha20-Poly1305) under a key derived
// from the receipt key, so every instance of the server can open it:
//
//	base64url( random 24 bytes (the AEAD nonce, and the challenge's id)
//	         || seal( expiry (8) || challenge nonce (32) || recipient tag (8)
//	                  || name length (1) || name, padded with zeros to 64 ) )
//
// The name is padded so that every token has the same length, whatever
// name was asked for; the recipient tag binds the challenge to the key it
// was encrypted to (a handler whose key changes cannot answer an old one);
// for a name that is not an active handler it is random. Issuing a
// challenge therefore costs no storage at all, and nothing limits how many
// may be asked for: there is no budget to exhaust. A challenge is spent by
// the first answer to it (right or wrong), which is recorded until the
// challenge expires (store.SpendChallenge).
const (
	tokenIDBytes   = chacha20poly1305.NonceSizeX
	tokenNameBytes = 64
	tokenPlain     = 8 + envelope.NonceBytes + 8 + 1 + tokenNameBytes
	tokenSealed    = tokenIDBytes + tokenPlain + chacha20poly1305.Overhead
	// MaxChallengeID bounds the challenge id a client sends back: the
	// base64url length of a token.
	MaxChallengeID = (tokenSealed*8 + 5) / 6
)

// tokenContext is the associated data of every token: a token cannot be
// taken for anything else sealed under a key derived from the receipt key.
const tokenContext = "reprisals-login-challenge-token/v1"

// loginToken is what a challenge id carries.
type loginToken struct {
	id           [tokenIDBytes]byte
	expires      time.Time
	nonce        [envelope.NonceBytes]byte
	recipientTag [8]byte
	name         string
}

// recipientTag is the short tag of a recipient that a token carries.
func recipientTag(recipient string) (t [8]byte) {
	h := sha256.Sum256([]byte("login-recipient\x00" + recipient))
	copy(t[:], h[:])
	return t
}

// sealToken seals t (with a fresh random id) under key, bound to origin.
func sealToken(key []byte, origin string, t loginToken) (string, [tokenIDBytes]byte, error) {
	var id [tokenIDBytes]byte
	if len(t.name) > tokenNameBytes {
		return "", id, errors.New("casework: handler name too long for a challenge")
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", id, err
	}
	rand.Read(id[:])
	plain := make([]byte, 0, tokenPlain)
	plain = binary.BigEndian.AppendUint64(plain, uint64(t.expires.Unix()))
	plain = append(plain, t.nonce[:]...)
	plain = append(plain, t.recipientTag[:]...)
	plain = append(plain, byte(len(t.name)))
	plain = append(plain, t.name...)
	plain = append(plain, make([]byte, tokenNameBytes-len(t.name))...)
	out := aead.Seal(id[:], id[:], plain, []byte(tokenContext+"\x00"+origin))
	return base64.RawURLEncoding.EncodeToString(out), id, nil
}

// openToken opens a challenge id sealed by sealToken. Anything else (too
// long, not base64url, altered, sealed for another origin or under another
// key, malformed inside) is an error. It checks nothing about time.
func openToken(key []byte, origin, s string) (loginToken, error) {
	var t loginToken
	bad := errors.New("casework: not a challenge token")
	if len(s) != MaxChallengeID {
		return t, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != tokenSealed {
		return t, bad
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return t, err
	}
	plain, err := aead.Open(nil, raw[:tokenIDBytes], raw[tokenIDBytes:], []byte(tokenContext+"\x00"+origin))
	if err != nil || len(plain) != tokenPlain {
		return t, bad
	}
	copy(t.id[:], raw[:tokenIDBytes])
	exp := binary.BigEndian.Uint64(plain)
	if exp > 1<<40 {
		return t, bad
	}
	t.expires = time.Unix(int64(exp), 0)
	p := plain[8:]
	copy(t.nonce[:], p)
	p = p[envelope.NonceBytes:]
	copy(t.recipientTag[:], p)
	p = p[8:]
	n := int(p[0])
	name := p[1:]
	if n == 0 || n > tokenNameBytes {
		return t, bad
	}
	for _, b := range name[n:] {
		if b != 0 {
			return t, bad
		}
	}
	t.name = string(name[:n])
	return t, nil
}
