package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// openFile decrypts a whole age file held in memory into one buffer of
// exactly the plaintext's size, with age doing everything but the
// payload: the header is parsed, the identities tried and the header MAC
// checked by age.DecryptHeader, and only the payload (the STREAM of
// ChaCha20-Poly1305 chunks) is decrypted here, by the age specification
// (age-encryption.org/v1, "Payload"), as age's internal/stream does.
//
// age.Decrypt allocates two 64 KiB buffers for every file (its stream
// reader holds one, and each chunk is opened into another before it is
// copied), which for an inbox of small reports was three quarters of all
// the memory allocated and much of the garbage collector's work. Here a
// report of 4 KiB costs one buffer of 4 KiB, and nothing is copied.
//
// What opens and what does not is exactly as with age.Decrypt:
// TestOpenFileMatchesAge and FuzzOpenFile hold it to age's answer
// (plaintext, or a refusal) for every file, altered, cut and extended.
// limit bounds the plaintext; the caller clears it.
func openFile(ciphertext []byte, ids []age.Identity, limit int) ([]byte, error) {
	n := headerLength(ciphertext)
	if n < 0 {
		// No closing line: not an age file age accepts. Let age say why.
		if _, err := age.Decrypt(bytes.NewReader(ciphertext), ids...); err != nil {
			return nil, err
		}
		return nil, errors.New("failed to read header: no closing line")
	}
	fileKey, err := age.DecryptHeader(ciphertext[:n], ids...)
	if err != nil {
		return nil, err
	}
	defer clear(fileKey)
	return openPayload(fileKey, ciphertext[n:], limit)
}

// headerLength returns the length of an age file's header: up to and
// including the first line that begins with "---" (its closing line,
// with the header MAC), or -1 when there is none.
//
// In every file that age accepts, that line is the header's end: the
// intro line is fixed, a stanza's opening line begins with "-> ", and its
// body lines are base64, which has no '-'. In a file that age refuses for
// its header, the lines up to that one are the same lines age reads, so
// age.DecryptHeader of this prefix refuses it too (TestHeaderLength,
// FuzzOpenFile).
func headerLength(file []byte) int {
	i := bytes.Index(file, []byte("\n---"))
	if i < 0 {
		return -1
	}
	j := bytes.IndexByte(file[i+1:], '\n')
	if j < 0 {
		return -1
	}
	return i + 1 + j + 1
}

// The payload's layout (age-encryption.org/v1): a 16-byte nonce, then
// chunks of 64 KiB of plaintext, each sealed with ChaCha20-Poly1305.
const (
	payloadNonceSize = 16
	payloadChunkSize = 64 << 10
	payloadSealed    = payloadChunkSize + chacha20poly1305.Overhead
)

// errPayloadSize is a payload whose length no age file can have (a last
// chunk shorter than its tag, or empty after others): age refuses these
// when it reaches the end.
var errPayloadSize = errors.New("invalid encrypted payload size")

// openPayload decrypts an age payload with the file key. The key of the
// stream is HKDF-SHA-256 of the file key, salted with the nonce, labelled
// "payload"; chunk i is opened with the 12-byte nonce of i as an 11-byte
// big-endian counter and a last byte of 1 for the last chunk, 0 before.
// Every chunk but the last is full; the last may be full or shorter, and
// is empty only when it is the only one (an empty file). Nothing may
// follow it.
func openPayload(fileKey, payload []byte, limit int) ([]byte, error) {
	if len(payload) < payloadNonceSize {
		return nil, errors.New("failed to read nonce: unexpected EOF")
	}
	nonce, body := payload[:payloadNonceSize], payload[payloadNonceSize:]
	// The plaintext's size follows from the payload's, as in age's
	// stream.PlaintextSize: every chunk carries a 16-byte tag.
	chunks := (len(body) + payloadSealed - 1) / payloadSealed
	size := len(body) - chunks*chacha20poly1305.Overhead
	want := (size + payloadChunkSize - 1) / payloadChunkSize
	if size == 0 {
		want = 1
	}
	if size < 0 || want != chunks {
		return nil, errPayloadSize
	}
	if size > limit {
		return nil, errors.New("decrypted content is larger than the client accepts")
	}
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	// Every chunk is at least a tag long (checked above), so the chunks'
	// plaintexts fill this buffer exactly: Open appends in place and never
	// grows it into a second copy.
	out := make([]byte, 0, size)
	fail := func(err error) ([]byte, error) { clear(out[:cap(out)]); return nil, err }
	var n [chacha20poly1305.NonceSize]byte
	for {
		if len(body) == 0 {
			// A message cannot end without a chunk marked last.
			return fail(errPayloadSize)
		}
		chunk := body[:min(len(body), payloadSealed)]
		body = body[len(chunk):]
		last := len(chunk) < payloadSealed
		if last {
			n[len(n)-1] = 1
		}
		plain, err := aead.Open(out, n[:], chunk, nil)
		if err != nil && !last {
			// A full chunk may be the last one.
			last = true
			n[len(n)-1] = 1
			plain, err = aead.Open(out, n[:], chunk, nil)
		}
		if err != nil {
			return fail(errors.New("failed to decrypt and authenticate payload chunk, file may be corrupted or tampered with"))
		}
		out = plain
		if last {
			if len(body) > 0 {
				return fail(errors.New("trailing data after end of encrypted file"))
			}
			return out, nil
		}
		incPayloadNonce(&n)
	}
}

// incPayloadNonce counts n on to the next chunk's nonce (the last byte,
// the flag, stays 0).
func incPayloadNonce(n *[chacha20poly1305.NonceSize]byte) {
	for i := len(n) - 2; i >= 0; i-- {
		n[i]++
		if n[i] != 0 {
			return
		}
	}
	panic("crypto: the payload's chunk counter wrapped around") // 2^88 chunks: unreachable
}
