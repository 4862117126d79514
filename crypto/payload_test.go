package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// ageOpen is the reference: age.Decrypt, read to the end.
func ageOpen(file []byte, ids ...age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(file), ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// sameAsAge checks that openFile gives age's answer for file: the same
// plaintext, or a refusal (of the same kind, for a wrong identity).
func sameAsAge(t *testing.T, name string, file []byte, ids ...age.Identity) {
	t.Helper()
	want, wantErr := ageOpen(file, ids...)
	got, err := openFile(file, ids, maxOpenSize)
	var nmGot, nmWant *age.NoIdentityMatchError
	switch {
	case (err == nil) != (wantErr == nil):
		t.Errorf("%s: openFile error %v, age error %v", name, err, wantErr)
	case err == nil && !bytes.Equal(got, want):
		t.Errorf("%s: openFile gives %d bytes, age %d, not the same", name, len(got), len(want))
	case err == nil && cap(got) != len(got):
		t.Errorf("%s: plaintext of %d bytes in a buffer of %d", name, len(got), cap(got))
	case err != nil && asNoMatch(err, &nmGot) != asNoMatch(wantErr, &nmWant):
		t.Errorf("%s: openFile error %v, age error %v: not the same kind", name, err, wantErr)
	}
}

func asNoMatch(err error, nm **age.NoIdentityMatchError) bool {
	e, ok := err.(*age.NoIdentityMatchError)
	*nm = e
	return ok
}

// keyCatcher is a recipient that records the file key it wraps, so that
// a test can write payloads of its own under a real header.
type keyCatcher struct {
	age.Recipient
	key []byte
}

func (k *keyCatcher) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	k.key = bytes.Clone(fileKey)
	return k.Recipient.Wrap(fileKey)
}

// fileWithKey encrypts plain to id with age and returns the file, its
// header's length and its file key.
func fileWithKey(t testing.TB, id *age.X25519Identity, plain []byte) ([]byte, int, []byte) {
	t.Helper()
	other, _ := age.GenerateX25519Identity()
	kc := &keyCatcher{Recipient: id.Recipient()}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, other.Recipient(), kc)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	hdr, err := age.ExtractHeader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(file, hdr) || headerLength(file) != len(hdr) {
		t.Fatalf("headerLength %d, age's header %d bytes", headerLength(file), len(hdr))
	}
	return file, len(hdr), kc.key
}

// chunk is one chunk of a hand-written payload: its plaintext and its
// nonce's counter and last flag.
type chunk struct {
	plain   []byte
	counter uint64
	last    bool
}

// writePayload seals chunks as age's STREAM does, with the given nonce,
// whatever their order, counters and flags.
func writePayload(t testing.TB, fileKey, nonce []byte, chunks []chunk) []byte {
	t.Helper()
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := chacha20poly1305.New(key)
	out := bytes.Clone(nonce)
	for _, c := range chunks {
		var n [chacha20poly1305.NonceSize]byte
		for i := 10; i >= 3; i-- {
			n[i] = byte(c.counter >> (8 * (10 - i)))
		}
		if c.last {
			n[11] = 1
		}
		out = aead.Seal(out, n[:], c.plain, nil)
	}
	return out
}

