package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"time"
)

// SealBox encrypts and authenticates plaintext under a 32-byte server key
// (AES-256-GCM) until expires, bound to ad, and returns it in the token
// encoding. It is for data the server hands to a page and takes back from
// it unchanged, such as the replies shown on a return visit: the page
// holds only ciphertext, which nobody can read or forge without the key.
func SealBox(key, plaintext, ad []byte, expires time.Time) string {
	gcm := newGCM(key)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	msg := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	msg = append(msg, plaintext...)
	return tokenEncoding.EncodeToString(gcm.Seal(nonce, nonce, msg, ad))
}

// OpenBox checks and decrypts a box from SealBox; a box that is forged,
// bound to other ad, expired, or longer than maxLen characters is
// ErrBadToken.
func OpenBox(key []byte, box string, ad []byte, now time.Time, maxLen int) ([]byte, error) {
	if len(box) > maxLen {
		return nil, ErrBadToken
	}
	b, err := tokenEncoding.DecodeString(box)
	gcm := newGCM(key)
	if err != nil || len(b) < gcm.NonceSize()+gcm.Overhead()+8 {
		return nil, ErrBadToken
	}
	msg, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], ad)
	if err != nil || now.Unix() > int64(binary.BigEndian.Uint64(msg[:8])) {
		return nil, ErrBadToken
	}
	return msg[8:], nil
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("crypto: box key: " + err.Error())
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic("crypto: gcm: " + err.Error())
	}
	return gcm
}
