package crypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/google/go-cmp/cmp"
)

// Keys are generated once per test binary run, never committed.

func newX25519(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newHybrid(t *testing.T) *age.HybridIdentity {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustRecipient(t *testing.T, s string) Recipient {
	t.Helper()
	r, err := ParseRecipient(s)
	if err != nil {
		t.Fatalf("ParseRecipient(%.12s...): %v", s, err)
	}
	return r
}

// assertNoSecret fails if msg contains secret, or any 12-character run of
// the part of secret after its "1" separator (the key material).
func assertNoSecret(t *testing.T, msg, secret string) {
	t.Helper()
	if secret == "" {
		return
	}
	if strings.Contains(strings.ToUpper(msg), strings.ToUpper(secret)) {
		t.Errorf("error text contains the secret: %q", msg)
		return
	}
	payload := secret[strings.LastIndex(secret, "1")+1:]
	for i := 0; i+12 <= len(payload); i += 6 {
		if strings.Contains(strings.ToUpper(msg), strings.ToUpper(payload[i:i+12])) {
			t.Errorf("error text contains key material %q: %q", payload[i:i+12], msg)
			return
		}
	}
}

// breakChecksum changes the last character of a bech32 string to another
// character of the alphabet, invalidating the checksum.
func breakChecksum(s string) string {
	last := s[len(s)-1]
	repl := byte('q')
	if last == 'q' {
		repl = 'p'
	}
	return s[:len(s)-1] + string(repl)
}

func TestParseRecipient(t *testing.T) {
	x := newX25519(t)
	x2 := newX25519(t)
	pq := newHybrid(t)
	xRec := x.Recipient().String()
	pqRec := pq.Recipient().String()
	pluginRec := plugin.EncodeRecipient("yubikey", bytes.Repeat([]byte{7}, 33))
	pluginID := plugin.EncodeIdentity("yubikey", bytes.Repeat([]byte{9}, 40))

	tests := []struct {
		name     string
		in       string
		want     string // canonical String() on success
		wantPQ   bool
		wantErr  bool
		wantIs   error  // if set, errors.Is(err, wantIs) must hold
		wantText string // if set, the error must contain it
		secret   string // must not appear in the error
	}{
		{name: "x25519", in: xRec, want: xRec},
		{name: "second x25519", in: x2.Recipient().String(), want: x2.Recipient().String()},
		{name: "hybrid post-quantum", in: pqRec, want: pqRec, wantPQ: true},
		{name: "surrounding white space", in: " \t" + xRec + "\r\n ", want: xRec},
		{name: "hybrid with white space", in: "\n" + pqRec + "  ", want: pqRec, wantPQ: true},
		{name: "x25519 identity", in: x.String(), wantErr: true, wantIs: ErrIdentityNotRecipient, wantText: "private key", secret: x.String()},
		{name: "x25519 identity lower case", in: strings.ToLower(x.String()), wantErr: true, wantIs: ErrIdentityNotRecipient, secret: x.String()},
		{name: "x25519 identity with white space", in: "  " + x.String() + "\n", wantErr: true, wantIs: ErrIdentityNotRecipient, secret: x.String()},
		{name: "hybrid identity", in: pq.String(), wantErr: true, wantIs: ErrIdentityNotRecipient, secret: pq.String()},
		{name: "hybrid identity lower case", in: strings.ToLower(pq.String()), wantErr: true, wantIs: ErrIdentityNotRecipient, secret: pq.String()},
		{name: "plugin identity", in: pluginID, wantErr: true, wantIs: ErrIdentityNotRecipient, secret: pluginID},
		{name: "plugin identity lower case", in: strings.ToLower(pluginID), wantErr: true, wantIs: ErrIdentityNotRecipient, secret: pluginID},
		{name: "plugin recipient", in: pluginRec, wantErr: true, wantText: "plugin", secret: pluginRec},
		{name: "ssh-ed25519", in: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@example.org", wantErr: true, wantText: "SSH"},
		{name: "ssh-rsa", in: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDxO38tKAJXIs9ivPxt7AY", wantErr: true, wantText: "SSH"},
		{name: "garbage", in: "correct horse battery staple", wantErr: true, secret: "correct horse battery staple"},
		{name: "empty", in: "", wantErr: true},
		{name: "only white space", in: " \t\n", wantErr: true},
		{name: "x25519 broken checksum", in: breakChecksum(xRec), wantErr: true, secret: breakChecksum(xRec)},
		{name: "x25519 truncated", in: xRec[:len(xRec)-10], wantErr: true},
		{name: "hybrid broken checksum", in: breakChecksum(pqRec), wantErr: true, secret: breakChecksum(pqRec)},
		{name: "bare age1", in: "age1", wantErr: true},
		{name: "bare age1pq1", in: "age1pq1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecipient(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseRecipient succeeded (%s), want error", got)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error %q is not %q", err, tt.wantIs)
				}
				if tt.wantIs == nil && errors.Is(err, ErrIdentityNotRecipient) {
					t.Errorf("error %q unexpectedly is ErrIdentityNotRecipient", err)
				}
				if tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not contain %q", err, tt.wantText)
				}
				assertNoSecret(t, err.Error(), tt.secret)
				if got != (Recipient{}) {
					t.Errorf("got non-zero Recipient %v on error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRecipient: %v", err)
			}
			if got.String() != tt.want {
				t.Errorf("String() = %q, want %q", got.String(), tt.want)
			}
			if got.PostQuantum() != tt.wantPQ {
				t.Errorf("PostQuantum() = %v, want %v", got.PostQuantum(), tt.wantPQ)
			}
			if got.r == nil {
				t.Error("parsed Recipient has no age.Recipient")
			}
		})
	}
}

