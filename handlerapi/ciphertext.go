package handlerapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// Ciphertext is an age file as the handler API carries it in JSON: a
// base64 string (standard alphabet, padded), exactly as encoding/json
// writes and reads a []byte. Only reading differs, and only in speed.
type Ciphertext []byte

// UnmarshalJSON decodes a ciphertext as encoding/json decodes a []byte
// (the same bytes accepted, the same result), without its per-byte
// unquoting: an inbox page is megabytes of base64, and a JSON string
// without a backslash is its bytes as they are (encoding/json's scanner,
// which has already checked the page, refuses raw control characters in
// a string, and base64 refuses every byte outside its alphabet). Anything
// else (null, an escaped string, a number) goes through encoding/json
// itself. FuzzCiphertext holds it to encoding/json's answer.
func (c *Ciphertext) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' || bytes.IndexByte(b[1:len(b)-1], '\\') >= 0 {
		var raw []byte
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		*c = raw
		return nil
	}
	s := b[1 : len(b)-1]
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		return errNotBase64
	}
	*c = out[:n]
	return nil
}

var errNotBase64 = errors.New("a ciphertext that is not base64")
