package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// Note is the sealed form of a handler's team note (kind "note")
// or reply to the reporter (kind "reply"). Sealing the kind and the case's
// reference with the text binds it to its case: a server that lists one
// case's ciphertext (a report, a manifest, another case's note) as a note
// or reply of another is caught when the client opens it.
type Note struct {
	Version   int    `json:"version"`
	Kind      string `json:"kind"` // "note" or "reply"
	Reference string `json:"reference"`
	Author    string `json:"author,omitempty"` // the handler who wrote it, as their client knew them
	Text      string `json:"text"`
	// Entry is a structured entry (a UN action, a State response, a
	// publication, a link), set only on a team note; Text then holds its
	// Summary, for readers that know no entries.
	Entry *Entry `json:"entry,omitempty"`
	// A signed reply (see SignReply) carries when it was signed, the
	// signer's public signing key and the Ed25519 signature; notes and
	// replies from before replies were signed carry none. Signature is
	// standard base64.
	Time      time.Time `json:"time,omitzero"`
	Signer    string    `json:"signer,omitempty"`
	Signature string    `json:"signature,omitempty"`
}

// NoteBinding is what OpenNote found a decrypted note or reply to be.
type NoteBinding int

const (
	// NoteBound is an envelope of the kind and reference expected.
	NoteBound NoteBinding = iota
	// NoteUnbound is plain text: a note or reply written before notes
	// were bound to their case (or one the server moved from another
	// case's legacy notes). It may be shown, marked unverified, and is
	// never re-encrypted to anyone but the verified team rosters.
	NoteUnbound
	// NoteForeign is a JSON object that is not an envelope of the kind
	// and reference expected: another case's note or reply, a report, a
	// follow-up, a manifest; or one whose entry is not well formed (or
	// is on a reply). It is never shown or re-encrypted.
	NoteForeign
)

// ErrNoteKind is a kind other than "note" or "reply".
var ErrNoteKind = errors.New("envelope: a note's kind is note or reply")

// SealNote returns the plaintext to seal for a note or reply on case ref.
func SealNote(kind, ref, author, text string) ([]byte, error) {
	if kind != "note" && kind != "reply" {
		return nil, ErrNoteKind
	}
	return marshalJSON(Note{Version: Version, Kind: kind, Reference: ref, Author: author, Text: text})
}

// OpenNote checks a decrypted note or reply that the server listed as
// kind on case ref. A NoteBound envelope is returned as it is (with its
// Entry, if any, checked whole by Entry.Validate); NoteUnbound plain text
// is returned as the envelope's Text (its Author and Reference empty); a
// NoteForeign one as the zero envelope.
func OpenNote(plain []byte, kind, ref string) (Note, NoteBinding) {
	trimmed := bytes.TrimSpace(plain)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return Note{Text: string(plain)}, NoteUnbound
	}
	var n Note
	if check(trimmed, kind, ref) != nil || json.Unmarshal(trimmed, &n) != nil {
		return Note{}, NoteForeign
	}
	if n.Entry != nil && (kind != KindNote || n.Entry.Validate() != nil) {
		return Note{}, NoteForeign
	}
	return n, NoteBound
}