func TestParseRecipientsFile(t *testing.T) {
	r1 := newX25519(t).Recipient().String()
	r2 := newX25519(t).Recipient().String()
	id := newX25519(t)
	pqID := newHybrid(t)

	comments := func(n int) string {
		// n bytes of comment lines, each "#...#\n" of at most 100 bytes.
		var b strings.Builder
		for b.Len() < n {
			k := min(100, n-b.Len())
			if k == 1 {
				b.WriteString("\n")
				continue
			}
			b.WriteString("#" + strings.Repeat("x", k-2) + "\n")
		}
		return b.String()
	}

	tests := []struct {
		name     string
		in       string
		want     []string
		wantErr  []string // substrings of the error
		wantIs   error
		secret   string
		notWants []string // must not appear in the error
	}{
		{name: "empty", in: "", want: nil},
		{name: "only comments and blanks", in: "# team keys\n\n   \n\t# indented\n", want: nil},
		{
			name: "comments and blank lines skipped",
			in:   "# alice\n" + r1 + "\n\n   # bob, indented comment\n  " + r2 + "  \n\n",
			want: []string{r1, r2},
		},
		{name: "CRLF line endings", in: "# keys\r\n" + r1 + "\r\n" + r2 + "\r\n", want: []string{r1, r2}},
		{name: "no final newline", in: r1 + "\n" + r2, want: []string{r1, r2}},
		{name: "commented-out identity is skipped", in: "# " + id.String() + "\n" + r1 + "\n", want: []string{r1}},
		{
			name:    "identity on line 3",
			in:      "# keys\n" + r1 + "\n" + id.String() + "\n" + r2 + "\n",
			wantErr: []string{"line 3", "private key"},
			wantIs:  ErrIdentityNotRecipient,
			secret:  id.String(),
		},
		{
			name:    "indented hybrid identity on line 5",
			in:      "\n\n# x\n\n   " + pqID.String() + "\n",
			wantErr: []string{"line 5"},
			wantIs:  ErrIdentityNotRecipient,
			secret:  pqID.String(),
		},
		{
			name:     "garbage on line 2",
			in:       r1 + "\nnot-a-key\n",
			wantErr:  []string{"line 2"},
			notWants: []string{"not-a-key"},
		},
		{name: "exactly 64 KiB", in: comments(64<<10-len(r1)-1) + r1 + "\n", want: []string{r1}},
		{name: "64 KiB plus one byte", in: comments(64<<10 + 1), wantErr: []string{"larger than"}},
		{name: "far over 64 KiB", in: r1 + "\n" + comments(1<<20), wantErr: []string{"larger than"}},
		{name: "one line over 64 KiB", in: "#" + strings.Repeat("x", 70<<10) + "\n", wantErr: []string{"reading recipients"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.name, "exactly") && len(tt.in) != 64<<10 {
				t.Fatalf("test input is %d bytes, want %d", len(tt.in), 64<<10)
			}
			got, err := ParseRecipientsFile(strings.NewReader(tt.in))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseRecipientsFile succeeded with %d recipients, want error", len(got))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				for _, w := range tt.notWants {
					if strings.Contains(err.Error(), w) {
						t.Errorf("error %q contains %q", err, w)
					}
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error %q is not %q", err, tt.wantIs)
				}
				assertNoSecret(t, err.Error(), tt.secret)
				if got != nil {
					t.Errorf("got %d recipients with the error, want nil", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRecipientsFile: %v", err)
			}
			var strs []string
			for _, r := range got {
				strs = append(strs, r.String())
			}
			if diff := cmp.Diff(tt.want, strs); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}

// errReader fails after returning its data.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestParseRecipientsFileReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := ParseRecipientsFile(errReader{boom})
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
}

func TestCheckCompatible(t *testing.T) {
	x1 := mustRecipient(t, newX25519(t).Recipient().String())
	x2 := mustRecipient(t, newX25519(t).Recipient().String())
	p1 := mustRecipient(t, newHybrid(t).Recipient().String())
	p2 := mustRecipient(t, newHybrid(t).Recipient().String())

	tests := []struct {
		name    string
		recs    []Recipient
		wantErr bool
	}{
		{name: "nil", recs: nil},
		{name: "empty", recs: []Recipient{}},
		{name: "one classic", recs: []Recipient{x1}},
		{name: "one post-quantum", recs: []Recipient{p1}},
		{name: "all classic", recs: []Recipient{x1, x2, x1}},
		{name: "all post-quantum", recs: []Recipient{p1, p2}},
		{name: "classic then post-quantum", recs: []Recipient{x1, p1}, wantErr: true},
		{name: "post-quantum then classic", recs: []Recipient{p1, x1}, wantErr: true},
		{name: "mixed at the end", recs: []Recipient{x1, x2, x1, p2}, wantErr: true},
		{name: "mixed in the middle", recs: []Recipient{p1, x2, p2}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCompatible(tt.recs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckCompatible error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "cannot be mixed") {
				t.Errorf("error %q does not explain the mix", err)
			}
		})
	}
}

