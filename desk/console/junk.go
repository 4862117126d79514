package console

import (
	"runtime"
	"sync"

	"github.com/ohchr-reprisals/intake/desk/junk"
)

// The inbox's junk filters find the signs of a flood of machine-written
// reports among the decrypted cases (desk/junk computes them, here, from
// what this console decrypted): an empty narrative, a narrative
// near-identical to other cases', no State, a report received in a burst.
// Cases that are not decrypted have no signs.

// junkKinds are the junk filters by their query value, in the menu's order.
var junkKinds = []struct {
	Key   string
	Flag  junk.Flags
	Label string
}{
	{"empty", junk.Empty, "Empty narrative"},
	{"similar", junk.NearIdentical, "Near-identical narratives"},
	{"nostate", junk.NoState, "No State (none, not sure, or not a State's code)"},
	{"burst", junk.Burst, "Received in a burst (10 or more within 10 minutes)"},
}

// junkFlag returns the flag of a junk filter's key (0: none).
func junkFlag(key string) junk.Flags {
	for _, k := range junkKinds {
		if k.Key == key {
			return k.Flag
		}
	}
	return 0
}

// junkIndex holds the signs found in one generation of the loaded cases.
type junkIndex struct {
	gen      uint64
	flags    map[*Case]junk.Flags
	group    map[*Case]int
	sketches map[*Case]*junk.SketchOf // kept for the next generation
}

// signs returns a case's signs and the size of its near-identical group.
func (x *junkIndex) signs(c *Case) (junk.Flags, int) {
	if x == nil {
		return 0, 0
	}
	return x.flags[c], x.group[c]
}

// junkSigns returns the signs of the cases loaded now, computing them
// when the cases changed since the last time. A narrative's sketch is
// computed once per loaded case, on every core; grouping is linear in the
// number of cases (desk/junk).
func (s *Source) junkSigns() *junkIndex {
	s.junkMu.Lock()
	defer s.junkMu.Unlock()
	s.mu.RLock()
	gen := s.gen
	if s.junk != nil && s.junk.gen == gen {
		s.mu.RUnlock()
		return s.junk
	}
	var cases []*Case
	var items []junk.Item
	for _, c := range s.cases {
		if !c.Readable() {
			continue
		}
		r := &c.Env.Report
		texts := make([]string, len(r.Incidents))
		for i, in := range r.Incidents {
			texts[i] = in.Narrative
		}
		cases = append(cases, c)
		items = append(items, junk.Item{Narrative: junk.Narratives(texts), State: r.StateConcerned, ReceivedAt: c.Env.ReceivedAt})
	}
	s.mu.RUnlock()

	x := &junkIndex{gen: gen, flags: make(map[*Case]junk.Flags, len(cases)), group: map[*Case]int{},
		sketches: make(map[*Case]*junk.SketchOf, len(cases))}
	sketches := make([]*junk.SketchOf, len(cases))
	var todo []int
	for i, c := range cases {
		if old := s.junk; old != nil && old.sketches[c] != nil {
			sketches[i] = old.sketches[c]
		} else {
			todo = append(todo, i)
		}
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for j := w; j < len(todo); j += workers {
				i := todo[j]
				sketches[i] = junk.Sketch(items[i].Narrative)
			}
		})
	}
	wg.Wait()
	res := junk.Find(items, sketches)
	for i, c := range cases {
		x.sketches[c] = sketches[i]
		if res.Flags[i] != 0 {
			x.flags[c] = res.Flags[i]
		}
		if res.Group[i] > 1 {
			x.group[c] = res.Group[i]
		}
	}
	// The sketches of cases no longer loaded are derived from their
	// decrypted text: zeroed.
	if old := s.junk; old != nil {
		for c, sk := range old.sketches {
			if _, kept := x.sketches[c]; !kept {
				sk.Wipe()
			}
		}
	}
	s.junk = x
	return x
}

// dropJunk forgets the signs and zeroes the sketches (on Load and Wipe).
// The caller does not hold mu.
func (s *Source) dropJunk() {
	s.junkMu.Lock()
	defer s.junkMu.Unlock()
	if s.junk != nil {
		for _, sk := range s.junk.sketches {
			sk.Wipe()
		}
	}
	s.junk = nil
}

// signWords are a case's signs in words, for its row in the inbox.
func (b base) signWords(f junk.Flags, group int) []string {
	var out []string
	if f.Has(junk.Empty) {
		out = append(out, b.T("empty narrative"))
	}
	if f.Has(junk.NearIdentical) {
		out = append(out, b.T("near-identical to {0} other cases", group-1))
	}
	if f.Has(junk.NoState) {
		out = append(out, b.T("no State"))
	}
	if f.Has(junk.Burst) {
		out = append(out, b.T("received in a burst"))
	}
	return out
}

// junkStrings are the junk filters' words, for TestMessages.
func junkStrings() []string {
	out := []string{"empty narrative", "near-identical to {0} other cases", "no State", "received in a burst"}
	for _, k := range junkKinds {
		out = append(out, k.Label)
	}
	return out
}