// split cuts plain into age's chunks, the last one marked.
func split(plain []byte) []chunk {
	var out []chunk
	for i := 0; ; i++ {
		n := min(len(plain), payloadChunkSize)
		out = append(out, chunk{plain: plain[:n], counter: uint64(i)})
		plain = plain[n:]
		if len(plain) == 0 {
			break
		}
	}
	out[len(out)-1].last = true
	return out
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// TestOpenFileMatchesAge: for files of every shape of payload (empty, one
// byte, a chunk less one, a whole chunk, a chunk and one, several), intact,
// cut at every boundary, altered in every part, extended, and with
// payloads written by hand (chunks swapped, skipped or repeated, the last
// flag missing, misplaced or doubled, an empty last chunk after others),
// openFile gives age.Decrypt's answer: the same plaintext, or a refusal.
// The hand-written payload with age's own layout is age's byte for byte.
func TestOpenFileMatchesAge(t *testing.T) {
	me, _ := age.GenerateX25519Identity()
	stranger, _ := age.GenerateX25519Identity()
	for _, size := range []int{0, 1, 100, 4096, payloadChunkSize - 1, payloadChunkSize, payloadChunkSize + 1, 2 * payloadChunkSize, 2*payloadChunkSize + 17} {
		plain := pattern(size)
		file, hdr, fileKey := fileWithKey(t, me, plain)
		name := func(s string) string { return fmt.Sprintf("%d bytes, %s", size, s) }
		sameAsAge(t, name("intact"), file, me)
		if got, err := openFile(file, []age.Identity{me}, maxOpenSize); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s: %v", name("intact"), err)
		}
		sameAsAge(t, name("a stranger's identity"), file, stranger)
		sameAsAge(t, name("remembered identities"), file, RememberStanza([]age.Identity{stranger, me})...)
		nonce := file[hdr : hdr+payloadNonceSize]
		if mine := writePayload(t, fileKey, nonce, split(plain)); !bytes.Equal(mine, file[hdr:]) {
			t.Fatalf("%s: a payload written by the specification is not age's", name("by hand"))
		}

		// Cut and extended.
		cuts := []int{0, 1, hdr - 1, hdr, hdr + 1, hdr + payloadNonceSize - 1, hdr + payloadNonceSize,
			hdr + payloadNonceSize + 15, hdr + payloadNonceSize + 16, len(file) - 17, len(file) - 16, len(file) - 1}
		for c := hdr + payloadNonceSize; c < len(file); c += payloadSealed {
			cuts = append(cuts, c-1, c, c+1)
		}
		for _, c := range cuts {
			if c >= 0 && c < len(file) {
				sameAsAge(t, name(fmt.Sprintf("cut to %d of %d", c, len(file))), file[:c], me)
			}
		}
		sameAsAge(t, name("a byte more"), append(bytes.Clone(file), 0), me)
		sameAsAge(t, name("a tag more"), append(bytes.Clone(file), make([]byte, 16)...), me)
		// Altered: in the header, the MAC, the nonce, each chunk, each tag.
		flips := []int{0, 30, hdr - 10, hdr - 2, hdr, hdr + payloadNonceSize - 1, len(file) - 1, len(file) - 17}
		for c := hdr + payloadNonceSize; c < len(file); c += payloadSealed {
			flips = append(flips, c, c+payloadSealed-1)
		}
		for _, f := range flips {
			if f >= 0 && f < len(file) {
				bad := bytes.Clone(file)
				bad[f] ^= 0x20
				sameAsAge(t, name(fmt.Sprintf("byte %d of %d altered", f, len(file))), bad, me)
			}
		}

		// Hand-written payloads under the real header.
		head := file[:hdr]
		hand := func(s string, chunks []chunk) {
			sameAsAge(t, name(s), append(bytes.Clone(head), writePayload(t, fileKey, nonce, chunks)...), me)
		}
		cs := split(plain)
		hand("as age writes it", cs)
		hand("no chunk marked last", mark(cs, -1))
		hand("every chunk marked last", markAll(cs))
		hand("an empty last chunk after the others", append(mark(cs, -1), chunk{counter: uint64(len(cs)), last: true}))
		hand("an empty chunk marked last, then the others", append([]chunk{{last: true}}, renumber(cs, 1)...))
		hand("no chunks at all", nil)
		hand("the last chunk twice", append(slicesClone(cs), chunk{plain: cs[len(cs)-1].plain, counter: cs[len(cs)-1].counter, last: true}))
		hand("another nonce's counter", renumber(cs, 1))
		if len(cs) > 1 {
			sw := slicesClone(cs)
			sw[0], sw[1] = sw[1], sw[0]
			hand("the first two chunks swapped", sw)
			hand("the first chunk marked last", append([]chunk{{plain: cs[0].plain, last: true}}, cs[1:]...))
			hand("the second chunk left out", append([]chunk{cs[0]}, renumber(cs[2:], -1)...))
		}
		// Another nonce, same chunks: a different stream key.
		other := bytes.Clone(nonce)
		other[0] ^= 1
		sameAsAge(t, name("chunks sealed under another nonce"),
			append(append(bytes.Clone(head), nonce...), writePayload(t, fileKey, other, cs)[payloadNonceSize:]...), me)
	}
}

func slicesClone(cs []chunk) []chunk { return append([]chunk(nil), cs...) }

