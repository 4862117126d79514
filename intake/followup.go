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

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/store"
)

// MaxFollowUp is the longest follow-up a reporter may add, in characters.
const MaxFollowUp = 10000

const (
	msgFollowUpEmpty = "Please write the information you want to add."
	msgFollowUpLong  = msgMaxChars
)

// Reply is a handler's reply, decrypted for the reporter, or the
// reporter's own earlier follow-up (which they cannot read back: it is
// encrypted to the teams only).
type Reply struct {
	Kind string // "reply" or "followup"
	On   time.Time
	Text string // empty for follow-ups, and for a reply that would not open
	OK   bool
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
	key := receipt.ReplyIdentity()
	for _, n := range notes {
		r := Reply{Kind: n.Kind, On: n.CreatedOn}
		if n.Kind == "reply" {
			if plain, err := crypto.Open(n.Ciphertext, key); err == nil {
				// A reply of another case is not shown; a reply from
				// before replies were bound to their case is plain text.
				if env, b := envelope.OpenNote(plain, "reply", c.Reference); b != envelope.NoteForeign {
					r.Text, r.OK = strings.TrimRight(env.Text, " \n"), true
				}
				clear(plain)
			}
		}
		v.Replies = append(v.Replies, r)
	}
	return v, nil
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
	plain, err := envelope.FollowUp{Version: envelope.Version, Kind: "followup", Reference: c.Reference, ReceivedAt: now, Language: language, Text: text}.Marshal()
	if err != nil {
		return fmt.Errorf("intake.FollowUp: %w", err)
	}
	sealed, err := crypto.Seal(plain, recipients)
	clear(plain)
	if err != nil {
		return fmt.Errorf("intake.FollowUp: %w", err)
	}
	if err := s.db.AddFollowUp(ctx, c.ID, sealed.Ciphertext, alerts); err != nil {
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
