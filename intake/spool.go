package intake

import (
	"errors"
	"io"
	"sync/atomic"
)

// ErrSpoolFull is an upload refused because the uploads still arriving
// already hold the spool's whole quota. Nothing of it is kept; the sender
// may try again later.
var ErrSpoolFull = errors.New("the space for uploads under way is full")

// Spool bounds the bytes of uploads still arriving: encrypted chunks
// staged in the database, not yet part of a stored report or attachment.
// It is one process's share (config attachments.spool_bytes).
type Spool struct {
	max  int64 // 0: no bound
	used atomic.Int64
}

// NewSpool returns a spool of max bytes (0: unbounded).
func NewSpool(max int64) *Spool { return &Spool{max: max} }

// Used is how many bytes uploads under way hold.
func (s *Spool) Used() int64 { return s.used.Load() }

// take reserves n bytes, or reports false when they do not fit. The check
// and the reservation are one atomic step.
func (s *Spool) take(n int64) bool {
	for {
		u := s.used.Load()
		if s.max > 0 && u+n > s.max {
			return false
		}
		if s.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Hold returns a hold on the spool for one request's uploads.
func (s *Spool) Hold() *SpoolHold { return &SpoolHold{s: s} }

// SpoolHold is the part of the spool one request's uploads hold, until
// Release (when what they staged is committed or deleted).
type SpoolHold struct {
	s *Spool
	n atomic.Int64
}

// Release gives back everything held.
func (h *SpoolHold) Release() { h.s.used.Add(-h.n.Swap(0)) }

// writer returns w, reserving each write's bytes in the spool first; a
// write that does not fit fails with ErrSpoolFull.
func (h *SpoolHold) writer(w io.Writer) io.Writer { return &spoolWriter{w: w, h: h} }

type spoolWriter struct {
	w io.Writer
	h *SpoolHold
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	if !w.h.s.take(int64(len(p))) {
		return 0, ErrSpoolFull
	}
	w.h.n.Add(int64(len(p)))
	return w.w.Write(p)
}
