package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
)

// Desk is one signed-in handler's side of the handler API: the
// connection, the handler's identities, the rosters verified against
// their pins, and who the server said they are at login. casectl builds
// one per command, the console one per request; the zero value of a
// field means "not known" (no identity given, no own key recorded).
type Desk struct {
	API *handlerapi.Client
	// IDs are the handler's identities (nil where a command needs none).
	IDs []age.Identity
	// Rosters gives the recipients verified against the handler's pins.
	Rosters *Rosters
	// Handler and Team are the server's word at login.
	Handler, Team string
	// Mine are the handler's own public keys, as recorded at login (see
	// CheckTeamOfMine); empty with plugin identities.
	Mine []string
	// Signing is the handler's signing key (OpenSigningKey), which signs
	// their replies; zero when they have none (then no reply is sent).
	Signing crypto.SigningKey
}

// Kinds of what a handler writes on a case.
const (
	KindNote  = envelope.KindNote  // a team note, encrypted to the handler's team
	KindReply = envelope.KindReply // a reply to the reporter
)

// MaxNoteText bounds the text of a note or reply, in bytes.
const MaxNoteText = 1 << 20

// Why a note or reply is not written (besides ErrNotInRoster,
// ErrReplyKeySwapped, ErrReplyKeyUnsealed, ErrNotForYou, ErrMoved and
// the rosters' and the server's errors); the faces word them.
var (
	// ErrEmptyText: the text is empty or only spaces.
	ErrEmptyText = errors.New("the text is empty")
	// ErrTextTooLong: the text is longer than MaxNoteText or not UTF-8.
	ErrTextTooLong = fmt.Errorf("the text is longer than %d bytes, or not UTF-8", MaxNoteText)
	// ErrNeedIdentity: a reply needs the handler's identity, to open the
	// report its reply key is sealed in.
	ErrNeedIdentity = errors.New("a reply needs your identity, to open the report")
	// ErrNoSigningKey: the handler has no signing key, and a reporter is
	// shown only signed replies.
	ErrNoSigningKey = errors.New("you have no signing key, and reporters are shown only signed replies")
	// ErrSignerNotInRoster: no verified roster of the case's teams lists
	// the handler's signing key, so the reporter would not be shown the
	// reply.
	ErrSignerNotInRoster = errors.New("no signed roster of the case's teams lists your signing key, so the reporter would not be shown your reply")
)

// OrgMayReadError is a reply on a case an intermediary logged: its staff
// saw the receipt and can read every reply at /return, so the handler
// must say they know (NoteOptions.OrgMayRead) before one is sent.
type OrgMayReadError struct {
	Intermediary envelope.IntermediaryRecord // as sealed in the report
}

func (e *OrgMayReadError) Error() string {
	return "the organisation that logged this case can read every reply"
}

// NoteOptions are the handler's answers for a reply (a note needs none).
type NoteOptions struct {
	// OrgMayRead: the handler knows the organisation that logged the
	// case can read the reply (else *OrgMayReadError).
	OrgMayRead bool
	// TrustServerReplyKey: for a case from before reply keys were sealed
	// in the report, encrypt to the key the server names (else
	// ErrReplyKeyUnsealed).
	TrustServerReplyKey bool
}

// Outgoing is a note or reply whose case and recipients are checked:
// Send seals a text to them. Made by Prepare.
type Outgoing struct {
	d          Desk
	kind, ref  string
	recipients []crypto.Recipient
}

