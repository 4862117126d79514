package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// A handler's signing key is an Ed25519 key made with their age identity
// (an age identity can decrypt but not sign). Its public half is listed
// beside the handler's recipient in the team's signed roster; its private
// half is kept next to the identity file, encrypted with age to the
// handler's own recipient, so only their identity (a hardware key's
// included) unlocks it. Replies to reporters are signed with it.

// Key string prefixes, distinct from roster keys' so that one cannot be
// taken for the other.
const (
	signingPublicPrefix  = "reprisals-signing-key-ed25519:"
	signingPrivatePrefix = "REPRISALS-SIGNING-SECRET-KEY-ED25519:"
)

// maxSigningKeyFile bounds a signing key file read from disk.
const maxSigningKeyFile = 16 << 10

// SigningKey is a handler's private signing key.
type SigningKey struct{ k ed25519.PrivateKey }

// SigningPublicKey is a handler's public signing key, as rosters list it.
type SigningPublicKey struct{ k ed25519.PublicKey }

// ErrSigningKey is a signing key (file) that does not parse or open.
var ErrSigningKey = errors.New("not a signing key file of yours (made by keygen, encrypted to your identity)")

// GenerateSigningKey returns a new signing key.
func GenerateSigningKey() (SigningKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	return SigningKey{k}, err
}

// Public returns the key's public half.
func (k SigningKey) Public() SigningPublicKey {
	return SigningPublicKey{k.k.Public().(ed25519.PublicKey)}
}

// Sign signs msg (the caller domain-separates it).
func (k SigningKey) Sign(msg []byte) []byte { return ed25519.Sign(k.k, msg) }

// IsZero reports whether k holds no key.
func (k SigningKey) IsZero() bool { return len(k.k) == 0 }

// String encodes the public key: reprisals-signing-key-ed25519:BASE64.
func (p SigningPublicKey) String() string {
	return signingPublicPrefix + base64.StdEncoding.EncodeToString(p.k)
}

// Verify reports whether sig is p's signature over msg.
func (p SigningPublicKey) Verify(msg, sig []byte) bool {
	return len(p.k) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(p.k, msg, sig)
}

// Equal reports whether two public keys are the same.
func (p SigningPublicKey) Equal(q SigningPublicKey) bool { return p.k.Equal(q.k) }

var errSigningPublic = errors.New("not a signing public key (" + signingPublicPrefix + "...)")

// ParseSigningPublicKey reads a public key written by String, strictly
// (its canonical form only). Errors never quote the input.
func ParseSigningPublicKey(s string) (SigningPublicKey, error) {
	b64, ok := strings.CutPrefix(s, signingPublicPrefix)
	k, err := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok || err != nil || len(k) != ed25519.PublicKeySize {
		return SigningPublicKey{}, errSigningPublic
	}
	p := SigningPublicKey{ed25519.PublicKey(k)}
	if p.String() != s { // the decoder skips line breaks
		return SigningPublicKey{}, errSigningPublic
	}
	return p, nil
}

// SigningKeyPath is where the signing key of the identity file at
// identityPath is kept: beside it, with ".signing" added.
func SigningKeyPath(identityPath string) string { return identityPath + ".signing" }

// SealSigningKey returns k's file: the private key, encrypted with age to
// rec (the handler's own recipient), armored.
func SealSigningKey(k SigningKey, rec Recipient) ([]byte, error) {
	if rec.r == nil {
		return nil, errors.New("no recipient to encrypt the signing key to")
	}
	var b bytes.Buffer
	aw := armor.NewWriter(&b)
	w, err := age.Encrypt(aw, rec.r)
	if err != nil {
		return nil, err
	}
	plain := []byte(signingPrivatePrefix + base64.StdEncoding.EncodeToString(k.k.Seed()) + "\n")
	defer clear(plain)
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// NewSigningKeyFile makes a signing key and returns its file, sealed to
// rec, and its public key.
func NewSigningKeyFile(rec Recipient) ([]byte, SigningPublicKey, error) {
	k, err := GenerateSigningKey()
	if err != nil {
		return nil, SigningPublicKey{}, err
	}
	defer clear(k.k)
	file, err := SealSigningKey(k, rec)
	return file, k.Public(), err
}

// OpenSigningKey decrypts a signing key file with the handler's
// identities. Errors never quote the file.
func OpenSigningKey(file []byte, ids ...age.Identity) (SigningKey, error) {
	if len(file) > maxSigningKeyFile {
		return SigningKey{}, ErrSigningKey
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(file)), markPlugins(ids)...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return SigningKey{}, errors.New("the signing key file is not encrypted to your identity")
		}
		if pe := (*PluginError)(nil); errors.As(err, &pe) {
			return SigningKey{}, pe
		}
		return SigningKey{}, ErrSigningKey
	}
	plain, err := io.ReadAll(io.LimitReader(r, 256))
	defer clear(plain)
	if err != nil {
		return SigningKey{}, ErrSigningKey
	}
	b64, ok := strings.CutPrefix(strings.TrimSpace(string(plain)), signingPrivatePrefix)
	seed, err := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok || err != nil || len(seed) != ed25519.SeedSize {
		return SigningKey{}, ErrSigningKey
	}
	defer clear(seed)
	return SigningKey{ed25519.NewKeyFromSeed(seed)}, nil
}
