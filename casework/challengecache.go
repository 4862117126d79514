package casework

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// Issuing a login challenge reads no database. The handlers' names,
// parsed recipients and key types are kept in memory (challengeCache),
// read again in one statement when the copy is older than
// ChallengeRefresh, or at once when a handler was added or changed in this
// process (store.DB.HandlersVersion). A change made by another process
// (the `reprisals handler ...` commands) is seen within ChallengeRefresh.
// A stale copy is safe: Login reads the handler again from the database
// and checks that they are active and that their key is the one the
// challenge was encrypted to. If the database cannot be read, the last
// copy is kept.
//
// Every name, known or not, takes the same path: one map lookup, and one
// age encryption to one recipient that is already parsed. A name that is
// not an active handler is encrypted to a decoy recipient from a pool made
// in advance (decoyPool), of the key type that real handlers' keys have,
// in proportion (for a disabled handler: of their own type), picked by a
// keyed hash of the name, so the same name gets the same decoy, as a real
// handler always gets the same key.

// ChallengeRefresh is how old the in-memory copy of the handlers may get
// before a challenge reads it again: how long a handler added or disabled
// by another process may wait to be seen by login challenges.
const ChallengeRefresh = 2 * time.Second

// decoysPerKind is how many decoy recipients of each key type are made.
const decoysPerKind = 64

// cachedHandler is what a challenge needs to know of a handler.
type cachedHandler struct {
	active    bool
	kind      string
	recipient crypto.Recipient // parsed, if active and usable
	tag       [8]byte
	err       error // the recipient would not parse
}

// challengeCache is one copy of the handlers.
type challengeCache struct {
	at       time.Time
	version  uint64
	handlers map[string]cachedHandler
	kinds    []string // the active handlers' key types, sorted, one per handler
}

// challenges holds the cache and the decoy pool of a Service.
type challenges struct {
	cur     atomic.Pointer[challengeCache]
	refresh sync.Mutex
	decoyMu sync.Mutex
	decoys  map[string][]crypto.Recipient // by kind
}

// handlerCache returns a current enough copy of the handlers, reading
// them again if needed. Only the first call of all waits for the
// database; later ones, while one is reading, use the copy they have
// (unless a handler was changed in this process: then they wait for it).
func (s *Service) handlerCache(ctx context.Context) (*challengeCache, error) {
	c := s.ch.cur.Load()
	version := s.db.HandlersVersion()
	if c != nil && c.version == version && time.Since(c.at) < ChallengeRefresh {
		return c, nil
	}
	if c != nil && c.version == version {
		if !s.ch.refresh.TryLock() {
			return c, nil
		}
	} else {
		s.ch.refresh.Lock()
	}
	defer s.ch.refresh.Unlock()
	if n := s.ch.cur.Load(); n != nil && n != c && n.version == s.db.HandlersVersion() {
		return n, nil // another caller has just read them
	}
	version = s.db.HandlersVersion()
	list, err := s.db.ListHandlers(ctx)
	if err != nil {
		if c == nil {
			return nil, err
		}
		// Keep the copy; try again after ChallengeRefresh.
		kept := *c
		kept.at = time.Now()
		s.ch.cur.Store(&kept)
		return &kept, nil
	}
	n := &challengeCache{at: time.Now(), version: version, handlers: make(map[string]cachedHandler, len(list))}
	for _, h := range list {
		e := cachedHandler{active: h.Active, kind: crypto.RecipientKind(h.Recipient)}
		if h.Active {
			e.recipient, e.err = crypto.ParseRecipient(h.Recipient)
			e.tag = recipientTag(h.Recipient)
			n.kinds = append(n.kinds, e.kind)
		}
		n.handlers[h.Name] = e
	}
	slices.Sort(n.kinds)
	// Make the decoys of every kind in use now, so no challenge makes one.
	for _, h := range n.handlers {
		if _, err := s.decoyPool(h.kind); err != nil {
			return nil, err
		}
	}
	if _, err := s.decoyPool(crypto.KindX25519); err != nil {
		return nil, err
	}
	s.ch.cur.Store(n)
	return n, nil
}

// decoyPool returns the decoy recipients of a kind, making them the first
// time: their private keys are discarded at once.
func (s *Service) decoyPool(kind string) ([]crypto.Recipient, error) {
	s.ch.decoyMu.Lock()
	defer s.ch.decoyMu.Unlock()
	if p, ok := s.ch.decoys[kind]; ok {
		return p, nil
	}
	p := make([]crypto.Recipient, decoysPerKind)
	for i := range p {
		r, err := crypto.ThrowawayRecipient(kind)
		if err != nil {
			return nil, err
		}
		p[i] = r
	}
	if s.ch.decoys == nil {
		s.ch.decoys = map[string][]crypto.Recipient{}
	}
	s.ch.decoys[kind] = p
	return p, nil
}

// decoyFor returns the decoy recipient of a name that is not an active
// handler: of kind if given (a disabled handler's own), else of a kind
// drawn from the active handlers' kinds in proportion; both by a keyed
// hash of the name.
func (s *Service) decoyFor(c *challengeCache, name, kind string) (crypto.Recipient, error) {
	m := hmac.New(sha256.New, s.auditKey)
	m.Write([]byte("login-decoy-kind\x00" + name))
	sum := m.Sum(nil)
	if kind == "" {
		kind = crypto.KindX25519
		if len(c.kinds) > 0 {
			kind = c.kinds[binary.BigEndian.Uint64(sum)%uint64(len(c.kinds))]
		}
	}
	p, err := s.decoyPool(kind)
	if err != nil {
		return crypto.Recipient{}, err
	}
	return p[binary.BigEndian.Uint64(sum[8:])%uint64(len(p))], nil
}
