package desk

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Why a thing was left as it is (English; the console translates them).
const (
	WhyNotReply       = "is not a reply sealed for this case"
	WhyUnsealedReply  = "belongs to a case from before reply keys were sealed in the report, so its reply key is only the server's word"
	WhyNotFollowUp    = "is not a follow-up of this case"
	WhyNotNote        = "is not a note of this case"
	WhyNotFile        = "is not a file of this case"
	WhyReplyKeySwaped = "has a reply key named by the server that is not the one sealed in the report"
)

// Left is one thing of a case that was left as it is, and why.
type Left struct {
	What string // "reply", "follow-up", "note" or "file"
	ID   string
	Why  string // one of the Why constants
}

// Outcome is what happened to one case.
type Outcome int

const (
	Rekeyed Outcome = iota // re-encrypted (or would be, in a dry run)
	Skipped                // not readable with this identity
	Refused                // its content is not its own (ErrMoved)
)

// RekeyResult is the result for one case.
type RekeyResult struct {
	Reference string
	Outcome   Outcome
	Reason    error  // why it was refused
	Left      []Left // things of a rekeyed case left as they are
}

// RekeySummary counts the results of a run.
type RekeySummary struct {
	Rekeyed, Skipped, Refused int
	Cases                     []RekeyResult
}

// Rekeyer re-encrypts a team's cases to the verified rosters of the teams
// they are routed to, after a roster change: the one implementation
// behind both 'casectl rekey' and the console's Rekey. Each thing is
// re-encrypted only if it proves to belong to the case (Fetch,
// envelope.Check); anything else is left exactly as it is and reported. Team and Rosters must return recipients
// verified against the handler's pins only.
type Rekeyer struct {
	API *handlerapi.Client
	IDs []age.Identity
	// Team is the verified roster of the handler's own team (notes).
	Team []crypto.Recipient
	// Rosters returns the union of the verified rosters of teams.
	Rosters func(ctx context.Context, teams []string) ([]crypto.Recipient, error)
	// DryRun decrypts and checks each case but re-encrypts nothing.
	DryRun bool
}

// All goes through every case the handler's team sees, newest first,
// calling each (if not nil) after each case. A refused case does not stop
// the run (a removed handler must not keep access to every case because
// one was tampered with); any other error does.
func (r *Rekeyer) All(ctx context.Context, each func(RekeyResult)) (RekeySummary, error) {
	var sum RekeySummary
	for page := 1; ; page++ {
		res, err := r.API.Cases(ctx, handlerapi.CaseQuery{Page: page, PerPage: 100, Sort: "-received"})
		if err != nil {
			return sum, err
		}
		for _, m := range res.Cases {
			ref := handlerapi.Safe(m.Reference)
			c, err := r.One(ctx, ref)
			if err != nil {
				return sum, fmt.Errorf("%s: %w", ref, err)
			}
			switch c.Outcome {
			case Rekeyed:
				sum.Rekeyed++
			case Skipped:
				sum.Skipped++
			case Refused:
				sum.Refused++
			}
			sum.Cases = append(sum.Cases, c)
			if each != nil {
				each(c)
			}
		}
		if page*res.PerPage >= res.Total || len(res.Cases) == 0 {
			break
		}
	}
	return sum, nil
}

// One re-encrypts one case, the team's notes on it, its follow-ups and
// replies, and its attachment manifests, to the verified rosters of the
// teams it is routed to (replies: to the reply key sealed in the report).
func (r *Rekeyer) One(ctx context.Context, ref string) (RekeyResult, error) {
	out := RekeyResult{Reference: ref}
	cs, env, plain, err := Fetch(ctx, r.API, ref, r.IDs)
	switch {
	case errors.Is(err, ErrNotForYou):
		out.Outcome = Skipped
		return out, nil
	case errors.Is(err, ErrMoved):
		out.Outcome, out.Reason = Refused, err
		return out, nil
	case err != nil:
		return out, err
	}
	defer clear(plain)
	if r.DryRun {
		return out, nil
	}
	caseRecs, err := r.Rosters(ctx, env.Teams)
	if err != nil {
		return out, err
	}
	// plain is already padded to its bucket, so the bucket does not change.
	sealed, err := crypto.Seal(plain, caseRecs)
	if err != nil {
		return out, err
	}
	notes, err := r.notes(ctx, cs, env, caseRecs, &out)
	if err != nil {
		return out, err
	}
	manifests, err := r.manifests(ctx, ref, caseRecs, &out)
	if err != nil {
		return out, err
	}
	return out, r.API.Rekey(ctx, ref, handlerapi.Rekey{Ciphertext: sealed.Ciphertext, Notes: notes, Attachments: manifests})
}