func TestPaddedSize(t *testing.T) {
	tests := []struct{ n, want int }{
		{0, 4096},
		{1, 4096},
		{2048, 4096},
		{4095, 4096},
		{4096, 4096},
		{4097, 8192},
		{8192, 8192},
		{8193, 16384},
		{300 << 10, 512 << 10},
		{512<<10 + 1, 1 << 20},
		{1<<20 - 1, 1 << 20},
		{1 << 20, 1 << 20},
		{1<<20 + 1, 2 << 20},
		{3 << 20, 3 << 20},
		{3<<20 + 1, 4 << 20},
		{5<<20 + 3, 6 << 20},
	}
	for _, tt := range tests {
		if got := PaddedSize(tt.n); got != tt.want {
			t.Errorf("PaddedSize(%d) = %d, want %d", tt.n, got, tt.want)
		}
		if got := PaddedSize(tt.n); got < tt.n {
			t.Errorf("PaddedSize(%d) = %d is smaller than the input", tt.n, got)
		}
	}
}

func TestSealRoundTrip(t *testing.T) {
	alice, bob, mallory := newX25519(t), newX25519(t), newX25519(t)
	recs := []Recipient{
		mustRecipient(t, alice.Recipient().String()),
		mustRecipient(t, bob.Recipient().String()),
	}

	tests := []struct {
		name      string
		plaintext []byte
	}{
		{name: "empty", plaintext: nil},
		{name: "small JSON", plaintext: []byte(`{"name":"Ana","details":"détention arbitraire"}`)},
		{name: "exact bucket", plaintext: bytes.Repeat([]byte("a"), 4096)},
		{name: "one over bucket", plaintext: bytes.Repeat([]byte("b"), 4097)},
		{name: "binary with trailing spaces", plaintext: append([]byte{0, 1, 2, 255}, "   "...)},
		{name: "over one MiB", plaintext: bytes.Repeat([]byte("c"), 1<<20+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := bytes.Clone(tt.plaintext)
			sealed, err := Seal(tt.plaintext, recs)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if !bytes.Equal(tt.plaintext, orig) {
				t.Error("Seal modified its input")
			}
			if want := PaddedSize(len(tt.plaintext)); sealed.Bucket != want {
				t.Errorf("Bucket = %d, want PaddedSize(%d) = %d", sealed.Bucket, len(tt.plaintext), want)
			}
			if bytes.Contains(sealed.Ciphertext, []byte("détention")) {
				t.Error("ciphertext contains plaintext")
			}
			if !bytes.HasPrefix(sealed.Ciphertext, []byte("age-encryption.org/v1\n")) {
				t.Errorf("ciphertext is not a binary age file: %q", sealed.Ciphertext[:min(30, len(sealed.Ciphertext))])
			}
			want := append(bytes.Clone(tt.plaintext), bytes.Repeat([]byte(" "), sealed.Bucket-len(tt.plaintext))...)
			// Each identity, plain and as RememberStanza wraps it (the
			// key parsed once).
			for _, id := range []age.Identity{alice, bob, RememberStanza([]age.Identity{alice})[0], RememberStanza([]age.Identity{bob})[0]} {
				got, err := Open(sealed.Ciphertext, id)
				if err != nil {
					t.Fatalf("Open with %T: %v", id, err)
				}
				if len(got) != sealed.Bucket {
					t.Errorf("decrypted %d bytes, want bucket %d", len(got), sealed.Bucket)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("decrypted content differs from plaintext + spaces (len %d vs %d)", len(got), len(want))
				}
			}
			// Both identities at once also work.
			if _, err := Open(sealed.Ciphertext, mallory, bob); err != nil {
				t.Errorf("Open with an extra identity: %v", err)
			}
			_, err = Open(sealed.Ciphertext, mallory)
			var nm *age.NoIdentityMatchError
			if !errors.As(err, &nm) {
				t.Errorf("Open with an unrelated identity: error %v (%T), want *age.NoIdentityMatchError", err, err)
			}
		})
	}
}

