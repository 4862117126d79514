// Package junk finds, on the handler's machine, the signs of a flood of
// machine-written junk among a team's decrypted cases, for the console's
// bulk triage: an empty narrative, a narrative near-identical to other
// cases', no State, and a report that came in a burst of many within a
// short time. It reads only what the handler has already decrypted and
// sends nothing anywhere; it is pure Go, with no I/O.
//
// The signs are for a person to look at, never a verdict: a real report
// can have an empty narrative (the facts are in an attachment), and two
// relatives can send the same words. The console shows the cases and the
// handler decides.
//
// # Near-identical narratives
//
// A narrative is normalised (NFKC, so full-width and other compatibility
// forms read as their plain letters; lower case; format characters such as
// zero-width spaces and bidirectional controls dropped; everything that is
// not a letter, a mark or a digit is a separator) and cut into tokens:
// words, and single characters in the scripts written without spaces
// (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar, Tibetan).
// Its shingles are the runs of Shingle consecutive tokens (the whole text
// when it is shorter). Two narratives are near-identical when the Jaccard
// similarity of their shingle sets, estimated by a one-permutation MinHash
// sketch of SketchSize bins (Sketch), is at least Similar. Groups are
// found with locality-sensitive hashing over bands of the sketch, each
// case compared with at most a few representatives of each band's bucket,
// never with every other case, so the cost grows linearly with the number
// of cases: one hash per shingle, and Bands x maxReps sketch comparisons
// per case. Every text is cut at MaxText bytes first.
package junk

import (
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ohchr-reprisals/intake/country"
)

// Limits and thresholds.
const (
	// MaxText bounds the text read of one case's narratives, in bytes.
	MaxText = 64 << 10
	// Shingle is how many consecutive tokens make a shingle.
	Shingle = 3
	// SketchSize is the number of bins of a MinHash sketch.
	SketchSize = 64
	// Bands and rows split a sketch for locality-sensitive hashing:
	// Bands x rows = SketchSize. With 16 bands of 4 rows, two narratives of
	// similarity 0.8 share a band with probability 0.9998, of 0.5 with
	// probability 0.64 (then the sketches are compared and they are not
	// grouped).
	Bands = 16
	rows  = SketchSize / Bands
	// Similar is the estimated Jaccard similarity from which two
	// narratives are near-identical.
	Similar = 0.8
	// maxReps bounds the comparisons per case and band.
	maxReps = 3
)

// Burst defaults: BurstCount reports or more received within BurstWindow
// of one another.
const (
	BurstCount  = 10
	BurstWindow = 10 * time.Minute
)

// Item is one case as the filters see it.
type Item struct {
	// Narrative is the text of the report's incidents, joined.
	Narrative string
	// State is the State concerned as the report gives it: an ISO 3166
	// code, "unsure", or "" (an older report).
	State string
	// ReceivedAt is when the report was received (zero: not known).
	ReceivedAt time.Time
}

// Flags are the signs found on one case.
type Flags uint8

// The signs.
const (
	Empty Flags = 1 << iota
	NearIdentical
	NoState
	Burst
)

// Has reports whether f has every sign of g.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Result is what Find finds.
type Result struct {
	// Flags are each item's signs, in the items' order.
	Flags []Flags
	// Group is, for each item, how many items (itself included) share its
	// near-identical group; 0 when it has none.
	Group []int
	// Count is how many items have each sign.
	Count map[Flags]int
}

// Find looks for every sign in items. sketches, when not nil, are the
// items' sketches (Sketch of each Narrative) computed beforehand.
func Find(items []Item, sketches []*SketchOf) Result {
	r := Result{Flags: make([]Flags, len(items)), Group: make([]int, len(items)), Count: map[Flags]int{}}
	if sketches == nil {
		sketches = make([]*SketchOf, len(items))
		for i := range items {
			sketches[i] = Sketch(items[i].Narrative)
		}
	}
	for i, it := range items {
		if sketches[i].Empty() {
			r.Flags[i] |= Empty
		}
		if NoStateGiven(it.State) {
			r.Flags[i] |= NoState
		}
	}
	for i, n := range Groups(sketches) {
		if n > 1 {
			r.Flags[i] |= NearIdentical
			r.Group[i] = n
		}
	}
	times := make([]time.Time, len(items))
	for i := range items {
		times[i] = items[i].ReceivedAt
	}
	for i, b := range Bursts(times, BurstCount, BurstWindow) {
		if b {
			r.Flags[i] |= Burst
		}
	}
	for _, f := range r.Flags {
		for _, g := range []Flags{Empty, NearIdentical, NoState, Burst} {
			if f.Has(g) {
				r.Count[g]++
			}
		}
	}
	return r
}

// NoStateGiven reports whether a report names no State: none (an older
// report), "not sure", or a code that is not one (a tampered report).
func NoStateGiven(code string) bool {
	return code == "" || code == country.NotSure || !country.Known(code)
}

// SketchOf is a narrative's MinHash sketch. The zero value, and nil, are
// the sketch of a text without a single letter or digit.
type SketchOf struct {
	bins  [SketchSize]uint32
	empty bool
}

// Empty reports whether the text had no letter, mark or digit at all.
func (s *SketchOf) Empty() bool { return s == nil || s.empty }

// Wipe zeroes the sketch (it is derived from a decrypted text).
func (s *SketchOf) Wipe() {
	if s != nil {
		*s = SketchOf{empty: true}
	}
}

// Similarity estimates the Jaccard similarity of two sketches' shingle
// sets, from 0 to 1; an empty sketch is similar to nothing.
func Similarity(a, b *SketchOf) float64 {
	if a.Empty() || b.Empty() {
		return 0
	}
	same := 0
	for i := range a.bins {
		if a.bins[i] == b.bins[i] {
			same++
		}
	}
	return float64(same) / SketchSize
}

