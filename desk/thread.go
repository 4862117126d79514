package desk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
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
	// Structured is the structured entry a bound team note carries (a UN
	// action, a State response, a publication, a link), checked whole by
	// envelope.OpenNote; nil for a plain note.
	Structured *envelope.Entry
	Problem    Problem
	// Signature is what a reply's signature proves (SigNone for notes,
	// follow-ups and what did not open). OpenThread checks the signature
	// itself; CheckSigners then looks its key up in verified rosters.
	Signature Signature
	// Signer is the key of a valid signature; SignedBy the label the
	// verified roster gives it (SigVerified only).
	Signer, SignedBy string
}

// Signature is what a reply's signature shows.
type Signature int

const (
	// SigNone: not a reply, or a reply that did not open.
	SigNone Signature = iota
	// SigUnsigned: a reply without a signature (from before replies
	// were signed, or planted): the reporter is not shown it.
	SigUnsigned
	// SigForged: a signature that does not verify: the reply was changed
	// after it was signed, or forged. The reporter is not shown it.
	SigForged
	// SigUnlisted: a valid signature by a key that no verified roster of
	// the case's teams lists (a removed handler, a stranger): the
	// reporter is not shown it.
	SigUnlisted
	// SigVerified: signed by a key the handler's verified roster lists,
	// as SignedBy: what the reporter is shown.
	SigVerified
)

// CheckSigners marks each reply of entries whose signature is valid as
// SigVerified when one of rosters (verified against the handler's pins:
// Desk.ReplyRosters) lists its key, SigUnlisted otherwise.
func CheckSigners(entries []Entry, rosters []roster.Roster) {
	for i := range entries {
		e := &entries[i]
		if e.Signer == "" || (e.Signature != SigUnlisted && e.Signature != SigVerified) {
			continue
		}
		e.Signature, e.SignedBy = SigUnlisted, ""
		key, err := crypto.ParseSigningPublicKey(e.Signer)
		if err != nil {
			continue
		}
		for _, r := range rosters {
			if en, ok := r.Signer(key); ok {
				e.Signature, e.SignedBy = SigVerified, en.Label
				break
			}
		}
	}
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
			env, binding := envelope.OpenNote(plain, n.Kind, ref)
			switch binding {
			case envelope.NoteForeign:
				e.Problem = Foreign
			case envelope.NoteUnbound:
				e.Unverified = true
				e.Text = strings.TrimRight(env.Text, " \n")
			case envelope.NoteBound:
				e.Author = env.Author
				e.Text = strings.TrimRight(env.Text, " \n")
				e.Structured = env.Entry
			}
			if n.Kind == envelope.KindReply && binding != envelope.NoteForeign {
				e.Signature = replySignature(env, binding, &e.Signer)
			}
		}
		clear(plain)
		out = append(out, e)
	}
	return out
}

// replySignature checks an opened reply's signature, setting signer to
// the key of a valid one.
func replySignature(env envelope.Note, binding envelope.NoteBinding, signer *string) Signature {
	if binding != envelope.NoteBound {
		return SigUnsigned
	}
	key, err := envelope.VerifyReply(env)
	switch {
	case errors.Is(err, envelope.ErrUnsigned):
		return SigUnsigned
	case err != nil:
		return SigForged
	}
	*signer = key.String()
	return SigUnlisted
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

// Thread opens case ref's notes, replies and follow-ups (OpenThread, with
// the handler's identities) and checks each signed reply's key against
// the verified rosters of the case's teams (ReplyRosters, CheckSigners):
// teams as sealed in the report when the caller knows them, else (nil)
// the teams the server names for case ref, which can only choose among
// rosters verified against the handler's pins.
func (d Desk) Thread(ctx context.Context, ref string, teams []string, notes []handlerapi.Note) []Entry {
	thread := OpenThread(ref, notes, d.IDs)
	if !slices.ContainsFunc(thread, func(e Entry) bool { return e.Signer != "" }) {
		return thread
	}
	if teams == nil {
		if cs, err := d.API.Case(ctx, ref); err == nil && CheckAnswer(cs, ref) == nil {
			teams = cs.Teams
		}
	}
	CheckSigners(thread, d.ReplyRosters(ctx, teams))
	return thread
}