func TestSealHidesLength(t *testing.T) {
	id := newX25519(t)
	recs := []Recipient{mustRecipient(t, id.Recipient().String())}

	seal := func(n int) Sealed {
		t.Helper()
		s, err := Seal(bytes.Repeat([]byte("x"), n), recs)
		if err != nil {
			t.Fatalf("Seal(%d bytes): %v", n, err)
		}
		return s
	}

	sameBucket := [][]int{
		{0, 1, 100, 4095, 4096},
		{4097, 6000, 8192},
		{1<<20 - 1, 700 << 10},
		{1<<20 + 1, 2 << 20},
	}
	var prevLen int
	for _, group := range sameBucket {
		first := seal(group[0])
		for _, n := range group[1:] {
			s := seal(n)
			if s.Bucket != first.Bucket {
				t.Errorf("Bucket(%d) = %d, Bucket(%d) = %d, want equal", group[0], first.Bucket, n, s.Bucket)
			}
			if len(s.Ciphertext) != len(first.Ciphertext) {
				t.Errorf("ciphertext length for %d bytes = %d, for %d bytes = %d: padding leaks the length",
					n, len(s.Ciphertext), group[0], len(first.Ciphertext))
			}
		}
		if len(first.Ciphertext) <= prevLen {
			t.Errorf("bucket %d: ciphertext length %d is not longer than the previous bucket's %d",
				first.Bucket, len(first.Ciphertext), prevLen)
		}
		prevLen = len(first.Ciphertext)
	}

	// Sealing the same plaintext twice gives different ciphertexts.
	a, b := seal(10), seal(10)
	if bytes.Equal(a.Ciphertext, b.Ciphertext) {
		t.Error("two seals of the same plaintext are identical")
	}
}

func TestSealErrors(t *testing.T) {
	x := mustRecipient(t, newX25519(t).Recipient().String())
	pq := mustRecipient(t, newHybrid(t).Recipient().String())
	tests := []struct {
		name string
		recs []Recipient
		want string
	}{
		{name: "nil recipients", recs: nil, want: "no recipients"},
		{name: "empty recipients", recs: []Recipient{}, want: "no recipients"},
		{name: "classic then post-quantum", recs: []Recipient{x, pq}, want: "cannot be mixed"},
		{name: "post-quantum then classic", recs: []Recipient{pq, x}, want: "cannot be mixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Seal([]byte("secret report"), tt.recs)
			if err == nil {
				t.Fatalf("Seal succeeded (%d bytes), want error", len(s.Ciphertext))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if s.Ciphertext != nil || s.Bucket != 0 {
				t.Errorf("Seal returned %+v with an error", s)
			}
		})
	}
}

func TestSealHybrid(t *testing.T) {
	a, b := newHybrid(t), newHybrid(t)
	other := newHybrid(t)
	recs := []Recipient{
		mustRecipient(t, a.Recipient().String()),
		mustRecipient(t, b.Recipient().String()),
	}
	plaintext := []byte(`{"post":"quantum"}`)
	sealed, err := Seal(plaintext, recs)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if sealed.Bucket != 4096 {
		t.Errorf("Bucket = %d, want 4096", sealed.Bucket)
	}
	want := append(bytes.Clone(plaintext), bytes.Repeat([]byte(" "), 4096-len(plaintext))...)
	for i, id := range []*age.HybridIdentity{a, b} {
		got, err := Open(sealed.Ciphertext, id)
		if err != nil {
			t.Fatalf("Open with identity %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("identity %d: decrypted content differs", i)
		}
	}
	var nm *age.NoIdentityMatchError
	if _, err := Open(sealed.Ciphertext, other); !errors.As(err, &nm) {
		t.Errorf("Open with unrelated identity: %v, want *age.NoIdentityMatchError", err)
	}
	// Hybrid ciphertexts of the same bucket also have equal lengths.
	s2, err := Seal(bytes.Repeat([]byte("y"), 4000), recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Ciphertext) != len(sealed.Ciphertext) {
		t.Errorf("hybrid ciphertext lengths %d and %d differ within one bucket", len(s2.Ciphertext), len(sealed.Ciphertext))
	}
}

func TestOpenErrors(t *testing.T) {
	id := newX25519(t)
	sealed, err := Seal([]byte("x"), []Recipient{mustRecipient(t, id.Recipient().String())})
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed.Ciphertext)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name string
		ct   []byte
	}{
		{name: "empty", ct: nil},
		{name: "not age", ct: []byte("hello world")},
		{name: "truncated", ct: sealed.Ciphertext[:len(sealed.Ciphertext)-20]},
		{name: "tampered", ct: tampered},
		{name: "a byte after the end", ct: append(bytes.Clone(sealed.Ciphertext), 0)},
		{name: "last chunk cut", ct: sealed.Ciphertext[:len(sealed.Ciphertext)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := Open(tt.ct, id); err == nil {
				t.Errorf("Open succeeded with %d bytes, want error", len(out))
			}
		})
	}
}

