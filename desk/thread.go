package desk

import (
	"errors"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Problem is why a thing of a case is not shown.
type Problem int

const (
	// NoProblem: it opened and is what the server says it is.
	NoProblem Problem = iota
	// Closed: not encrypted to the handler's identity.
	Closed
	// Foreign: it is not a thing of this case (or not of the kind the
	// server lists it as): the server's data has been tampered with.
	Foreign
)

// Entry is one note, reply or follow-up of a case's thread, opened.
type Entry struct {
	handlerapi.Note // as the server lists it (Ciphertext dropped)
	// Author is the writer's client's word for a bound note or reply,
	// the server's otherwise.
	Author string
	// Text is the decrypted text (empty unless Problem is NoProblem).
	Text string
	// Language and ReceivedAt are a follow-up's, as sealed.
	Language   string
	ReceivedAt time.Time
	// Unverified is an older note or reply, written before notes were
	// bound to their case: it may belong to another case.
	Unverified bool
	Problem    Problem
}

// OpenThread decrypts a case's notes, replies and follow-ups in the order
// they were added (other kinds are dropped). Each is shown only if it is
// sealed as a thing of that kind of case ref (envelope's check); an
// older, unbound note or reply is marked Unverified.
func OpenThread(ref string, notes []handlerapi.Note, ids []age.Identity) []Entry {
	notes = slices.Clone(notes)
	slices.SortStableFunc(notes, func(a, b handlerapi.Note) int { return int(a.ID - b.ID) })
	out := make([]Entry, 0, len(notes))
	for _, n := range notes {
		switch n.Kind {
		case envelope.KindFollowUp, envelope.KindNote, envelope.KindReply:
		default:
			continue
		}
		e := Entry{Note: n, Author: n.Author}
		e.Ciphertext = nil
		plain, err := crypto.Open(n.Ciphertext, ids...)
		if err != nil {
			e.Problem = Closed
			out = append(out, e)
			continue
		}
		if n.Kind == envelope.KindFollowUp {
			if f, err := envelope.ParseFollowUp(plain, ref); err != nil {
				e.Problem = Foreign
			} else {
				e.Text, e.Language, e.ReceivedAt = strings.TrimRight(f.Text, " \n"), f.Language, f.ReceivedAt
			}
		} else {
			switch env, binding := envelope.OpenNote(plain, n.Kind, ref); binding {
			case envelope.NoteForeign:
				e.Problem = Foreign
			case envelope.NoteUnbound:
				e.Unverified = true
				e.Text = strings.TrimRight(env.Text, " \n")
			case envelope.NoteBound:
				e.Author = env.Author
				e.Text = strings.TrimRight(env.Text, " \n")
			}
		}
		clear(plain)
		out = append(out, e)
	}
	return out
}

// File is a listed attachment with its manifest opened.
type File struct {
	handlerapi.Attachment
	Manifest envelope.Manifest // zero unless Problem is NoProblem
	Problem  Problem
}

// OpenFiles opens the manifests of case ref's attachments; one that does
// not open, or is not a manifest of ref with every field well-formed
// (envelope.ParseManifest), is marked and never used.
func OpenFiles(listed []handlerapi.Attachment, ref string, ids []age.Identity) []File {
	out := make([]File, len(listed))
	for i, a := range listed {
		out[i].Attachment = a
		m, err := envelope.OpenManifest(a.Manifest, ref, ids...)
		switch {
		case errors.Is(err, envelope.ErrNotForYou):
			out[i].Problem = Closed
		case err != nil:
			out[i].Problem = Foreign
		default:
			out[i].Manifest = m
		}
	}
	return out
}
