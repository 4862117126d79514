package envelope

// LinkSet folds the link entries of some cases' threads (links and their
// undoings, from either case of each pair) into the links in force. For
// each pair of cases and kind, the entry with the latest sealed At
// decides: a link or its undoing. An entry without At (a link sealed
// before links carried one) counts as the earliest; of two entries with
// the same At, the undoing wins. The order in which a server lists notes
// therefore changes nothing; a server can only withhold a note (an
// undoing withheld on one case still counts from the other's).
//
// A "same" link joins a pair whichever case it is sealed on; a
// "duplicate" link says that the case it is sealed on is a duplicate of
// Other, so its pair is ordered.
type LinkSet struct {
	m     map[linkKey]Link
	order []linkKey            // first seen first
	byRef map[string][]linkKey // each case's pairs, first seen first
}

type linkKey struct{ kind, a, b string }

func keyOf(from string, l Link) linkKey {
	a, b := from, l.Other
	if l.Kind == LinkSame && b < a {
		a, b = b, a
	}
	return linkKey{l.Kind, a, b}
}

// Add folds in link entry l, sealed on case from (an entry opened by
// OpenNote, which checked it whole). A link of a case to itself is
// ignored.
func (s *LinkSet) Add(from string, l Link) {
	if from == l.Other {
		return
	}
	if s.m == nil {
		s.m, s.byRef = map[linkKey]Link{}, map[string][]linkKey{}
	}
	k := keyOf(from, l)
	old, seen := s.m[k]
	switch {
	case !seen:
		s.order = append(s.order, k)
		s.byRef[k.a] = append(s.byRef[k.a], k)
		s.byRef[k.b] = append(s.byRef[k.b], k)
	case l.At.Before(old.At), l.At.Equal(old.At) && old.Undo:
		return
	}
	s.m[k] = l
}

// Linked reports whether the link of kind between from and other is in
// force ("same": either way round; "duplicate": from is the duplicate).
func (s *LinkSet) Linked(kind, from, other string) bool {
	l, ok := s.m[keyOf(from, Link{Kind: kind, Other: other})]
	return ok && !l.Undo
}

// Others returns the cases linked to ref by kind, in force, each once,
// in the order their pairs were first added. For "duplicate", they are
// the cases ref is a duplicate of.
func (s *LinkSet) Others(kind, ref string) []string {
	var out []string
	for _, k := range s.byRef[ref] {
		if k.kind != kind || s.m[k].Undo {
			continue
		}
		switch {
		case k.a == ref:
			out = append(out, k.b)
		case k.b == ref && kind == LinkSame:
			out = append(out, k.a)
		}
	}
	return out
}

// Pairs returns every pair linked by kind, in force, in the order first
// added ("duplicate": the duplicate first).
func (s *LinkSet) Pairs(kind string) [][2]string {
	var out [][2]string
	for _, k := range s.order {
		if k.kind == kind && !s.m[k].Undo {
			out = append(out, [2]string{k.a, k.b})
		}
	}
	return out
}
