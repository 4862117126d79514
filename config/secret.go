// Secrets: values that print as "[redacted]", read from files of bounded
// size, and the configuration dump that shows no secret.

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxConfigFileSize bounds the config file and every *_FILE secret.
const maxConfigFileSize = 1 << 20

// Secret is a string that never prints its value.
type Secret string

func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret in %#v.
func (Secret) GoString() string { return `"[redacted]"` }

// MarshalText redacts the secret in TOML and JSON dumps.
func (s Secret) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte(""), nil
	}
	return []byte("[redacted]"), nil
}

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Receipts configures reporters' receipt codes.
type Receipts struct {
	// KeyFile holds the receipt key: at least 32 random bytes in hex, used
	// to hash receipts. Losing it makes existing receipts unusable.
	KeyFile string `toml:"key_file" env:"REPRISALS_RECEIPT_KEY_FILE"`
	// Key is the key in hex, from KeyFile or REPRISALS_RECEIPT_KEY.
	Key Secret `toml:"-" env:"REPRISALS_RECEIPT_KEY"`

	key []byte
}

// String and GoString keep the key out of %v and %#v of a Config: fmt
// prints unexported fields without calling their methods.
func (r Receipts) String() string { return fmt.Sprintf("{KeyFile:%s Key:[redacted]}", r.KeyFile) }

func (r Receipts) GoString() string { return r.String() }

// Dump returns the effective configuration as TOML with secrets redacted.
func (c Config) Dump() string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return "# cannot encode configuration: " + err.Error()
	}
	return b.String()
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, maxConfigFileSize+1)
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	if n > maxConfigFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigFileSize)
	}
	return data[:n], nil
}

// readSecretFile reads a secret file. The error never includes the content.
func readSecretFile(path string) (string, error) {
	data, err := readBounded(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", fmt.Errorf("cannot read %s: %v", path, pe.Err)
		}
		return "", err
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}