var receiptRE = regexp.MustCompile(`^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$`)

func TestNewReceipt(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		r := NewReceipt()
		s := r.String()
		if !receiptRE.MatchString(s) {
			t.Fatalf("receipt %q does not match %s", s, receiptRE)
		}
		if seen[s] {
			t.Fatalf("receipt %q generated twice", s)
		}
		seen[s] = true
		if len(r.code) != ReceiptChars {
			t.Fatalf("canonical code %q has %d characters, want %d", r.code, len(r.code), ReceiptChars)
		}
		back, err := ParseReceipt(s)
		if err != nil {
			t.Fatalf("ParseReceipt(%q): %v", s, err)
		}
		if back != r {
			t.Fatalf("ParseReceipt(%q) = %q, want %q", s, back, r)
		}
		if back, err := ParseReceipt(strings.ToLower(strings.ReplaceAll(s, "-", " "))); err != nil || back != r {
			t.Fatalf("ParseReceipt(lower-case %q) = %q, %v; want %q", s, back, err, r)
		}
	}
}

func TestParseReceipt(t *testing.T) {
	const canon = "ABCDEFGHIJKLMNOPQRSTUVW23"
	const grouped = "ABCDE-FGHIJ-KLMNO-PQRST-UVW23"
	tests := []struct {
		name string
		in   string
		want string // canonical code; "" means ErrBadReceipt
	}{
		{name: "grouped", in: grouped, want: canon},
		{name: "canonical", in: canon, want: canon},
		{name: "lower case", in: strings.ToLower(grouped), want: canon},
		{name: "mixed case", in: "aBcDe-FgHiJ-kLmNo-PqRsT-uVw23", want: canon},
		{name: "spaces", in: "ABCDE FGHIJ KLMNO PQRST UVW23", want: canon},
		{name: "tabs and padding", in: "\t ABCDE\tFGHIJ  KLMNO PQRST UVW23  ", want: canon},
		{name: "odd hyphens", in: "--AB-CDEFG-HIJKLMNOPQRSTUVW-2-3--", want: canon},
		{name: "zero read as O", in: "ABCDE-FGHIJ-KLMN0-PQRST-UVW23", want: canon},
		{name: "one read as I", in: "ABCDE-FGH1J-KLMNO-PQRST-UVW23", want: canon},
		{name: "eight read as B", in: "A8CDE-FGHIJ-KLMNO-PQRST-UVW23", want: canon},
		{name: "all digits 2-7", in: "23456-77777-22222-33333-44444", want: "2345677777222223333344444"},
		{name: "all lookalikes", in: "01801-80180-18018-01801-80180", want: strings.Repeat("OIB", 8) + "O"},
		{name: "100 bytes with padding", in: canon + strings.Repeat(" ", 75), want: canon},
		{name: "101 bytes with padding", in: canon + strings.Repeat(" ", 76)},
		{name: "empty", in: ""},
		{name: "only separators", in: "-----     "},
		{name: "too short", in: "ABCDE-FGHIJ-KLMNO-PQRST-UVW2"},
		{name: "too long", in: "ABCDE-FGHIJ-KLMNO-PQRST-UVW23A"},
		{name: "nine", in: "ABCDE-FGHIJ-KLMNO-PQRST-UVW29"},
		{name: "exclamation mark", in: "ABCDE-FGHIJ-KLMNO-PQRST-UVW2!"},
		{name: "underscore separator", in: "ABCDE_FGHIJ_KLMNO_PQRST_UVW23"},
		{name: "newline inside", in: "ABCDE-FGHIJ\nKLMNO-PQRST-UVW23"},
		{name: "non-ASCII letter", in: "ABCDE-FGHIJ-KLMNO-PQRST-UVWÉ3"},
		{name: "10 KB", in: strings.Repeat("A", 10_000)},
		{name: "10 KB of valid groups", in: strings.Repeat(grouped+" ", 350)},
		{name: "invalid UTF-8", in: "ABCDE-FGHIJ-KLMNO-PQRST-UVW2\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReceipt(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrBadReceipt) {
					t.Errorf("ParseReceipt(%.40q) = %q, %v; want ErrBadReceipt", tt.in, got, err)
				}
				if got != (Receipt{}) {
					t.Errorf("got non-zero receipt %q with error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReceipt(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(Receipt{code: tt.want}, got, cmp.AllowUnexported(Receipt{})); diff != "" {
				t.Errorf("ParseReceipt(%q) (-want +got):\n%s", tt.in, diff)
			}
			if !receiptRE.MatchString(got.String()) {
				t.Errorf("String() = %q does not match %s", got, receiptRE)
			}
		})
	}
}

