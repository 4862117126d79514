package desk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
)

// maxSigningKeyFile bounds the signing key file read from disk.
const maxSigningKeyFile = 16 << 10

// LoadSigningKey opens the handler's signing key, kept beside their
// identity file at identityPath (crypto.SigningKeyPath), with their
// identities. Without such a file it returns the zero key and no error:
// the handler has none yet (Prepare then refuses replies).
func LoadSigningKey(identityPath string, ids []age.Identity) (crypto.SigningKey, error) {
	if identityPath == "" {
		return crypto.SigningKey{}, nil
	}
	path := crypto.SigningKeyPath(identityPath)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return crypto.SigningKey{}, nil
	}
	if err != nil {
		return crypto.SigningKey{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSigningKeyFile+1))
	if err != nil {
		return crypto.SigningKey{}, err
	}
	k, err := crypto.OpenSigningKey(b, ids...)
	if err != nil {
		return crypto.SigningKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ErrSigningKeyExists: the identity already has a signing key file.
var ErrSigningKeyExists = errors.New("this identity already has a signing key")

// MakeSigningKey makes a signing key for the identity file at
// identityPath: sealed with age to rec (the handler's own recipient, a
// hardware key's included), checked to open with ids before it is kept,
// and written beside the identity (mode 0600, never over an existing
// file). It returns the public key, for the handler to give their key
// custodian.
func MakeSigningKey(identityPath string, rec crypto.Recipient, ids []age.Identity) (crypto.SigningPublicKey, error) {
	path := crypto.SigningKeyPath(identityPath)
	if _, err := os.Stat(path); err == nil {
		return crypto.SigningPublicKey{}, fmt.Errorf("%s: %w", path, ErrSigningKeyExists)
	}
	file, pub, err := crypto.NewSigningKeyFile(rec)
	if err != nil {
		return crypto.SigningPublicKey{}, err
	}
	k, err := crypto.OpenSigningKey(file, ids...)
	if err != nil || !k.Public().Equal(pub) {
		return crypto.SigningPublicKey{}, errors.New("the new signing key does not open with your identity (is the recipient your identity's own?): nothing was saved")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return crypto.SigningPublicKey{}, err
	}
	if _, err := f.Write(file); err != nil {
		f.Close()
		os.Remove(path)
		return crypto.SigningPublicKey{}, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return crypto.SigningPublicKey{}, err
	}
	return pub, nil
}
