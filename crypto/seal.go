package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"filippo.io/age"
)

// Padding buckets. Sizes are powers of two from MinBucket up to
// LinearBucketStep, then multiples of LinearBucketStep.
const (
	MinBucket        = 4 << 10
	LinearBucketStep = 1 << 20
)

// PaddedSize returns the bucket that n bytes of plaintext are padded to.
func PaddedSize(n int) int {
	if n >= LinearBucketStep {
		return (n + LinearBucketStep - 1) / LinearBucketStep * LinearBucketStep
	}
	size := MinBucket
	for size < n {
		size *= 2
	}
	return size
}

// Sealed is the output of Seal.
type Sealed struct {
	Ciphertext []byte // binary age file
	Bucket     int    // padded plaintext size in bytes: the only size that leaks
}

// Seal pads plaintext with ASCII spaces to its bucket and encrypts it to
// every recipient in one age file. The padding is only valid for formats
// that ignore trailing white space, such as JSON. plaintext is not modified.
func Seal(plaintext []byte, recipients []Recipient) (Sealed, error) {
	if len(recipients) == 0 {
		return Sealed{}, errors.New("crypto.Seal: no recipients")
	}
	if err := CheckCompatible(recipients); err != nil {
		return Sealed{}, fmt.Errorf("crypto.Seal: %w", err)
	}
	ars := make([]age.Recipient, len(recipients))
	for i, r := range recipients {
		ars[i] = r.r
	}
	bucket := PaddedSize(len(plaintext))
	// age adds a header (about 100-1,200 bytes per recipient) and 16 bytes
	// per 64 KiB chunk.
	var buf bytes.Buffer
	buf.Grow(bucket + 512 + 1300*len(ars) + 16*(bucket/(64<<10)+1))
	w, err := age.Encrypt(&buf, ars...)
	if err != nil {
		return Sealed{}, fmt.Errorf("crypto.Seal: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return Sealed{}, fmt.Errorf("crypto.Seal: %w", err)
	}
	if err := writeSpaces(w, bucket-len(plaintext)); err != nil {
		return Sealed{}, fmt.Errorf("crypto.Seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return Sealed{}, fmt.Errorf("crypto.Seal: %w", err)
	}
	return Sealed{Ciphertext: buf.Bytes(), Bucket: bucket}, nil
}

var spaces = bytes.Repeat([]byte{' '}, 4096)

func writeSpaces(w io.Writer, n int) error {
	for n > 0 {
		k := min(n, len(spaces))
		if _, err := w.Write(spaces[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// maxOpenSize bounds what Open will decrypt into memory.
const maxOpenSize = 256 << 20

// Open decrypts an age ciphertext with the given identities and returns the
// plaintext, padding included. It is for handler-side tools and tests: the
// server itself holds no identity for case content.
func Open(ciphertext []byte, identities ...age.Identity) ([]byte, error) {
	// age parses the header, tries the identities and checks the MAC;
	// the payload is decrypted into one buffer of the plaintext's size
	// (openFile), which costs no copies and leaves no stray copies of
	// plaintext behind for the caller's wipe to miss.
	return openFile(ciphertext, identities, maxOpenSize)
}

// MinAttachmentBucket is the smallest padded attachment size.
const MinAttachmentBucket = 64 << 10

// PadmeSize returns the padded size of an attachment of n bytes, by the
// Padmé scheme (Nikitin et al., PETS 2019): at most about 12% larger, and
// a stored size reveals only O(log log n) bits of the real one. Sizes
// below MinAttachmentBucket are padded to it.
func PadmeSize(n int64) int64 {
	if n <= MinAttachmentBucket {
		return MinAttachmentBucket
	}
	e := int64(63 - bits.LeadingZeros64(uint64(n)))   // floor(log2 n)
	s := int64(63-bits.LeadingZeros64(uint64(e))) + 1 // floor(log2 e) + 1
	mask := int64(1)<<(e-s) - 1
	return (n + mask) &^ mask
}
