package intermediary

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: about a quarter of a second and 64 MiB per hash on
// the development machine. hashSlots bounds how many run at once, so a
// burst of sign-ins cannot exhaust memory; a request whose client has gone
// leaves the queue without hashing.
const (
	argonTime    = 3
	argonMemory  = 64 << 10 // KiB
	argonThreads = 2
	hashSlots    = 2
)

var hashSem = make(chan struct{}, hashSlots)

// legacySem is the one slot for Argon2id work that no quick check has
// screened: a password for an account from before quick checks (migration
// 012), and, while any such account exists, the dummy hash of an unknown
// name. A flood of wrong passwords on that path fills only this slot, and
// never keeps an account that has a quick check waiting.
var legacySem = make(chan struct{}, 1)

// hashWait bounds how long a sign-in waits for a hash slot: under a flood
// of sign-ins, staff get "busy, try again" instead of an endless wait.
var hashWait = 30 * time.Second

// ErrBusy is a sign-in that could not get a hash slot in time.
var ErrBusy = errors.New("sign-in is busy")

// hashPassword waits for a hash slot, unless ctx ends or hashWait passes
// first, and hashes.
func hashPassword(ctx context.Context, password string, salt []byte) ([]byte, error) {
	return hashIn(ctx, hashSem, password, salt)
}

// hashIn is hashPassword with a slot from sem.
func hashIn(ctx context.Context, sem chan struct{}, password string, salt []byte) ([]byte, error) {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, ErrBusy
	}
	defer func() { <-sem }()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, 32), nil
}

// checkBytes is the size of a password's quick check.
const checkBytes = 4

// passwordCheck is a password's quick check: the first checkBytes of
// HMAC-SHA256, under a key derived from the receipt key, of the account's
// salt and the password. It refuses all but one wrong password in 2^32
// without Argon2id work. It weakens nothing: a password is about 100 random
// bits made by the server, and the check is keyed with a secret that is not
// in the database, so a stolen database holds nothing to test guesses
// against, and even with the key 32 bits say almost nothing about 100.
func passwordCheck(key []byte, password string, salt []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(salt)
	m.Write([]byte{0})
	m.Write([]byte(password))
	return m.Sum(nil)[:checkBytes]
}

// checkPassword hashes password in a slot from sem and compares.
func checkPassword(ctx context.Context, sem chan struct{}, password string, salt, hash []byte) (bool, error) {
	h, err := hashIn(ctx, sem, password, salt)
	return err == nil && subtle.ConstantTimeCompare(h, hash) == 1, err
}

// newPassword returns a random password of 20 characters (about 100 bits).
func newPassword() string {
	b := make([]byte, 13)
	rand.Read(b)
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
	return s[:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:]
}

// TOTP: RFC 6238 with SHA-1, 30-second steps and 6 digits, which every
// authenticator app supports.
const (
	totpStep   = 30
	totpDigits = 6
)

// totpCode returns the code for step.
func totpCode(secret []byte, step uint64) string {
	m := hmac.New(sha1.New, secret)
	binary.Write(m, binary.BigEndian, step)
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// matchTOTP returns the step that code is valid for at now (allowing one
// step of clock drift either way), or 0.
func matchTOTP(secret []byte, code string, now time.Time) uint64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0
	}
	cur := uint64(now.Unix()) / totpStep
	for _, step := range []uint64{cur, cur - 1, cur + 1} {
		if subtle.ConstantTimeCompare([]byte(totpCode(secret, step)), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}

// sealSecret and openSecret keep TOTP secrets encrypted in the database
// (AES-256-GCM under a key derived from the receipt key): a stolen database
// alone does not yield the second factors.
func sealSecret(key, secret []byte) []byte {
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, secret, []byte("reprisals/totp"))
}

func openSecret(key, sealed []byte) ([]byte, error) {
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("intermediary: sealed secret too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte("reprisals/totp"))
}

// Code returns the TOTP code of a base32 secret (as handed to staff) at t,
// as an authenticator app would show it.
func Code(secret string, t time.Time) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", err
	}
	return totpCode(key, uint64(t.Unix())/totpStep), nil
}
