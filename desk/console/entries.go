package console

import (
	"context"
	"sync"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// The annual figures and the annex drafts need each case's structured
// entries (UN actions, State responses, publications, links), which are
// sealed team notes: the console reads every readable case's notes once
// (loadEntries) and again whenever it shows a case (Refresh).

// entryFetchers bounds the notes fetched at once by loadEntries.
const entryFetchers = 8

// reportEntries opens case ref's notes (desk.OpenThread: only bound
// notes of ref) and returns their structured entries, in order. Nothing
// of the server's is kept with them (not the day it lists a note as
// added): the figures read only sealed dates.
func reportEntries(ref string, notes []handlerapi.Note, ids []age.Identity) []sgreport.Entry {
	var out []sgreport.Entry
	for _, t := range desk.OpenThread(ref, notes, ids) {
		if t.Problem != desk.NoProblem || t.Structured == nil {
			continue
		}
		out = append(out, sgreport.Entry{Entry: *t.Structured})
	}
	return out
}

// loadEntries reads the entries of every loaded, readable case not read
// yet, a few at a time. The first failure stops it (the figures would be
// wrong); what was read is kept.
func (s *Source) loadEntries(ctx context.Context) error {
	var todo []*Case
	s.mu.RLock()
	for _, c := range s.cases {
		if c.Readable() && !c.entriesOK {
			todo = append(todo, c)
		}
	}
	s.mu.RUnlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *Case)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range min(entryFetchers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				ref := c.Meta.Reference
				notes, err := s.api.Notes(ctx, ref)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				entries := reportEntries(ref, notes, s.ids)
				s.mu.Lock()
				c.entries, c.entriesOK = entries, true
				s.mu.Unlock()
			}
		}()
	}
	for _, c := range todo {
		if ctx.Err() != nil {
			break
		}
		work <- c
	}
	close(work)
	wg.Wait()
	return first
}
