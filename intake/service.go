package intake

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// ChannelPublic is the channel of reports made through the public form or
// API (as opposed to an intermediary organisation).
const ChannelPublic = "public"

// Route returns the teams a report goes to: every team that receives all
// reports, plus the teams that receive UPR reports when the report's UN
// cooperation is the Universal Periodic Review. Order follows teams.
func Route(r *Report, teams []config.Team) []config.Team {
	var out []config.Team
	for _, t := range teams {
		if t.Receives == config.ReceivesAll || (t.Receives == config.ReceivesUPR && r.Cooperation.Body == "upr") {
			out = append(out, t)
		}
	}
	return out
}

// Accepted is what the reporter is shown once: the public reference and
// the secret receipt.
type Accepted struct {
	ID        string // the case's internal id, for the upload token
	Reference string
	Receipt   crypto.Receipt
	Teams     []string
	// Proof is the signed proof of receipt (crypto.SignProof) the reporter
	// may keep.
	Proof string
}

// Service accepts reports.
type Service struct {
	db         *store.DB
	teams      []config.Team
	receiptKey []byte
	validator  *Validator
	now        func() time.Time
	spool      *Spool
}

// NewService returns a Service storing into db. cfg must have been
// validated. now may be nil (time.Now).
func NewService(db *store.DB, cfg config.Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, teams: cfg.Teams, receiptKey: cfg.ReceiptKey(), validator: NewValidator(now), now: now,
		spool: NewSpool(cfg.Attachments.SpoolBytes)}
}

// VerifyProof checks a proof of receipt against this service's key.
func (s *Service) VerifyProof(text string) (crypto.Proof, error) {
	return crypto.VerifyProof(s.ProofPublicKey(), text)
}

// ProofPublicKey is the key that checks this service's proofs of receipt.
func (s *Service) ProofPublicKey() ed25519.PublicKey {
	return crypto.ProofKey(s.receiptKey).Public().(ed25519.PublicKey)
}

// TeamName returns the display name for reporters, in lang, of the team
// called name (the name itself for a team no longer configured).
func (s *Service) TeamName(name, lang string) string {
	for _, t := range s.teams {
		if t.Name == name {
			return t.DisplayName(lang)
		}
	}
	return name
}

// Validator returns the service's validator.
func (s *Service) Validator() *Validator { return s.validator }

// Validate checks a report and, if not nil, an intermediary's record, and
// returns one *ValidationError listing every problem of both, or nil.
func (s *Service) Validate(r *Report, rec *envelope.IntermediaryRecord) error {
	err := s.validator.Validate(r)
	if rec != nil {
		if rerr := s.validator.ValidateRecord(rec); rerr != nil {
			var ve, re *ValidationError
			if !errors.As(err, &ve) {
				ve = &ValidationError{}
			}
			if errors.As(rerr, &re) {
				ve.Fields = append(ve.Fields, re.Fields...)
			} else {
				return rerr
			}
			err = ve
		}
	}
	return err
}

// referenceAlphabet has no 0/O, 1/I/L: references are read over the phone.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewReference returns a random public reference such as "7KQ4-M2XD".
func NewReference() string {
	var b [8]byte
	out := make([]byte, 0, 9)
	for i := range b {
		out = append(out, referenceAlphabet[randIndex(len(referenceAlphabet))])
		if i == 3 {
			out = append(out, '-')
		}
	}
	return string(out)
}

// randIndex returns a uniform random integer in [0, n) for small n.
func randIndex(n int) int {
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < 256-256%n {
			return int(b[0]) % n
		}
	}
}

// EffectiveRecipients returns, for each team, its configured recipients
// plus those of its active handlers, without duplicates. New reports are
// encrypted to these; handlers' rekeys bring older cases up to date.
func EffectiveRecipients(ctx context.Context, db *store.DB, teams []config.Team) (map[string][]crypto.Recipient, error) {
	handlerKeys, err := db.ActiveRecipients(ctx)
	if err != nil {
		return nil, err
	}
	rosters, err := db.LatestRosters(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]crypto.Recipient{}
	for _, t := range teams {
		if sr, ok := rosters[t.Name]; ok && len(t.RosterPublicKeys()) > 0 {
			// A signed roster alone decides. One that no longer verifies
			// (the database was changed) stops intake rather than adding
			// a key nobody signed.
			r, err := roster.Verify(sr, t.RosterPublicKeys(), 1)
			if err != nil {
				return nil, fmt.Errorf("intake: team %s's stored roster does not verify: %w", t.Name, err)
			}
			if out[t.Name], err = r.Recipients(); err != nil {
				return nil, err
			}
			continue
		}
		seen := map[string]bool{}
		add := func(r crypto.Recipient) {
			if !seen[r.String()] {
				seen[r.String()] = true
				out[t.Name] = append(out[t.Name], r)
			}
		}
		for _, r := range t.Keys() {
			add(r)
		}
		for _, s := range handlerKeys[t.Name] {
			r, err := crypto.ParseRecipient(s)
			if err != nil {
				return nil, fmt.Errorf("intake: handler recipient of team %s: %w", t.Name, err)
			}
			add(r)
		}
	}
	return out, nil
}

// submissionTTL is how long a form's submission token stays valid. A form
// sent later is not lost: it is shown again with a new token.
const submissionTTL = 24 * time.Hour

const submissionNonceSize = 16

// ErrSubmissionExpired is a submission token that is forged or older than
// submissionTTL. Nothing was stored.
var ErrSubmissionExpired = errors.New("the form's submission token is invalid or expired")

// AlreadyReceivedError is a form sent a second time: its report was stored
// the first time, under Reference. The receipt is not shown again.
type AlreadyReceivedError struct {
	ID, Reference string
	check         []byte // the stored store.NewReport.SubmissionCheck
}

func (e *AlreadyReceivedError) Error() string { return "intake: this report was already received" }

// SubmissionToken returns a new one-time submission token for a form: a
// random nonce with an expiry, signed with a key derived from the receipt
// key. Nothing is stored until the form is sent; then the nonce's SHA-256
// is stored with the report, so the same form cannot store two reports.
func (s *Service) SubmissionToken() string {
	nonce := make([]byte, submissionNonceSize)
	rand.Read(nonce)
	return crypto.SignToken(s.submissionKey(), nonce, s.now().Add(submissionTTL))
}

// ValidSubmissionToken reports whether tok is a current submission token.
func (s *Service) ValidSubmissionToken(tok string) bool {
	nonce, err := crypto.OpenToken(s.submissionKey(), tok, s.now())
	return err == nil && len(nonce) == submissionNonceSize
}

func (s *Service) submissionKey() []byte {
	return crypto.DeriveKey(s.receiptKey, "reprisals/submission-token/v1")
}
