package intake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// MaxFollowUp is the longest follow-up a reporter may add, in characters.
const MaxFollowUp = 10000

const (
	msgFollowUpEmpty = "Please write the information you want to add."
	msgFollowUpLong  = msgMaxChars
)

// Reply is a handler's reply, decrypted for the reporter and verified, or
// the reporter's own earlier follow-up (which they cannot read back: it
// is encrypted to the teams only).
type Reply struct {
	Kind string // "reply" or "followup"
	On   time.Time
	Text string // empty for follow-ups
	OK   bool   // a reply that opened and whose signature verified
}

// Visit is what a reporter sees on a return visit.
type Visit struct {
	Case    store.ReturnCase
	Replies []Reply
}

// ErrNoSuchReceipt is a receipt that opens no case.
var ErrNoSuchReceipt = errors.New("no case for this receipt")

// Lookup opens a return visit: it finds the case by the receipt's keyed
// hash and decrypts the handlers' replies with the receipt-derived key, in
// memory, for this request only.
//
// The reply key is derived from the receipt, and the server (anyone who
// can write to its database) can encrypt to it, so decrypting proves
// nothing about who wrote a reply. A reply is shown only when it is
// sealed as a reply of this case, signed (envelope.VerifyReply), and its
// signing key is listed in the current signed roster of one of the case's
// teams, verified against the team's configured roster keys and not
// expired (replySigners). Any other reply (planted, forged, signed by a
// key no current roster lists, written before replies were signed, or
// one that does not open) is left out: nothing is shown for it, and it
// does not change the status the reporter reads.
func (s *Service) Lookup(ctx context.Context, receipt crypto.Receipt) (Visit, error) {
	c, err := s.db.CaseByReceiptHash(ctx, receipt.LookupHash(s.receiptKey))
	if errors.Is(err, store.ErrNotFound) {
		return Visit{}, ErrNoSuchReceipt
	}
	if err != nil {
		return Visit{}, err
	}
	v := Visit{Case: c}
	notes, err := s.db.ReporterNotes(ctx, c.ID)
	if err != nil {
		return Visit{}, err
	}
	var signers []roster.Roster
	if slices.ContainsFunc(notes, func(n store.Note) bool { return n.Kind == envelope.KindReply }) {
		if signers, err = s.replySigners(ctx, c.Teams); err != nil {
			return Visit{}, err
		}
	}
	key := receipt.ReplyIdentity()
	for _, n := range notes {
		r := Reply{Kind: n.Kind, On: n.CreatedOn}
		if n.Kind == envelope.KindReply {
			text, ok := openReply(n.Ciphertext, c.Reference, key, signers)
			if !ok {
				continue
			}
			r.Text, r.OK = strings.TrimRight(text, " \n"), true
		}
		v.Replies = append(v.Replies, r)
	}
	return v, nil
}

// openReply decrypts a reply of case ref and returns its text only if it
// is bound to ref and signed by a key that one of the rosters lists.
func openReply(ciphertext []byte, ref string, key *age.X25519Identity, rosters []roster.Roster) (string, bool) {
	plain, err := crypto.Open(ciphertext, key)
	if err != nil {
		return "", false
	}
	defer clear(plain)
	env, b := envelope.OpenNote(plain, envelope.KindReply, ref)
	if b != envelope.NoteBound {
		return "", false
	}
	signer, err := envelope.VerifyReply(env)
	if err != nil {
		return "", false
	}
	for _, r := range rosters {
		if _, ok := r.Signer(signer); ok {
			return env.Text, true
		}
	}
	return "", false
}