// Prepare checks, before a text is written, where a note or reply on
// case ref would go, with every rule for it:
//
//   - the case is the one the handler named, never one the server swaps
//     in: with identities it is fetched, opened and its sealed reference
//     checked (Fetch; a note on a case not readable with them is allowed,
//     its answer checked by reference); without, the server's answer must
//     name it (CheckAnswer). A reply always needs identities.
//   - a note goes to the verified roster of the handler's team, which
//     must list one of the handler's own keys (CheckTeamOfMine).
//   - a reply goes to the reply key sealed in the report (ReplyKey; the
//     server's word only with TrustServerReplyKey for an older report)
//     and, as age allows, the verified rosters of the teams sealed in the
//     report (never the server's list); on a case an intermediary logged
//     only with OrgMayRead. It is signed with the handler's signing key,
//     which one of those verified rosters must list (the reporter's page
//     shows nothing else): ErrNoSigningKey, ErrSignerNotInRoster.
//
// Rosters not accepted yet go through the Rosters' Confirm.
func (d Desk) Prepare(ctx context.Context, kind, ref string, opt NoteOptions) (*Outgoing, error) {
	out := &Outgoing{d: d, kind: kind, ref: ref}
	var err error
	switch kind {
	case KindNote:
		if err = d.checkCase(ctx, ref); err != nil {
			return nil, err
		}
		out.recipients, err = d.TeamOfMine(ctx)
	case KindReply:
		out.recipients, err = d.replyRecipients(ctx, ref, opt)
	default:
		return nil, envelope.ErrNoteKind
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReplyRosters returns the verified rosters (as the handler's pins
// verify them) of teams that the server has; a team whose roster cannot
// be verified is left out. CheckSigners looks replies' keys up in them.
func (d Desk) ReplyRosters(ctx context.Context, teams []string) []roster.Roster {
	var out []roster.Roster
	if d.Rosters == nil {
		return nil
	}
	for _, t := range teams {
		if r, _, err := d.Rosters.TeamRoster(ctx, t); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Recipients is how many recipients the note or reply is encrypted to.
func (o *Outgoing) Recipients() int { return len(o.recipients) }

// Send seals text as the note or reply, bound to its kind and case and
// signed-in handler (envelope.SealNoteTo; a reply signed with the
// handler's signing key, envelope.SealReplyTo), to the checked
// recipients, and sends only the ciphertext. It returns the id the server gave it.
func (o *Outgoing) Send(ctx context.Context, text string) (int64, error) {
	if strings.TrimSpace(text) == "" {
		return 0, ErrEmptyText
	}
	if len(text) > MaxNoteText || !utf8.ValidString(text) {
		return 0, ErrTextTooLong
	}
	var sealed []byte
	var err error
	if o.kind == KindReply {
		sealed, err = envelope.SealReplyTo(o.ref, o.d.Handler, text, time.Now(), o.d.Signing, o.recipients)
	} else {
		sealed, err = envelope.SealNoteTo(o.kind, o.ref, o.d.Handler, text, o.recipients)
	}
	if err != nil {
		return 0, err
	}
	return o.d.API.AddNote(ctx, o.ref, handlerapi.NewNote{Kind: o.kind, Ciphertext: sealed})
}

// AddNote is Prepare and Send for a text already written (the console's
// form): a note or reply on case ref. It returns the new note's id and
// the number of recipients it was encrypted to.
func (d Desk) AddNote(ctx context.Context, kind, ref, text string, opt NoteOptions) (id int64, recipients int, err error) {
	o, err := d.Prepare(ctx, kind, ref, opt)
	if err != nil {
		return 0, 0, err
	}
	id, err = o.Send(ctx, text)
	return id, o.Recipients(), err
}

// TeamOfMine returns the verified roster of the handler's team. The team
// is the server's word at login, so it must be pinned (the Rosters refuse
// otherwise) and its signed roster must list a key of the handler's
// (CheckTeamOfMine): a server cannot send a handler's notes to another
// pinned team.
func (d Desk) TeamOfMine(ctx context.Context) ([]crypto.Recipient, error) {
	recs, err := d.Rosters.Team(ctx, d.Team)
	if err != nil {
		return nil, err
	}
	if err := CheckTeamOfMine(recs, d.Mine); err != nil {
		return nil, err
	}
	return recs, nil
}

// checkCase checks that the server answers a request for case ref with
// case ref: opened and checked as Fetch does with identities (a case of
// the team not readable with them passes on its answer), by the
// reference of the answer otherwise.
func (d Desk) checkCase(ctx context.Context, ref string) error {
	if len(d.IDs) > 0 {
		_, _, plain, err := Fetch(ctx, d.API, ref, d.IDs)
		clear(plain)
		if errors.Is(err, ErrNotForYou) {
			return nil
		}
		return err
	}
	cs, err := d.API.Case(ctx, ref)
	if err != nil {
		return err
	}
	return CheckAnswer(cs, ref)
}

// replyRecipients are the reporter's reply key and, when age allows
// mixing them, the verified roster recipients of the teams sealed in the
// report, so the teams can read their replies too.
func (d Desk) replyRecipients(ctx context.Context, ref string, opt NoteOptions) ([]crypto.Recipient, error) {
	if len(d.IDs) == 0 {
		return nil, ErrNeedIdentity
	}
	cs, env, plain, err := Fetch(ctx, d.API, ref, d.IDs)
	clear(plain)
	if err != nil {
		return nil, err
	}
	if env.Intermediary != nil && !opt.OrgMayRead {
		return nil, &OrgMayReadError{Intermediary: *env.Intermediary}
	}
	reporter, err := ReplyKey(env, cs.ReplyRecipient, opt.TrustServerReplyKey)
	if err != nil {
		return nil, err
	}
	if d.Signing.IsZero() {
		return nil, ErrNoSigningKey
	}
	teams, err := d.Rosters.Case(ctx, env.Teams)
	if err != nil {
		return nil, err
	}
	listed := false
	for _, r := range d.ReplyRosters(ctx, env.Teams) {
		if _, ok := r.Signer(d.Signing.Public()); ok {
			listed = true
		}
	}
	if !listed {
		return nil, ErrSignerNotInRoster
	}
	return crypto.ReplyRecipients(reporter, teams), nil
}