// notes re-seals the notes, follow-ups and replies of a case that prove
// to belong to it.
func (r *Rekeyer) notes(ctx context.Context, cs handlerapi.Case, env envelope.Case, caseRecs []crypto.Recipient, out *RekeyResult) (map[int64][]byte, error) {
	list, err := r.API.Notes(ctx, cs.Reference)
	if err != nil {
		return nil, err
	}
	var replyRecs []crypto.Recipient
	sealed := map[int64][]byte{}
	for _, n := range list {
		text, err := crypto.Open(n.Ciphertext, r.IDs...)
		if err != nil {
			continue // another team's, or not readable by us: left as it is
		}
		left := func(what, why string) {
			clear(text)
			out.Left = append(out.Left, Left{What: what, ID: fmt.Sprint(n.ID), Why: why})
		}
		recs := r.Team
		switch n.Kind {
		case "reply":
			// Only a reply sealed for this case is re-encrypted, and only
			// to the reply key sealed in the report: anything else the
			// server lists as a reply would otherwise come back to a key
			// it names (a decryption oracle).
			_, binding := envelope.OpenNote(text, envelope.KindReply, cs.Reference)
			if binding != envelope.NoteBound {
				left("reply", WhyNotReply)
				continue
			}
			if env.ReplyRecipient == "" {
				left("reply", WhyUnsealedReply)
				continue
			}
			if env.ReplyRecipient != cs.ReplyRecipient {
				left("reply", WhyReplyKeySwaped)
				continue
			}
			if replyRecs == nil {
				reporter, err := crypto.ParseRecipient(env.ReplyRecipient)
				if err != nil {
					clear(text)
					return nil, err
				}
				replyRecs = crypto.ReplyRecipients(reporter, caseRecs)
			}
			recs = replyRecs
		case "followup": // the reporter's: for every team the case is routed to
			if envelope.Check(text, envelope.KindFollowUp, cs.Reference, false) != nil {
				left("follow-up", WhyNotFollowUp)
				continue
			}
			recs = caseRecs
		case "note":
			// Unbound (older) notes go to the verified team roster only,
			// which can read them already; another case's content is
			// left alone.
			if _, binding := envelope.OpenNote(text, envelope.KindNote, cs.Reference); binding == envelope.NoteForeign {
				left("note", WhyNotNote)
				continue
			}
		default:
			clear(text)
			continue
		}
		s, err := crypto.Seal(text, recs)
		clear(text)
		if err != nil {
			return nil, err
		}
		sealed[n.ID] = s.Ciphertext
	}
	return sealed, nil
}

// manifests re-seals the attachment manifests that open and name this
// case.
func (r *Rekeyer) manifests(ctx context.Context, ref string, recs []crypto.Recipient, out *RekeyResult) (map[string][]byte, error) {
	listed, err := r.API.Attachments(ctx, ref)
	if err != nil {
		return nil, err
	}
	sealed := map[string][]byte{}
	for _, a := range listed {
		plain, err := crypto.Open(a.Manifest, r.IDs...)
		if err != nil {
			continue
		}
		if envelope.Check(plain, envelope.KindAttachment, ref, false) != nil {
			clear(plain)
			out.Left = append(out.Left, Left{What: "file", ID: handlerapi.Safe(a.ID), Why: WhyNotFile})
			continue
		}
		s, err := crypto.Seal(plain, recs)
		clear(plain)
		if err != nil {
			return nil, err
		}
		sealed[a.ID] = s.Ciphertext
	}
	return sealed, nil
}