func TestReceiptString(t *testing.T) {
	r := Receipt{code: "ABCDEFGHIJKLMNOPQRSTUVW23"}
	if got, want := r.String(), "ABCDE-FGHIJ-KLMNO-PQRST-UVW23"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (Receipt{}).String(); got != "" {
		t.Errorf("zero Receipt String() = %q, want empty", got)
	}
}

func TestLookupHash(t *testing.T) {
	key1 := bytes.Repeat([]byte{1}, 32)
	key2 := bytes.Repeat([]byte{2}, 32)
	r1, r2 := NewReceipt(), NewReceipt()

	h := r1.LookupHash(key1)
	if len(h) != 32 {
		t.Fatalf("LookupHash is %d bytes, want 32", len(h))
	}
	tests := []struct {
		name  string
		a, b  []byte
		equal bool
	}{
		{name: "deterministic", a: h, b: r1.LookupHash(bytes.Clone(key1)), equal: true},
		{name: "same receipt reparsed", a: h, b: mustParseReceipt(t, strings.ToLower(r1.String())).LookupHash(key1), equal: true},
		{name: "different key", a: h, b: r1.LookupHash(key2)},
		{name: "different receipt", a: h, b: r2.LookupHash(key1)},
		{name: "empty key differs", a: h, b: r1.LookupHash(nil)},
		{name: "not plain SHA-256", a: h, b: sha256sum(r1.code)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hmac.Equal(tt.a, tt.b); got != tt.equal {
				t.Errorf("equal = %v, want %v (%x vs %x)", got, tt.equal, tt.a, tt.b)
			}
		})
	}
}

func sha256sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func mustParseReceipt(t *testing.T, s string) Receipt {
	t.Helper()
	r, err := ParseReceipt(s)
	if err != nil {
		t.Fatalf("ParseReceipt(%q): %v", s, err)
	}
	return r
}

