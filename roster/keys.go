package roster

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Key string prefixes.
const (
	publicPrefix  = "reprisals-roster-key-ed25519:"
	privatePrefix = "REPRISALS-ROSTER-SECRET-KEY-ED25519:"
)

// PublicKey is a roster key's public half, which handlers pin.
type PublicKey struct{ k ed25519.PublicKey }

// PrivateKey is a roster key, held offline by a key custodian.
type PrivateKey struct{ k ed25519.PrivateKey }

// GenerateKey returns a new roster key.
func GenerateKey() (PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	return PrivateKey{k}, err
}

// Public returns the key's public half.
func (p PrivateKey) Public() PublicKey { return PublicKey{p.k.Public().(ed25519.PublicKey)} }

// String encodes the private key for its file. Keep it offline.
func (p PrivateKey) String() string {
	return privatePrefix + base64.StdEncoding.EncodeToString(p.k.Seed())
}

// ParsePrivateKey reads a private key written by String. Errors never
// quote the input.
func ParsePrivateKey(s string) (PrivateKey, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), privatePrefix)
	seed, err := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok || err != nil || len(seed) != ed25519.SeedSize {
		return PrivateKey{}, errors.New("not a roster secret key (" + privatePrefix + "...)")
	}
	return PrivateKey{ed25519.NewKeyFromSeed(seed)}, nil
}

// String encodes the public key.
func (p PublicKey) String() string {
	return publicPrefix + base64.StdEncoding.EncodeToString(p.k)
}

// ParsePublicKey reads a public key written by String.
func ParsePublicKey(s string) (PublicKey, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), publicPrefix)
	k, err := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok || err != nil || len(k) != ed25519.PublicKeySize {
		return PublicKey{}, fmt.Errorf("not a roster public key (%s...)", publicPrefix)
	}
	return PublicKey{ed25519.PublicKey(k)}, nil
}

// Fingerprint is what custodians read out to handlers to confirm a pin:
// the first 16 bytes of the key's SHA-256, in eight groups of four hex
// digits.
func (p PublicKey) Fingerprint() string {
	sum := sha256.Sum256(p.k)
	h := hex.EncodeToString(sum[:16])
	var groups []string
	for i := 0; i < len(h); i += 4 {
		groups = append(groups, h[i:i+4])
	}
	return strings.Join(groups, " ")
}

// Equal reports whether two public keys are the same.
func (p PublicKey) Equal(q PublicKey) bool { return p.k.Equal(q.k) }
