package crypto

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// x25519Unwrapper opens age X25519 stanzas exactly as age's
// X25519Identity does, with the identity's private key parsed once.
//
// age (v1.3) computes each stanza's shared secret with curve25519.X25519,
// which builds a new crypto/ecdh private key from the scalar every time,
// and building one derives its public key: two scalar multiplications per
// stanza, of which one recomputes the same public key for every file. Here
// the ecdh key is made once, so an unwrap costs one multiplication; the
// rest (the stanza's checks, HKDF, the AEAD, and which failures are
// ErrIncorrectIdentity) follows age's x25519.go line for line, and
// TestX25519UnwrapMatchesAge and FuzzX25519Unwrap hold it to age's answers.
// The header MAC and the payload are still checked by age.Decrypt.
type x25519Unwrapper struct {
	priv *ecdh.PrivateKey
	pub  []byte // our public key, for the HKDF salt
}

// x25519Label is age's HKDF label for X25519 stanzas.
const x25519Label = "age-encryption.org/v1/X25519"

// stanzaB64 is age's stanza argument encoding: unpadded standard base64,
// with no slack in the final bits.
var stanzaB64 = base64.RawStdEncoding.Strict()

// newX25519Unwrapper parses id's private key once. The key is read from
// id's own encoding (age exposes no other way), decoded, and checked by
// encoding it again and by deriving the same recipient.
func newX25519Unwrapper(id *age.X25519Identity) (*x25519Unwrapper, error) {
	enc := id.String()
	scalar, err := bech32Data(enc)
	if err != nil {
		return nil, err
	}
	defer clear(scalar)
	if bech32Encode("AGE-SECRET-KEY-", scalar) != enc {
		return nil, errors.New("crypto: the identity does not encode again to itself")
	}
	priv, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		return nil, err
	}
	pub := priv.PublicKey().Bytes()
	if bech32Encode("age", pub) != id.Recipient().String() {
		return nil, errors.New("crypto: the identity's recipient does not match")
	}
	return &x25519Unwrapper{priv: priv, pub: pub}, nil
}

// bech32Data returns the bytes that a bech32 string carries, without
// checking its checksum (the caller encodes them again and compares).
func bech32Data(s string) ([]byte, error) {
	s = strings.ToLower(s)
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 || len(s)-sep-1 < 6 {
		return nil, errors.New("crypto: not a bech32 string")
	}
	data := s[sep+1 : len(s)-6]
	out := make([]byte, 0, len(data)*5/8)
	var acc uint32
	var bits uint
	for i := 0; i < len(data); i++ {
		v := strings.IndexByte(bech32Charset, data[i])
		if v < 0 {
			return nil, errors.New("crypto: not a bech32 string")
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out, nil
}

// unwrap opens one stanza, as age's (*X25519Identity).unwrap does.
func (u *x25519Unwrapper) unwrap(block *age.Stanza) ([]byte, error) {
	if block.Type != "X25519" {
		return nil, age.ErrIncorrectIdentity
	}
	if len(block.Args) != 1 {
		return nil, errors.New("invalid X25519 recipient block")
	}
	if strings.ContainsAny(block.Args[0], "\n\r") {
		return nil, errors.New("failed to parse X25519 recipient: unexpected newline character")
	}
	publicKey, err := stanzaB64.DecodeString(block.Args[0])
	if err != nil {
		return nil, fmt.Errorf("failed to parse X25519 recipient: %v", err)
	}
	if len(publicKey) != 32 {
		return nil, errors.New("invalid X25519 recipient block")
	}
	theirs, err := ecdh.X25519().NewPublicKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient: %v", err)
	}
	// ECDH refuses a low-order point (an all-zero shared secret), as
	// curve25519.X25519 does for age.
	sharedSecret, err := u.priv.ECDH(theirs)
	if err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient: %v", err)
	}
	defer clear(sharedSecret)
	salt := make([]byte, 0, len(publicKey)+len(u.pub))
	salt = append(salt, publicKey...)
	salt = append(salt, u.pub...)
	wrappingKey, err := hkdf.Key(sha256.New, sharedSecret, salt, x25519Label, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(wrappingKey)
	const fileKeySize = 16
	if len(block.Body) != fileKeySize+chacha20poly1305.Overhead {
		return nil, errors.New("invalid X25519 recipient block: incorrect file key size")
	}
	aead, err := chacha20poly1305.New(wrappingKey)
	if err != nil {
		return nil, err
	}
	var nonce [chacha20poly1305.NonceSize]byte
	fileKey, err := aead.Open(nil, nonce[:], block.Body, nil)
	if err != nil {
		return nil, age.ErrIncorrectIdentity
	}
	return fileKey, nil
}