func TestReplyIdentity(t *testing.T) {
	r1, r2 := NewReceipt(), NewReceipt()
	id1 := r1.ReplyIdentity()
	rec1 := id1.Recipient().String()

	if got := r1.ReplyIdentity().Recipient().String(); got != rec1 {
		t.Errorf("ReplyIdentity not deterministic: %s then %s", rec1, got)
	}
	if got := r1.ReplyIdentity().String(); got != id1.String() {
		t.Error("ReplyIdentity secret not deterministic")
	}
	if got := r2.ReplyIdentity().Recipient().String(); got == rec1 {
		t.Errorf("two receipts derive the same reply recipient %s", got)
	}
	if _, err := ParseRecipient(rec1); err != nil {
		t.Errorf("reply recipient does not parse as a recipient: %v", err)
	}

	// The server encrypts to the stored recipient; the reporter, typing the
	// printed receipt (here in lower case with spaces), decrypts.
	stored, err := age.ParseX25519Recipient(rec1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, stored)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("we have received your report")
	w.Write(msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	typed := strings.ToLower(strings.ReplaceAll(r1.String(), "-", " "))
	got, err := Open(buf.Bytes(), mustParseReceipt(t, typed).ReplyIdentity())
	if err != nil {
		t.Fatalf("Open with the identity from the typed receipt: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Errorf("decrypted %q, want %q", got, msg)
	}
	var nm *age.NoIdentityMatchError
	if _, err := Open(buf.Bytes(), r2.ReplyIdentity()); !errors.As(err, &nm) {
		t.Errorf("Open with another receipt's identity: %v, want *age.NoIdentityMatchError", err)
	}
}

// bech32Values decodes the data part of a bech32 string (after the last
// '1', without the 6-character checksum) back to bytes. Test helper only:
// it does not verify the checksum.
func bech32Values(t *testing.T, s string) []byte {
	t.Helper()
	s = strings.ToLower(s)
	data := s[strings.LastIndex(s, "1")+1 : len(s)-6]
	var out []byte
	var acc uint32
	var bits uint
	for _, c := range data {
		v := strings.IndexRune(bech32Charset, c)
		if v < 0 {
			t.Fatalf("bad bech32 character %q", c)
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out
}

func TestBech32EncodeX25519CrossCheck(t *testing.T) {
	for i := range 20 {
		scalar := make([]byte, 32)
		rand.Read(scalar)
		switch i {
		case 0:
			scalar = make([]byte, 32) // all zero
		case 1:
			scalar = bytes.Repeat([]byte{0xff}, 32)
		}
		enc := bech32Encode("AGE-SECRET-KEY-", scalar)
		if enc != strings.ToUpper(enc) {
			t.Errorf("identity encoding %q is not upper case", enc)
		}
		id, err := age.ParseX25519Identity(enc)
		if err != nil {
			t.Fatalf("scalar %x: age.ParseX25519Identity: %v", scalar, err)
		}
		priv, err := ecdh.X25519().NewPrivateKey(scalar)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plugin.EncodeX25519Recipient(priv.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		if got := id.Recipient().String(); got != want {
			t.Errorf("scalar %x: recipient %s, want %s", scalar, got, want)
		}
		if id.String() != enc {
			t.Errorf("age re-encodes the identity as %q, want %q", id.String(), enc)
		}
	}
}

func TestBech32EncodeRoundTripsAgeIdentities(t *testing.T) {
	for range 20 {
		id := newX25519(t)
		scalar := bech32Values(t, id.String())
		if len(scalar) != 32 {
			t.Fatalf("decoded %d bytes, want 32", len(scalar))
		}
		if got := bech32Encode("AGE-SECRET-KEY-", scalar); got != id.String() {
			t.Errorf("bech32Encode = %q, want age's %q", got, id.String())
		}
	}
}

func TestBech32EncodeVectors(t *testing.T) {
	// BIP-173 test vectors and age's own bech32 encoder (via the plugin
	// encoding helpers) for lengths that are not multiples of 5 bits.
	var bip []byte // the 5-bit values 0..31, packed into 20 bytes
	var acc uint32
	var bits uint
	for v := range 32 {
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			bip = append(bip, byte(acc>>bits))
		}
	}
	tests := []struct {
		name string
		hrp  string
		data []byte
		want string
	}{
		{name: "BIP-173 A12UEL5L", hrp: "A", data: nil, want: "A12UEL5L"},
		{name: "BIP-173 a12uel5l", hrp: "a", data: nil, want: "a12uel5l"},
		{name: "BIP-173 abcdef", hrp: "abcdef", data: bip, want: "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"},
	}
	for n := range 41 {
		data := make([]byte, n)
		rand.Read(data)
		tests = append(tests,
			struct {
				name string
				hrp  string
				data []byte
				want string
			}{name: "plugin recipient " + hex.EncodeToString(data), hrp: "age1test", data: data, want: plugin.EncodeRecipient("test", data)},
			struct {
				name string
				hrp  string
				data []byte
				want string
			}{name: "plugin identity " + hex.EncodeToString(data), hrp: "AGE-PLUGIN-TEST-", data: data, want: plugin.EncodeIdentity("test", data)},
		)
	}
	for _, tt := range tests {
		if tt.want == "" {
			t.Fatalf("%s: no reference encoding", tt.name)
		}
		if got := bech32Encode(tt.hrp, tt.data); got != tt.want {
			t.Errorf("%s: bech32Encode(%q, %x) = %q, want %q", tt.name, tt.hrp, tt.data, got, tt.want)
		}
	}
}

func TestParseReceiptKey(t *testing.T) {
	raw := make([]byte, 32)
	rand.Read(raw)
	h := hex.EncodeToString(raw)
	long := make([]byte, 64)
	rand.Read(long)

	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr string
	}{
		{name: "64 hex with newline", in: h + "\n", want: raw},
		{name: "64 hex bare", in: h, want: raw},
		{name: "upper-case hex with white space", in: "  " + strings.ToUpper(h) + "\r\n\n", want: raw},
		{name: "128 hex", in: hex.EncodeToString(long), want: long},
		{name: "62 hex", in: h[:62] + "\n", wantErr: "at least 32 bytes"},
		{name: "63 hex", in: h[:63], wantErr: "hex"},
		{name: "empty", in: "", wantErr: "at least 32 bytes"},
		{name: "only white space", in: " \n", wantErr: "at least 32 bytes"},
		{name: "non-hex", in: "zz" + h[2:], wantErr: "hex"},
		{name: "base64", in: "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=", wantErr: "hex"},
		{name: "hex with inner space", in: h[:32] + " " + h[32:], wantErr: "hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReceiptKey(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseReceiptKey succeeded (%d bytes), want error", len(got))
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				if trimmed := strings.TrimSpace(tt.in); len(trimmed) > 8 && strings.Contains(err.Error(), trimmed[:8]) {
					t.Errorf("error %q echoes the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReceiptKey: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("key (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewReceiptKey(t *testing.T) {
	a, b := NewReceiptKey(), NewReceiptKey()
	if a == b {
		t.Error("two receipt keys are equal")
	}
	for _, s := range []string{a, b} {
		if !strings.HasSuffix(s, "\n") || len(s) != 65 {
			t.Errorf("NewReceiptKey() = %q, want 64 hex characters and a newline", s)
		}
		key, err := ParseReceiptKey(s)
		if err != nil {
			t.Fatalf("ParseReceiptKey(NewReceiptKey()): %v", err)
		}
		if len(key) != MinReceiptKeySize {
			t.Errorf("key is %d bytes, want %d", len(key), MinReceiptKeySize)
		}
		if bytes.Equal(key, make([]byte, len(key))) {
			t.Error("receipt key is all zero")
		}
	}
}

func TestNewIdentityFile(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	for _, pq := range []bool{false, true} {
		name := "x25519"
		if pq {
			name = "hybrid"
		}
		t.Run(name, func(t *testing.T) {
			file, recipient, err := NewIdentityFile(pq, now)
			if err != nil {
				t.Fatalf("NewIdentityFile: %v", err)
			}
			wantPrefix := "age1"
			if pq {
				wantPrefix = "age1pq1"
			}
			if !strings.HasPrefix(recipient, wantPrefix) {
				t.Errorf("recipient %.20s... does not start with %s", recipient, wantPrefix)
			}
			for _, want := range []string{"# created: 2025-03-04T04:06:07Z\n", "# public key: " + recipient + "\n"} {
				if !strings.Contains(file, want) {
					t.Errorf("file does not contain %q", want)
				}
			}
			if !strings.HasSuffix(file, "\n") {
				t.Error("file does not end with a newline")
			}

			ids, err := age.ParseIdentities(strings.NewReader(file))
			if err != nil {
				t.Fatalf("age.ParseIdentities: %v", err)
			}
			if len(ids) != 1 {
				t.Fatalf("file holds %d identities, want 1", len(ids))
			}
			var got string
			switch id := ids[0].(type) {
			case *age.X25519Identity:
				if pq {
					t.Error("got an X25519 identity, want hybrid")
				}
				got = id.Recipient().String()
			case *age.HybridIdentity:
				if !pq {
					t.Error("got a hybrid identity, want X25519")
				}
				got = id.Recipient().String()
			default:
				t.Fatalf("unexpected identity type %T", id)
			}
			if got != recipient {
				t.Errorf("identity's recipient %s, returned recipient %s", got, recipient)
			}

			r, err := ParseRecipient(recipient)
			if err != nil {
				t.Fatalf("ParseRecipient(returned recipient): %v", err)
			}
			if r.PostQuantum() != pq {
				t.Errorf("PostQuantum() = %v, want %v", r.PostQuantum(), pq)
			}

			// The identity file is refused as a recipients file, at line 3,
			// without echoing the secret.
			_, err = ParseRecipientsFile(strings.NewReader(file))
			if !errors.Is(err, ErrIdentityNotRecipient) || !strings.Contains(err.Error(), "line 3") {
				t.Errorf("ParseRecipientsFile(identity file) = %v, want ErrIdentityNotRecipient at line 3", err)
			}
			if err != nil {
				lines := strings.Split(strings.TrimSpace(file), "\n")
				assertNoSecret(t, err.Error(), lines[len(lines)-1])
			}

			// And it decrypts what Seal encrypts to the recipient.
			sealed, err := Seal([]byte("{}"), []Recipient{r})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Open(sealed.Ciphertext, ids...); err != nil {
				t.Errorf("Open with the generated identity: %v", err)
			}
		})
	}

	f1, _, _ := NewIdentityFile(false, now)
	f2, _, _ := NewIdentityFile(false, now)
	if f1 == f2 {
		t.Error("two generated identity files are identical")
	}
}

func TestPadmeSize(t *testing.T) {
	tests := []struct{ n, want int64 }{
		{0, MinAttachmentBucket}, {1, MinAttachmentBucket}, {MinAttachmentBucket, MinAttachmentBucket},
		{1 << 30, 1 << 30}, // e=30, s=5: multiples of 2^25
		{1<<30 + 1, 1<<30 + 1<<25},
	}
	for _, tt := range tests {
		if got := PadmeSize(tt.n); got != tt.want {
			t.Errorf("PadmeSize(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
	for _, n := range []int64{MinAttachmentBucket + 1, 1 << 20, 3<<20 + 17, 1 << 30, 1<<30 + 1, 5<<30 + 12345} {
		p := PadmeSize(n)
		if p < n || float64(p-n) > 0.12*float64(n) {
			t.Errorf("PadmeSize(%d) = %d: not within 12%% above", n, p)
		}
		if PadmeSize(p) != p {
			t.Errorf("PadmeSize(%d) = %d is not itself a bucket", n, p)
		}
	}
	// Many sizes share a bucket: a 1 GiB file and one a few MiB larger.
	if PadmeSize(1<<30+1) != PadmeSize(1<<30+(1<<24)) {
		t.Error("nearby sizes do not share a bucket")
	}
}
