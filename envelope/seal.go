package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
)

// The kinds of sealed plaintext. Each is sealed with its kind and its
// case's reference, so that a server which lists one thing as another
// (another case's report, a manifest as a note) is caught when the
// handler's client opens it.
const (
	KindReport     = "report"
	KindFollowUp   = "followup"
	KindNote       = "note"
	KindReply      = "reply"
	KindAttachment = "attachment"
)

// Why an Open refused.
var (
	// ErrNotForYou is a ciphertext that none of the identities opens.
	ErrNotForYou = errors.New("not encrypted to your identity")
	// ErrBroken is a ciphertext that is not an age file, or whose
	// plaintext is not a sealed format.
	ErrBroken = errors.New("damaged: it does not decrypt to a sealed record")
	// ErrForeign is a sealed record of another kind, another case or
	// another version than the one asked for: the server's data has been
	// tampered with. It is never shown or re-encrypted.
	ErrForeign = errors.New("holds the content of another case")
)

// ForeignError says what an Open found instead of what it was asked for.
// It matches ErrForeign.
type ForeignError struct {
	WantKind, WantReference string
	// Kind and Reference are what the plaintext says (unchecked text:
	// make it safe before showing it).
	Kind, Reference string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("asked for the %s of %s, found the %s of %s: it %s", e.WantKind, e.WantReference, e.Kind, e.Reference, ErrForeign)
}

// Is makes errors.Is(err, ErrForeign) true.
func (e *ForeignError) Is(target error) bool { return target == ErrForeign }

// header is what every sealed record begins with.
type header struct {
	Version   int    `json:"version"`
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
}

// check is the one check of a sealed record's binding: version, kind and
// the reference asked for (never one the server names). It returns
// ErrBroken for what is not a sealed record at all.
func check(plain []byte, kind, ref string) error {
	var h header
	if json.Unmarshal(plain, &h) != nil {
		return ErrBroken
	}
	return h.check(kind, ref)
}

func (h header) check(kind, ref string) error {
	if h.Version != Version || h.Kind != kind || h.Reference != ref || ref == "" {
		return &ForeignError{WantKind: kind, WantReference: ref, Kind: h.Kind, Reference: h.Reference}
	}
	return nil
}

// open decrypts a ciphertext with ids, telling ErrNotForYou from
// ErrBroken. The caller clears the plaintext.
func open(ciphertext []byte, ids []age.Identity) ([]byte, error) {
	plain, err := crypto.Open(ciphertext, ids...)
	var nm *age.NoIdentityMatchError
	switch {
	case errors.As(err, &nm):
		return nil, ErrNotForYou
	case err != nil:
		return nil, ErrBroken
	}
	return plain, nil
}

// seal marshals v and encrypts it to recs, padded (crypto.Seal); the
// plaintext is wiped.
func seal(v any, recs []crypto.Recipient) ([]byte, error) {
	plain, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	return sealPlain(plain, recs)
}

// sealPlain encrypts a marshalled plaintext to recs, padded
// (crypto.Seal), and wipes the plaintext: the one place the Seal
// functions write a ciphertext.
func sealPlain(plain []byte, recs []crypto.Recipient) ([]byte, error) {
	defer clear(plain)
	s, err := crypto.Seal(plain, recs)
	if err != nil {
		return nil, err
	}
	return s.Ciphertext, nil
}

// decode unmarshals a checked plaintext into v. The padding (spaces
// after the JSON value, see crypto.Seal) is cut first: white space after
// a value means nothing to JSON, and a 4 KiB bucket is often half
// padding, which json.Unmarshal would otherwise scan byte by byte.
func decode(plain []byte, v any) error {
	if json.Unmarshal(bytes.TrimRight(plain, " \t\r\n"), v) != nil {
		return ErrBroken
	}
	return nil
}

// record is a sealed format with a header: Case, FollowUp, Manifest.
type record interface{ head() header }

func (c Case) head() header     { return header{c.Version, c.Kind, c.Reference} }
func (f FollowUp) head() header { return header{f.Version, f.Kind, f.Reference} }
func (m Manifest) head() header { return header{m.Version, m.Kind, m.Reference} }

// parse decodes a plaintext once, then checks its binding (the header
// fields are the record's own).
func parse[T record](plain []byte, kind, ref string) (T, error) {
	var v, zero T
	if err := decode(plain, &v); err != nil {
		return zero, err
	}
	if err := v.head().check(kind, ref); err != nil {
		return zero, err
	}
	return v, nil
}

// openRecord decrypts and parses; the plaintext is wiped.
func openRecord[T record](ciphertext []byte, ids []age.Identity, p func([]byte, string) (T, error), ref string) (T, error) {
	plain, err := open(ciphertext, ids)
	if err != nil {
		var zero T
		return zero, err
	}
	defer clear(plain)
	return p(plain, ref)
}

// SealCase encrypts a case's report to recs. The envelope's Version and
// Kind are set here.
//
// It returns the size bucket with the ciphertext: the server stores it
// as the case's only clear size.
func SealCase(c Case, recs []crypto.Recipient) (crypto.Sealed, error) {
	c.Version, c.Kind = Version, KindReport
	plain, err := marshalJSON(c)
	if err != nil {
		return crypto.Sealed{}, err
	}
	defer clear(plain)
	return crypto.Seal(plain, recs)
}

// OpenCase decrypts the report of case ref, refusing anything that is not
// the report of ref (ErrForeign), whatever the server says it is.
func OpenCase(ciphertext []byte, ref string, ids ...age.Identity) (Case, error) {
	return openRecord(ciphertext, ids, ParseCase, ref)
}