// replySigners returns the current signed rosters of teams that verify
// against each team's configured roster keys and have not expired: the
// only source of keys whose replies a reporter is shown. A team without
// roster keys, or without a roster, has none; a stored roster that no
// longer verifies (the database was changed) gives none either.
func (s *Service) replySigners(ctx context.Context, teams []string) ([]roster.Roster, error) {
	stored, err := s.db.LatestRosters(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []roster.Roster
	for _, t := range s.teams {
		sr, ok := stored[t.Name]
		if !ok || !slices.Contains(teams, t.Name) || len(t.RosterPublicKeys()) == 0 {
			continue
		}
		r, err := roster.Verify(sr, t.RosterPublicKeys(), 1)
		if err != nil || r.Team != t.Name || r.Expired(now) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// CaseByID returns the case a visit token names.
func (s *Service) CaseByID(ctx context.Context, id string) (store.ReturnCase, error) {
	return s.db.CaseByID(ctx, id)
}

// FollowUp seals a reporter's follow-up to the case's teams and stores it
// with an alert for each team. It returns a *ValidationError for text that
// is empty or too long.
func (s *Service) FollowUp(ctx context.Context, c store.ReturnCase, text, language string) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return &ValidationError{Fields: []FieldError{{Path: "text", Message: msgFollowUpEmpty, Key: msgFollowUpEmpty}}}
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return &ValidationError{Fields: []FieldError{{Path: "text", Message: MsgBadText, Key: MsgBadText}}}
	case utf8.RuneCountInString(text) > MaxFollowUp:
		args := []string{strconv.Itoa(MaxFollowUp)}
		return &ValidationError{Fields: []FieldError{{Path: "text", Message: Fill(msgFollowUpLong, args...), Key: msgFollowUpLong, Args: args}}}
	}
	if !slices.Contains(Choices["language"], language) {
		language = "en"
	}
	recipients, alerts, err := s.caseRecipients(ctx, c)
	if err != nil {
		return fmt.Errorf("intake.FollowUp: %w", err)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	sealed, err := envelope.SealFollowUp(envelope.FollowUp{Reference: c.Reference, ReceivedAt: now, Language: language, Text: text}, recipients)
	if err != nil {
		return fmt.Errorf("intake.FollowUp: %w", err)
	}
	if err := s.db.AddFollowUp(ctx, c.ID, sealed, alerts); err != nil {
		return fmt.Errorf("intake.FollowUp: %w", err)
	}
	return nil
}

// visitTTL is how long a return visit may add follow-ups without entering
// the receipt again.
const visitTTL = 30 * time.Minute

// VisitToken returns a token that lets the page of a return visit add a
// follow-up to case id without carrying the receipt: the case id, an
// expiry and an HMAC under a key derived from the receipt key. Nothing is
// stored about the visit.
func (s *Service) VisitToken(id string) string {
	return crypto.SignToken(s.visitKey(), []byte(id), s.now().Add(visitTTL))
}

// OpenVisitToken checks a visit token and returns its case id.
func (s *Service) OpenVisitToken(tok string) (string, error) {
	id, err := crypto.OpenToken(s.visitKey(), tok, s.now())
	return string(id), err
}

// MaxVisitBox bounds a sealed box carried by a return visit's pages (the
// replies the first page showed). The routes that receive it (the
// follow-up form, the upload form) allow this much on top of their own
// limits, so a long reply never costs the reporter a follow-up or a file.
const MaxVisitBox = 1 << 20

// SealForVisit seals what a return visit showed (the replies, decrypted
// with the receipt) into a box that the visit's page carries, so that the
// pages after it (adding information or files), which have no receipt,
// can show it again. It is AES-256-GCM under a key derived from the
// receipt key, bound to the case and valid as long as a visit token. It
// returns "" for data too large to carry.
func (s *Service) SealForVisit(id string, plain []byte) string {
	box := crypto.SealBox(crypto.DeriveKey(s.receiptKey, "reprisals/visit-box/v1"), plain, []byte(id), s.now().Add(visitTTL))
	if len(box) > MaxVisitBox {
		return ""
	}
	return box
}

// OpenForVisit opens a box from SealForVisit for case id.
func (s *Service) OpenForVisit(id, box string) ([]byte, error) {
	return crypto.OpenBox(crypto.DeriveKey(s.receiptKey, "reprisals/visit-box/v1"), box, []byte(id), s.now(), MaxVisitBox)
}

func (s *Service) visitKey() []byte {
	return crypto.DeriveKey(s.receiptKey, "reprisals/visit-token/v1")
}
