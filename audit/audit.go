// Package audit keeps the tamper-evident log of handler and operator
// actions.
//
// Each entry records who did what to which case and when, never content.
// Entries are numbered 1, 2, 3... and each carries the HMAC-SHA256 of its
// fields and of the previous entry's MAC, under a key derived from the
// server's receipt key. Editing an entry breaks its MAC; removing or
// inserting one breaks the numbering or the chain; and someone with the
// database but not the key cannot recompute the chain to hide a change.
// What the chain cannot show alone is the removal of the newest entries:
// Verify returns the head (last sequence number and MAC) for the operator
// to record elsewhere and compare later.
package audit

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// Entry is one audited action.
type Entry struct {
	Seq       int64
	At        time.Time
	Actor     string // "handler:NAME" or "operator:USER"
	Action    string // such as "login", "case.fetch", "handler.add"
	Reference string // the case, when there is one
	Detail    string // non-content detail, such as "status received -> acknowledged"
	PrevMAC   []byte
	MAC       []byte
}

// Genesis is the PrevMAC of the first entry.
var Genesis = make([]byte, sha256.Size)

// Key derives the audit key from the server's receipt key.
func Key(receiptKey []byte) []byte {
	k, err := hkdf.Key(sha256.New, receiptKey, nil, "reprisals/audit-log/v1", 32)
	if err != nil {
		panic("audit: " + err.Error())
	}
	return k
}

// Normalize rounds the time to what PostgreSQL stores (microseconds, UTC),
// so a MAC computed before storing matches one computed after reading.
func Normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ComputeMAC returns the MAC of e chained to prev.
func ComputeMAC(key, prev []byte, e Entry) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	m.Write(n[:])
	for _, f := range []string{Normalize(e.At).Format(time.RFC3339Nano), e.Actor, e.Action, e.Reference, e.Detail} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}

// Verifier checks entries one at a time, in sequence order.
type Verifier struct {
	key  []byte
	next int64
	prev []byte
}

// NewVerifier starts a check of the chain from its first entry.
func NewVerifier(key []byte) *Verifier { return &Verifier{key: key, next: 1, prev: Genesis} }

// BrokenError locates the first break in the chain.
type BrokenError struct {
	Seq    int64 // the first entry that is missing, out of place or altered
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.Seq, e.Reason)
}

// Check verifies the next entry. The first break is a *BrokenError.
func (v *Verifier) Check(e Entry) error {
	switch {
	case e.Seq > v.next:
		return &BrokenError{v.next, fmt.Sprintf("it is missing (the next entry is %d): entries were removed", e.Seq)}
	case e.Seq < v.next:
		return &BrokenError{e.Seq, "it appears twice or out of order: an entry was inserted"}
	case !bytes.Equal(e.PrevMAC, v.prev):
		return &BrokenError{e.Seq, "it does not follow the previous entry: an entry was removed, inserted or edited before it"}
	case !hmac.Equal(e.MAC, ComputeMAC(v.key, v.prev, e)):
		return &BrokenError{e.Seq, "its content does not match its MAC: it was edited"}
	}
	v.prev = e.MAC
	v.next++
	return nil
}

// Head returns the number of entries verified and the last MAC.
func (v *Verifier) Head() (int64, []byte) { return v.next - 1, v.prev }
