package crypto

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"filippo.io/age"
)

// ReceiptChars is the number of base32 characters in a receipt: 125 bits.
const ReceiptChars = 25

// MinReceiptKeySize is the minimum size of the server's receipt key.
const MinReceiptKeySize = 32

// ErrBadReceipt is returned by ParseReceipt for input that cannot be a receipt.
var ErrBadReceipt = errors.New("that is not a receipt code: it has 25 letters and digits, in five groups of five")

// Receipt is a reporter's secret receipt code, in canonical form (25
// characters of the RFC 4648 base32 alphabet, no separators).
type Receipt struct{ code string }

// NewReceipt returns a fresh random receipt.
func NewReceipt() Receipt {
	return Receipt{code: rand.Text()[:ReceiptChars]}
}

// ParseReceipt normalises what a person typed: case, spaces and hyphens are
// ignored, and the digits 0, 1 and 8 (absent from the alphabet) are read as
// the letters O, I and B they resemble.
func ParseReceipt(s string) (Receipt, error) {
	if len(s) > 4*ReceiptChars {
		return Receipt{}, ErrBadReceipt
	}
	for _, c := range s {
		if c > 0x7f { // strings.ToUpper would turn some non-ASCII letters into ASCII ones
			return Receipt{}, ErrBadReceipt
		}
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == ' ' || c == '-' || c == '\t':
			continue
		case c == '0':
			c = 'O'
		case c == '1':
			c = 'I'
		case c == '8':
			c = 'B'
		case (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'):
		default:
			return Receipt{}, ErrBadReceipt
		}
		b.WriteRune(c)
	}
	if b.Len() != ReceiptChars {
		return Receipt{}, ErrBadReceipt
	}
	return Receipt{code: b.String()}, nil
}

// String returns the receipt grouped for reading aloud or copying:
// XXXXX-XXXXX-XXXXX-XXXXX-XXXXX.
func (r Receipt) String() string {
	var b strings.Builder
	for i := 0; i < len(r.code); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(r.code[i:min(i+5, len(r.code))])
	}
	return b.String()
}

// LookupHash is what the database stores: HMAC-SHA256 of the receipt under
// the server's receipt key. It supports lookup by equality and, without the
// key, does not even allow testing a guess.
func (r Receipt) LookupHash(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("reprisals/receipt-lookup/v1\x00"))
	m.Write([]byte(r.code))
	return m.Sum(nil)
}

// ReplyIdentity derives the reporter's X25519 reply identity from the
// receipt alone. The server stores only its recipient; handlers encrypt
// replies to it, and only someone holding the receipt can decrypt them.
func (r Receipt) ReplyIdentity() *age.X25519Identity {
	scalar, err := hkdf.Key(sha256.New, []byte(r.code), nil, "reprisals/reply-key/v1", 32)
	if err != nil {
		panic("crypto: hkdf: " + err.Error()) // only fails for oversized output
	}
	id, err := age.ParseX25519Identity(bech32Encode("AGE-SECRET-KEY-", scalar))
	if err != nil {
		panic("crypto: derived identity does not parse: " + err.Error())
	}
	return id
}

// ParseReceiptKey decodes the server's receipt key from its file form: hex,
// surrounding white space ignored, at least MinReceiptKeySize bytes.
func ParseReceiptKey(s string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("the receipt key must be hex (as written by 'reprisals keygen -receipt-key')")
	}
	if len(key) < MinReceiptKeySize {
		return nil, errors.New("the receipt key must be at least 32 bytes (64 hex characters)")
	}
	return key, nil
}

// NewReceiptKey returns a fresh receipt key in its file form.
func NewReceiptKey() string {
	key := make([]byte, MinReceiptKeySize)
	rand.Read(key)
	return hex.EncodeToString(key) + "\n"
}
