package roster

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
)

// Signed is a roster's canonical text and its signatures: what custodians
// publish, the server stores and serves, and clients verify.
type Signed struct {
	Roster     string      `json:"roster"`
	Signatures []Signature `json:"signatures"`
}

// Signature is one roster key's Ed25519 signature over the roster text.
type Signature struct {
	Key       string `json:"key"`
	Signature []byte `json:"signature"`
}

// Errors of Verify.
var (
	ErrUnsigned = errors.New("the roster is not signed by enough of the team's roster keys")
)

// Sign returns r signed with key. An undated r is dated: signed now,
// valid for DefaultValidity.
func Sign(r Roster, key PrivateKey) (Signed, error) {
	if !r.Dated() && r.Signed.IsZero() {
		r.Signed = time.Now().UTC().Truncate(time.Second)
		r.Expires = r.Signed.Add(DefaultValidity)
	}
	if err := r.Check(); err != nil {
		return Signed{}, err
	}
	s := Signed{Roster: string(r.Marshal())}
	return s.AddSignature(key)
}

// AddSignature returns s with key's signature added (a second custodian
// co-signing). A key that already signed is not added twice.
func (s Signed) AddSignature(key PrivateKey) (Signed, error) {
	if _, err := Parse([]byte(s.Roster)); err != nil {
		return Signed{}, err
	}
	pub := key.Public().String()
	out := Signed{Roster: s.Roster}
	for _, sig := range s.Signatures {
		if sig.Key != pub {
			out.Signatures = append(out.Signatures, sig)
		}
	}
	out.Signatures = append(out.Signatures, Signature{Key: pub, Signature: ed25519.Sign(key.k, []byte(s.Roster))})
	return out, nil
}

// Verify parses the roster and checks that at least threshold distinct
// keys of keys (at least one) signed it. Signatures by other keys are
// ignored.
func Verify(s Signed, keys []PublicKey, threshold int) (Roster, error) {
	if len(s.Signatures) > MaxSignatures {
		return Roster{}, fmt.Errorf("%w: too many signatures", ErrInvalid)
	}
	r, err := Parse([]byte(s.Roster))
	if err != nil {
		return Roster{}, err
	}
	threshold = max(threshold, 1)
	good := 0
	counted := map[string]bool{}
	for _, k := range keys {
		if counted[k.String()] {
			continue
		}
		counted[k.String()] = true
		for _, sig := range s.Signatures {
			pk, err := ParsePublicKey(sig.Key)
			if err != nil || !pk.Equal(k) {
				continue
			}
			if ed25519.Verify(k.k, []byte(s.Roster), sig.Signature) {
				good++
				break
			}
		}
	}
	if good < threshold {
		return Roster{}, ErrUnsigned
	}
	return r, nil
}