// Sketch normalises text, cuts it into shingles and returns their
// one-permutation MinHash sketch, densified so that no bin is empty.
func Sketch(text string) *SketchOf {
	s := &SketchOf{}
	const unset = ^uint64(0)
	var mins [SketchSize]uint64
	for i := range mins {
		mins[i] = unset
	}
	// A ring of the last Shingle token hashes.
	var ring [Shingle]uint64
	n := 0
	add := func(h uint64) {
		h = mix(h)
		bin, v := h>>(64-6), h&0xffff_ffff
		if v < mins[bin] {
			mins[bin] = v
		}
	}
	eachToken(text, func(tok uint64) {
		ring[n%Shingle] = tok
		n++
		if n >= Shingle {
			add(shingleHash(ring, n))
		}
	})
	switch {
	case n == 0:
		s.empty = true
		return s
	case n < Shingle:
		add(shingleHash(ring, n))
	}
	// Densify: an empty bin takes the value of the next filled bin to its
	// right, offset by the distance, so that texts with few shingles still
	// compare bin by bin.
	for i := range mins {
		if mins[i] != unset {
			s.bins[i] = uint32(mins[i])
			continue
		}
		for d := 1; d < SketchSize; d++ {
			if v := mins[(i+d)%SketchSize]; v != unset {
				s.bins[i] = uint32(mix(v + uint64(d)*0x9e37_79b9_7f4a_7c15))
				break
			}
		}
	}
	return s
}

// shingleHash combines the last min(n, Shingle) token hashes, oldest
// first.
func shingleHash(ring [Shingle]uint64, n int) uint64 {
	k := min(n, Shingle)
	h := uint64(k)
	for j := n - k; j < n; j++ {
		h = bits.RotateLeft64(h, 23) ^ ring[j%Shingle]
		h *= 0xff51_afd7_ed55_8ccd
	}
	return h
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58_476d_1ce4_e5b9
	x ^= x >> 27
	x *= 0x94d0_49bb_1331_11eb
	x ^= x >> 31
	return x
}

// eachToken normalises text (at most MaxText bytes of it) and calls fn
// with the FNV-1a hash of each token.
func eachToken(text string, fn func(uint64)) {
	if len(text) > MaxText {
		cut := MaxText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	if !norm.NFKC.IsNormalString(text) {
		text = norm.NFKC.String(text)
	}
	const offset, prime = 0xcbf2_9ce4_8422_2325, 0x100_0000_01b3
	h, inWord := uint64(offset), false
	flush := func() {
		if inWord {
			fn(h)
		}
		h, inWord = offset, false
	}
	var buf [utf8.UTFMax]byte
	for _, r := range text {
		if r < utf8.RuneSelf { // the common case, without table look-ups
			switch {
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			default:
				flush()
				continue
			}
			h ^= uint64(r)
			h *= prime
			inWord = true
			continue
		}
		switch {
		case r == utf8.RuneError:
			flush()
		case unicode.Is(unicode.Cf, r):
			// Zero-width and bidirectional controls join what they split.
		case unspaced(r):
			flush()
			h = fnv(h, buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))], prime)
			inWord = true
			flush()
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			h = fnv(h, buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))], prime)
			inWord = true
		default:
			flush()
		}
	}
	flush()
}

func fnv(h uint64, b []byte, prime uint64) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= prime
	}
	return h
}

// unspacedScripts are written without spaces between words: each
// character is a token.
var unspacedScripts = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan}

func unspaced(r rune) bool {
	if r < 0x0e00 {
		return false
	}
	return unicode.In(r, unspacedScripts...)
}

// Groups returns, for each sketch, the size of its group of near-identical
// sketches (1: alone; 0: an empty sketch, which is in no group).
func Groups(sketches []*SketchOf) []int {
	parent := make([]int, len(sketches))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	for band := range Bands {
		buckets := make(map[uint64][]int, len(sketches))
		for i, s := range sketches {
			if s.Empty() {
				continue
			}
			key := uint64(band)
			for _, v := range s.bins[band*rows : (band+1)*rows] {
				key = mix(key ^ uint64(v))
			}
			reps := buckets[key]
			matched := false
			for _, rep := range reps {
				if find(rep) == find(i) || Similarity(sketches[rep], s) >= Similar {
					union(rep, i)
					matched = true
					break
				}
			}
			if !matched && len(reps) < maxReps {
				buckets[key] = append(reps, i)
			}
		}
	}
	size := map[int]int{}
	for i, s := range sketches {
		if !s.Empty() {
			size[find(i)]++
		}
	}
	out := make([]int, len(sketches))
	for i, s := range sketches {
		if !s.Empty() {
			out[i] = size[find(i)]
		}
	}
	return out
}

// Bursts marks each time that lies in a window of at most window holding
// at least count times (zero times are never marked).
func Bursts(times []time.Time, count int, window time.Duration) []bool {
	out := make([]bool, len(times))
	if count < 1 {
		return out
	}
	idx := make([]int, 0, len(times))
	for i, t := range times {
		if !t.IsZero() {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return times[a].Compare(times[b]) })
	left, marked := 0, -1 // marked: the last position already marked
	for right := range idx {
		for times[idx[right]].Sub(times[idx[left]]) > window {
			left++
		}
		if right-left+1 >= count {
			for p := max(left, marked+1); p <= right; p++ {
				out[idx[p]] = true
			}
			marked = right
		}
	}
	return out
}

// Narratives joins a report's incident narratives for Item.Narrative.
func Narratives(list []string) string { return strings.Join(list, "\n\n") }
