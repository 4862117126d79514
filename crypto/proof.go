package crypto

import (
	"bufio"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// A proof of receipt is a short signed statement the reporter may keep:
// the service received, on a given day, a report with a given reference
// whose stored ciphertext has a given SHA-256. It is signed with an
// Ed25519 key derived from the receipt key (ProofKey), which signs and
// decrypts nothing else. Anyone with the public key can check it offline.
//
// The text form, which VerifyProof reads back:
//
//	Proof of receipt: reprisals reporting service
//	reference: 7KQ4-M2XD
//	received: 2026-11-29
//	sha256: 3b1f…(64 hex digits)
//	key: ed25519:Base64PublicKey
//	signature: Base64Signature
//
// The signature covers proofContext and the reference, received and sha256
// lines exactly as written (LF line ends).

// Proof is what a proof of receipt states.
type Proof struct {
	Reference string    // such as 7KQ4-M2XD
	Received  time.Time // the UTC day
	SHA256    [32]byte  // of the stored ciphertext, as stored at the time
}

// ErrBadProof is a statement that is not a proof signed by the given key.
var ErrBadProof = errors.New("this is not a valid proof of receipt from this service")

const (
	proofContext = "reprisals/proof-of-receipt/v1\n"
	proofTitle   = "Proof of receipt: reprisals reporting service"
	// MaxProofSize bounds a statement given to VerifyProof.
	MaxProofSize = 2048
)

// ProofKey derives the service's proof-of-receipt signing key from the
// receipt key.
func ProofKey(receiptKey []byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(DeriveKey(receiptKey, "reprisals/proof-of-receipt-key/v1"))
}

// ProofPublicKey is the public key in the form proofs name it:
// "ed25519:" and the standard base64 of the 32 bytes.
func ProofPublicKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// ParseProofPublicKey reads a key written by ProofPublicKey.
func ParseProofPublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "ed25519:"))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not a proof-of-receipt key (ed25519: and 44 base64 characters)")
	}
	return ed25519.PublicKey(b), nil
}

func (p Proof) body() string {
	return fmt.Sprintf("reference: %s\nreceived: %s\nsha256: %s\n", p.Reference, p.Received.UTC().Format(time.DateOnly), hex.EncodeToString(p.SHA256[:]))
}

// SignProof returns the text of a signed proof.
func SignProof(key ed25519.PrivateKey, p Proof) string {
	body := p.body()
	sig := ed25519.Sign(key, []byte(proofContext+body))
	return proofTitle + "\n" + body +
		"key: " + ProofPublicKey(key.Public().(ed25519.PublicKey)) + "\n" +
		"signature: " + base64.StdEncoding.EncodeToString(sig) + "\n"
}

var (
	proofReference = regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}$`)
	proofSHA       = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// VerifyProof checks a statement from SignProof against the service's
// public key pub (never against the key the statement names, which anyone
// could replace) and returns what it states. Blank lines, surrounding
// white space and CRLF line ends (from copying) are tolerated; anything
// else is ErrBadProof.
func VerifyProof(pub ed25519.PublicKey, text string) (Proof, error) {
	if len(text) > MaxProofSize {
		return Proof{}, ErrBadProof
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	title := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !title {
			if line != proofTitle {
				return Proof{}, ErrBadProof
			}
			title = true
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			return Proof{}, ErrBadProof
		}
		if _, dup := fields[k]; dup {
			return Proof{}, ErrBadProof
		}
		fields[k] = v
	}
	if sc.Err() != nil || len(fields) != 5 {
		return Proof{}, ErrBadProof
	}
	var p Proof
	p.Reference = fields["reference"]
	day, err := time.Parse(time.DateOnly, fields["received"])
	if err != nil || !proofReference.MatchString(p.Reference) || !proofSHA.MatchString(fields["sha256"]) {
		return Proof{}, ErrBadProof
	}
	p.Received = day
	hex.Decode(p.SHA256[:], []byte(fields["sha256"]))
	if fields["key"] != ProofPublicKey(pub) {
		return Proof{}, ErrBadProof
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(fields["signature"])
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, []byte(proofContext+p.body()), sig) {
		return Proof{}, ErrBadProof
	}
	return p, nil
}
