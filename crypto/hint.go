package crypto

import (
	"errors"
	"sync"

	"filippo.io/age"
)

// RememberStanza wraps the native identities among ids (X25519 and
// post-quantum hybrid) so that each tries first the header position that
// opened the last file with the same number of stanzas. age itself tries
// every stanza in turn, one scalar multiplication each, and an X25519
// stanza does not say whom it is for: a team's cases are encrypted to the
// same roster in the same order, so after the first case a handler's
// stanza is found with one multiplication instead of up to one per
// recipient. Decrypting an inbox of thousands of cases is then several
// times faster.
//
// Only the order of attempts changes: a wrong guess falls back to trying
// every other stanza, so what opens and what does not is exactly as with
// the plain identities. An X25519 identity's private key is also parsed
// once here (see x25519Unwrapper), so each attempt costs one scalar
// multiplication instead of age's two. Plugin identities (hardware keys)
// are passed through unchanged, since each call may ask the plugin, or
// the person, again. The wrappers are safe for concurrent use.
func RememberStanza(ids []age.Identity) []age.Identity {
	out := make([]age.Identity, len(ids))
	for i, id := range ids {
		switch x := id.(type) {
		case *age.X25519Identity:
			r := &rememberStanza{id: id, last: map[int]int{}}
			if u, err := newX25519Unwrapper(x); err == nil {
				r.one = u.unwrap
			}
			out[i] = r
		case *age.HybridIdentity:
			out[i] = &rememberStanza{id: id, last: map[int]int{}}
		default:
			out[i] = id
		}
	}
	return out
}

type rememberStanza struct {
	id age.Identity
	// one opens a single stanza (nil: id.Unwrap of a one-stanza list).
	one  func(*age.Stanza) ([]byte, error)
	mu   sync.Mutex
	last map[int]int // number of stanzas -> position that opened the last such file
}

var _ age.Identity = (*rememberStanza)(nil)

func (r *rememberStanza) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	n := len(stanzas)
	r.mu.Lock()
	first, ok := r.last[n]
	r.mu.Unlock()
	try := func(i int) ([]byte, error) {
		var key []byte
		var err error
		if r.one != nil {
			key, err = r.one(stanzas[i])
		} else {
			key, err = r.id.Unwrap(stanzas[i : i+1])
		}
		if err == nil {
			r.mu.Lock()
			if len(r.last) < 64 { // bounded: a header has at most a few shapes
				r.last[n] = i
			} else if _, seen := r.last[n]; seen {
				r.last[n] = i
			}
			r.mu.Unlock()
		}
		return key, err
	}
	if ok && first < n {
		key, err := try(first)
		if !errors.Is(err, age.ErrIncorrectIdentity) {
			return key, err
		}
	}
	for i := range stanzas {
		if ok && i == first {
			continue
		}
		key, err := try(i)
		if !errors.Is(err, age.ErrIncorrectIdentity) {
			return key, err
		}
	}
	return nil, age.ErrIncorrectIdentity
}

// Native returns the identity that RememberStanza wrapped, or id itself,
// so that callers can still see its type (to derive its recipient, say).
func Native(id age.Identity) age.Identity {
	if r, ok := id.(*rememberStanza); ok {
		return r.id
	}
	return id
}
