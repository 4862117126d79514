package envelope

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// ReplySignatureContext begins every message a reply signature covers,
// so that a signature over a reply cannot be taken for one over anything
// else (a roster, another version of this format).
const ReplySignatureContext = "reprisals-reply-signature/v1"

// Why VerifyReply refused.
var (
	// ErrUnsigned is a reply without a signature (one planted in the
	// database, or written before replies were signed).
	ErrUnsigned = errors.New("envelope: the reply is not signed")
	// ErrBadSignature is a signature that does not verify over the
	// reply's reference, author, text and time with the key it names.
	ErrBadSignature = errors.New("envelope: the reply's signature does not verify")
)

// ReplyMessage is what a reply's signature covers: the context line, then
// the reference, author, text, signing time (RFC 3339, UTC, whole
// seconds) and the signer's public key, each preceded by its length as
// four bytes, big-endian, so no two replies share a message.
func ReplyMessage(n Note) []byte {
	fields := []string{n.Reference, n.Author, n.Text, n.Time.UTC().Format(time.RFC3339), n.Signer}
	size := len(ReplySignatureContext) + 1
	for _, f := range fields {
		size += 4 + len(f)
	}
	b := make([]byte, 0, size)
	b = append(b, ReplySignatureContext...)
	b = append(b, '\n')
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// SealReply returns the plaintext of a reply on case ref, signed with key
// at time at (truncated to whole seconds, UTC).
func SealReply(ref, author, text string, at time.Time, key crypto.SigningKey) ([]byte, error) {
	if key.IsZero() {
		return nil, errors.New("envelope: a reply is signed: no signing key")
	}
	n := Note{Version: Version, Kind: KindReply, Reference: ref, Author: author, Text: text,
		Time: at.UTC().Truncate(time.Second), Signer: key.Public().String()}
	msg := ReplyMessage(n)
	n.Signature = base64.StdEncoding.EncodeToString(key.Sign(msg))
	clear(msg)
	return marshalJSON(n)
}

// SealReplyTo encrypts a signed reply (SealReply) to recs.
func SealReplyTo(ref, author, text string, at time.Time, key crypto.SigningKey, recs []crypto.Recipient) ([]byte, error) {
	plain, err := SealReply(ref, author, text, at, key)
	if err != nil {
		return nil, err
	}
	return sealPlain(plain, recs)
}

// VerifyReply checks a bound reply's signature (OpenNote gave NoteBound)
// and returns the key that made it. It says nothing of whether that key
// may sign: the caller looks it up in the verified roster of one of the
// case's teams (roster.Roster.Signer), and a reply whose key no current
// roster lists is treated as unsigned.
func VerifyReply(n Note) (crypto.SigningPublicKey, error) {
	if n.Signer == "" && n.Signature == "" {
		return crypto.SigningPublicKey{}, ErrUnsigned
	}
	if n.Version != Version || n.Kind != KindReply || n.Reference == "" || n.Time.IsZero() || !n.Time.Equal(n.Time.Truncate(time.Second)) {
		return crypto.SigningPublicKey{}, ErrBadSignature
	}
	key, err := crypto.ParseSigningPublicKey(n.Signer)
	if err != nil {
		return crypto.SigningPublicKey{}, ErrBadSignature
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(n.Signature)
	if err != nil || base64.StdEncoding.EncodeToString(sig) != n.Signature {
		return crypto.SigningPublicKey{}, ErrBadSignature
	}
	msg := ReplyMessage(n)
	defer clear(msg)
	if !key.Verify(msg, sig) {
		return crypto.SigningPublicKey{}, ErrBadSignature
	}
	return key, nil
}