// ParseCase checks and decodes a decrypted report of case ref, as
// OpenCase does.
func ParseCase(plain []byte, ref string) (Case, error) { return parse[Case](plain, KindReport, ref) }

// SealFollowUp encrypts a reporter's follow-up to recs.
func SealFollowUp(f FollowUp, recs []crypto.Recipient) ([]byte, error) {
	f.Version, f.Kind = Version, KindFollowUp
	return seal(f, recs)
}

// OpenFollowUp decrypts a follow-up of case ref.
func OpenFollowUp(ciphertext []byte, ref string, ids ...age.Identity) (FollowUp, error) {
	return openRecord(ciphertext, ids, ParseFollowUp, ref)
}

// ParseFollowUp checks and decodes a decrypted follow-up of case ref, as
// OpenFollowUp does.
func ParseFollowUp(plain []byte, ref string) (FollowUp, error) {
	return parse[FollowUp](plain, KindFollowUp, ref)
}

// SealNoteTo encrypts a handler's note or reply (kind) on case ref to
// recs.
func SealNoteTo(kind, ref, author, text string, recs []crypto.Recipient) ([]byte, error) {
	plain, err := SealNote(kind, ref, author, text)
	if err != nil {
		return nil, err
	}
	return sealPlain(plain, recs)
}

// OpenNoteOf decrypts a note or reply the server lists as kind on case
// ref. A NoteForeign one is ErrForeign; a NoteUnbound one (plain text
// from before notes were bound to their case) is returned with its
// binding, for the caller to mark unverified.
func OpenNoteOf(ciphertext []byte, kind, ref string, ids ...age.Identity) (Note, NoteBinding, error) {
	plain, err := open(ciphertext, ids)
	if err != nil {
		return Note{}, NoteForeign, err
	}
	defer clear(plain)
	n, b := OpenNote(plain, kind, ref)
	if b == NoteForeign {
		if check(bytes.TrimSpace(plain), kind, ref) == nil {
			return Note{}, b, ErrBroken // bound, but its entry is not well formed
		}
		return Note{}, b, &ForeignError{WantKind: kind, WantReference: ref, Kind: "something else"}
	}
	return n, b, nil
}

// SealEntryTo encrypts a structured entry on case ref, as a team note
// (SealEntry), to recs.
func SealEntryTo(ref, author string, e Entry, recs []crypto.Recipient) ([]byte, error) {
	plain, err := SealEntry(ref, author, e)
	if err != nil {
		return nil, err
	}
	return sealPlain(plain, recs)
}

// SealManifest encrypts an attachment's manifest to recs.
func SealManifest(m Manifest, recs []crypto.Recipient) ([]byte, error) {
	m.Version, m.Kind = Version, KindAttachment
	return seal(m, recs)
}

// OpenManifest decrypts a manifest of case ref and checks it whole: its
// binding, a size that is not negative, a SHA-256 in hex and a key that
// parses, so a caller can trust every field it uses.
func OpenManifest(ciphertext []byte, ref string, ids ...age.Identity) (Manifest, error) {
	return openRecord(ciphertext, ids, ParseManifest, ref)
}

// ParseManifest checks and decodes a decrypted manifest of case ref, as
// OpenManifest does.
func ParseManifest(plain []byte, ref string) (Manifest, error) {
	m, err := parse[Manifest](plain, KindAttachment, ref)
	if err != nil {
		return Manifest{}, err
	}
	if sum, err := hex.DecodeString(m.SHA256); m.Size < 0 || err != nil || len(sum) != 32 {
		return Manifest{}, ErrBroken
	}
	if _, err := age.ParseX25519Identity(m.Key); err != nil {
		return Manifest{}, ErrBroken
	}
	return m, nil
}

// Reseal re-encrypts a sealed record of kind on case ref to recs, keeping
// its plaintext byte for byte (it is already padded to its bucket). It
// re-encrypts only what opens as that kind of record of that case:
// ErrForeign, ErrBroken or ErrNotForYou otherwise. Notes from before
// notes were bound to their case are re-encrypted only when unbound is
// true (the caller sends them to the verified team roster, which could
// read them already); replies never are.
func Reseal(ciphertext []byte, kind, ref string, ids []age.Identity, recs []crypto.Recipient, unbound bool) ([]byte, error) {
	plain, err := open(ciphertext, ids)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	if err := Check(plain, kind, ref, unbound); err != nil {
		return nil, err
	}
	s, err := crypto.Seal(plain, recs)
	if err != nil {
		return nil, err
	}
	return s.Ciphertext, nil
}

// Check checks a decrypted plaintext as the Open of its kind does, for
// case ref: the one place where a sealed record's kind, version and case
// binding are decided. unbound accepts a legacy plain-text note (kind
// note only).
func Check(plain []byte, kind, ref string, unbound bool) error {
	switch kind {
	case KindReport:
		_, err := ParseCase(plain, ref)
		return err
	case KindFollowUp:
		_, err := ParseFollowUp(plain, ref)
		return err
	case KindAttachment:
		_, err := ParseManifest(plain, ref)
		return err
	case KindNote, KindReply:
		switch _, b := OpenNote(plain, kind, ref); {
		case b == NoteBound, b == NoteUnbound && unbound && kind == KindNote:
			return nil
		case b == NoteUnbound:
			return &ForeignError{WantKind: kind, WantReference: ref, Kind: "unbound text"}
		}
		if err := check(bytes.TrimSpace(plain), kind, ref); err != nil {
			return err
		}
		return ErrBroken
	}
	return fmt.Errorf("envelope: no kind %q", kind)
}
