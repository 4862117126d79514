package console

import (
	"context"
	"errors"
	"sync"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// The annual figures and the annex drafts need each case's structured
// entries (UN actions, State responses, publications, links), which are
// sealed team notes: the console reads its team's notes once, from the
// server's notes feed (loadEntries), and a case's again whenever it shows
// the case (Refresh).

// entryOpeners bounds the cases whose notes loadEntries opens at once.
const entryOpeners = 8

// maxFeedPages bounds the pages of the notes feed one load walks (at
// 5,000 notes a page, far more notes than a team has), so a server that
// sends pages without end cannot keep a load going.
const maxFeedPages = 10_000

// errFeedPages is a notes feed longer than maxFeedPages pages.
var errFeedPages = errors.New("console: the server's notes feed does not end")

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
// yet. It walks the server's notes feed once (GET /notes, a few requests
// for all the team's notes), groups the notes by the reference the server
// files each under, reads alone (GET /cases/{ref}/notes) the notes of a
// case of which the feed left a note out for its size, then opens each
// case's notes as a note of that case only (reportEntries: a note the
// server files under the wrong case is bound to another and opens as
// nothing). A failure stops it (the figures would be wrong) before any
// case is marked read.
func (s *Source) loadEntries(ctx context.Context) error {
	todo := map[string]*Case{}
	s.mu.RLock()
	for _, c := range s.cases {
		if c.Readable() && !c.entriesOK {
			todo[c.Meta.Reference] = c
		}
	}
	s.mu.RUnlock()
	if len(todo) == 0 {
		return nil
	}
	byCase := make(map[string][]handlerapi.Note, len(todo))
	alone := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		if pages == maxFeedPages {
			return errFeedPages
		}
		p, err := s.api.TeamNotes(ctx, after, 0)
		if err != nil {
			return err
		}
		for _, n := range p.Notes {
			if _, ok := todo[n.Reference]; !ok || alone[n.Reference] {
				continue
			}
			if n.CiphertextOmitted {
				alone[n.Reference] = true
				continue
			}
			byCase[n.Reference] = append(byCase[n.Reference], n.Note)
		}
		if after = p.Next; after == "" {
			break
		}
	}
	for ref := range alone {
		notes, err := s.api.Notes(ctx, ref)
		if err != nil {
			return err
		}
		byCase[ref] = notes
	}

	work := make(chan *Case)
	var wg sync.WaitGroup
	for range min(entryOpeners, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				ref := c.Meta.Reference
				entries := reportEntries(ref, byCase[ref], s.ids)
				s.mu.Lock()
				c.entries, c.entriesOK = entries, true
				s.mu.Unlock()
			}
		}()
	}
	for _, c := range todo {
		work <- c
	}
	close(work)
	wg.Wait()
	return nil
}
