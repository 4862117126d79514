package crypto

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// ErrBadToken is a token that is malformed, forged or expired.
var ErrBadToken = errors.New("invalid or expired token")

// DeriveKey derives a 32-byte key for one purpose from a server secret.
func DeriveKey(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil {
		panic("crypto: hkdf: " + err.Error())
	}
	return k
}

// SignToken returns a URL-safe token carrying payload until expires,
// authenticated with HMAC-SHA256 under key. The payload is not secret.
func SignToken(key, payload []byte, expires time.Time) string {
	msg := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	msg = append(msg, payload...)
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return tokenEncoding.EncodeToString(append(msg, m.Sum(nil)...))
}

// tokenEncoding is strict so that a token has one spelling only: a copy
// with other trailing bits is not a second valid token.
var tokenEncoding = base64.RawURLEncoding.Strict()

// OpenToken checks a token from SignToken and returns its payload.
func OpenToken(key []byte, tok string, now time.Time) ([]byte, error) {
	if len(tok) > 512 {
		return nil, ErrBadToken
	}
	b, err := tokenEncoding.DecodeString(tok)
	if err != nil || len(b) < 8+sha256.Size {
		return nil, ErrBadToken
	}
	msg, mac := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return nil, ErrBadToken
	}
	if now.Unix() > int64(binary.BigEndian.Uint64(msg[:8])) {
		return nil, ErrBadToken
	}
	return msg[8:], nil
}