// mark returns cs with only chunk i marked last (-1: none).
func mark(cs []chunk, i int) []chunk {
	out := slicesClone(cs)
	for j := range out {
		out[j].last = j == i
	}
	return out
}

func markAll(cs []chunk) []chunk {
	out := slicesClone(cs)
	for j := range out {
		out[j].last = true
	}
	return out
}

// renumber returns cs with every counter moved by d.
func renumber(cs []chunk, d int) []chunk {
	out := slicesClone(cs)
	for j := range out {
		out[j].counter = uint64(int(out[j].counter) + d)
	}
	return out
}

// TestHeaderLength: the header ends at the first line that begins with
// "---"; a line like it inside a stanza makes age refuse the file, and
// openFile too.
func TestHeaderLength(t *testing.T) {
	me, _ := age.GenerateX25519Identity()
	file, hdr, _ := fileWithKey(t, me, []byte("hello"))
	for _, tc := range []struct {
		name string
		file []byte
		want int
	}{
		{"an age file", file, hdr},
		{"nothing", nil, -1},
		{"no closing line", file[:hdr-50], -1},
		{"a closing line without its newline", file[:hdr-1], -1},
		{"not an age file", []byte("hello\n---\n"), 10},
	} {
		if got := headerLength(tc.file); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// A "---" line inside the first stanza's body.
	lines := bytes.SplitAfter(file[:hdr], []byte("\n"))
	var bad []byte
	for i, l := range lines {
		bad = append(bad, l...)
		if i == 1 { // after the first stanza's opening line
			bad = append(bad, []byte("--- AAAA\n")...)
		}
	}
	bad = append(bad, file[hdr:]...)
	sameAsAge(t, "a closing line inside a stanza", bad, me)
	if _, err := openFile(bad, []age.Identity{me}, maxOpenSize); err == nil {
		t.Error("a file with a closing line inside a stanza opened")
	}
}

// TestOpenFileLimit: a plaintext over the limit is refused before it is
// decrypted.
func TestOpenFileLimit(t *testing.T) {
	me, _ := age.GenerateX25519Identity()
	file, _, _ := fileWithKey(t, me, pattern(1000))
	if _, err := openFile(file, []age.Identity{me}, 999); err == nil {
		t.Error("1,000 bytes opened with a limit of 999")
	}
	if got, err := openFile(file, []age.Identity{me}, 1000); err != nil || len(got) != 1000 {
		t.Errorf("1,000 bytes with a limit of 1,000: %d bytes, %v", len(got), err)
	}
}

// FuzzOpenFile: for any file, openFile gives age's answer. The corpus is
// age files of several shapes with payloads as age writes them and as it
// does not; the fuzzer cuts, alters and extends them. The second half
// of the input, when fuzzing a shape, writes a payload by hand under a
// real header: plaintext length, which chunks are marked last, a cut and
// bytes appended.
func FuzzOpenFile(f *testing.F) {
	me, _ := age.GenerateX25519Identity()
	for _, size := range []int{0, 1, 5000, payloadChunkSize, payloadChunkSize + 1} {
		file, _, _ := fileWithKey(f, me, pattern(size))
		f.Add(file, uint32(0), uint8(0), uint32(0), []byte{})
		f.Add(file[:len(file)-1], uint32(size), uint8(1), uint32(1), []byte{0})
	}
	file, hdr, fileKey := fileWithKey(f, me, pattern(10))
	head, nonce := file[:hdr], file[hdr:hdr+payloadNonceSize]
	f.Fuzz(func(t *testing.T, file []byte, size uint32, marks uint8, cut uint32, tail []byte) {
		sameAsAge(t, "fuzzed file", file, me)
		// A payload by hand: up to three chunks and an empty one.
		plain := pattern(int(size % (3*payloadChunkSize + 2)))
		cs := split(plain)
		if marks&0x80 != 0 {
			cs = append(cs, chunk{counter: uint64(len(cs))})
		}
		for i := range cs {
			cs[i].last = marks&(1<<i) != 0
		}
		p := append(bytes.Clone(head), writePayload(t, fileKey, nonce, cs)...)
		if c := int(cut % uint32(len(p)+1)); cut != 0 {
			p = p[:len(p)-c%(len(p)-hdr+1)]
		}
		p = append(p, tail...)
		sameAsAge(t, "hand-written payload", p, me)
	})
}
