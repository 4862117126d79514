package intake

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// ChannelPublic is the channel of reports made through the public form or
// API (as opposed to an intermediary organisation).
const ChannelPublic = "public"

// EnvelopeVersion is the version of the Envelope format.
const EnvelopeVersion = 1

// Envelope is the plaintext that is sealed: the report plus what the
// handlers need to interpret it. It binds the report to its reference, so a
// ciphertext moved to another row is detected by the handler's client.
type Envelope struct {
	Version    int       `json:"version"`
	Kind       string    `json:"kind"` // "report"
	Reference  string    `json:"reference"`
	ReceivedAt time.Time `json:"received_at"` // exact time; the database keeps only the day
	Channel    string    `json:"channel"`
	Teams      []string  `json:"routed_teams"`
	Report     Report    `json:"report"`
	// Intermediary is set when NHRI or NGO staff logged the report.
	Intermediary *IntermediaryRecord `json:"intermediary,omitempty"`
	// ReplyRecipient is the reporter's reply key, sealed with the report so
	// that a handler's client can check the one the server names.
	ReplyRecipient string `json:"reply_recipient,omitempty"`
}

// IntermediaryRecord is what an intermediary records about a report logged
// on a victim's behalf. It travels inside the ciphertext.
type IntermediaryRecord struct {
	Organisation     string `json:"organisation"`      // slug
	OrganisationName string `json:"organisation_name"` // as registered
	Staff            string `json:"staff"`             // the staff member who logged it (signed in)
	ConsentFrom      string `json:"consent_from" validate:"required,max=200"`
	ConsentOn        string `json:"consent_on" validate:"required,monthdate"`
	ConsentHow       string `json:"consent_how" validate:"required,max=2000"`
	Relationship     string `json:"relationship" validate:"required,max=200"`
}

// Marshal encodes the envelope as compact JSON, without HTML escaping so
// that a handler reading it with the stock age CLI sees the text as
// written (pipe it through jq to indent it).
func (e Envelope) Marshal() ([]byte, error) { return marshalJSON(e) }

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

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
}

// NewService returns a Service storing into db. cfg must have been
// validated. now may be nil (time.Now).
func NewService(db *store.DB, cfg config.Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, teams: cfg.Teams, receiptKey: cfg.ReceiptKey(), validator: NewValidator(now), now: now}
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

// Submit validates, seals and stores a report. It returns a
// *ValidationError for invalid input, an error wrapping
// store.ErrUnavailable when the database cannot be reached (nothing is
// stored), or the reference and receipt once the report is committed.
func (s *Service) Submit(ctx context.Context, r *Report, channel string) (Accepted, error) {
	return s.SubmitVia(ctx, r, channel, nil)
}

// SubmitVia is Submit for a report logged by an intermediary, whose record
// is validated with the report and sealed with it.
func (s *Service) SubmitVia(ctx context.Context, r *Report, channel string, rec *IntermediaryRecord) (Accepted, error) {
	return s.SubmitOnce(ctx, r, channel, rec, "")
}

// Validate checks a report and, if not nil, an intermediary's record, and
// returns one *ValidationError listing every problem of both, or nil.
func (s *Service) Validate(r *Report, rec *IntermediaryRecord) error {
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

// SubmitOnce is SubmitVia for a form that carries a one-time submission
// token (from SubmissionToken; "" for none). Whatever happens to the first
// answer, the same token never stores a second report: a second send
// returns an *AlreadyReceivedError with the first report's reference. A
// token that is forged or expired is ErrSubmissionExpired (nothing is
// stored; the form gets a new token); the report is validated first.
func (s *Service) SubmitOnce(ctx context.Context, r *Report, channel string, rec *IntermediaryRecord, token string) (Accepted, error) {
	return s.SubmitWithFiles(ctx, r, channel, rec, token, nil)
}

// FileSink stores one file sent with a report as an attachment of it, in
// the report's transaction, and returns its manifest (without its key).
type FileSink func(name, contentType string, r io.Reader) (Manifest, error)

// WithFiles is what SubmitWithFiles does with the files sent with a
// report: Send stores each with the sink it is given, within Limits.
type WithFiles struct {
	Limits AttachLimits
	Send   func(FileSink) error
}

// SubmitWithFiles is SubmitOnce for a form that also carries files (files
// nil for none). Once the report is inserted, files.Send streams them into
// storage in the same transaction: the report, its alerts, its token's use
// and its files commit together when Send returns nil. When Send fails
// (a broken, slow or refused upload, a file over the limit, shutdown),
// nothing at all is stored, Send's error is returned, and the same token
// can be sent again. The transaction holds a database connection for the
// whole upload: callers bound how many run at once (MaxConns).
func (s *Service) SubmitWithFiles(ctx context.Context, r *Report, channel string, rec *IntermediaryRecord, token string, files *WithFiles) (Accepted, error) {
	if err := s.Validate(r, rec); err != nil {
		return Accepted{}, err
	}
	var once []byte
	if token != "" {
		nonce, err := crypto.OpenToken(s.submissionKey(), token, s.now())
		if err != nil || len(nonce) != submissionNonceSize {
			return Accepted{}, ErrSubmissionExpired
		}
		h := sha256.Sum256(nonce)
		once = h[:]
	}
	return s.submit(ctx, r, channel, rec, once, files)
}

// MaxConns is how many connections the database pool opens.
func (s *Service) MaxConns() int { return s.db.MaxConns() }

// SubmitIdempotent is Submit for an API client that names its request
// with an idempotency key (a random value it chose, such as a UUID): the
// same key never stores a second report, and a repeat returns an
// *AlreadyReceivedError. The database keeps only an HMAC of the key.
func (s *Service) SubmitIdempotent(ctx context.Context, r *Report, channel, key string) (Accepted, error) {
	if err := s.Validate(r, nil); err != nil {
		return Accepted{}, err
	}
	m := hmac.New(sha256.New, crypto.DeriveKey(s.receiptKey, "reprisals/api-idempotency-key/v1"))
	m.Write([]byte(key))
	return s.submit(ctx, r, channel, nil, m.Sum(nil), nil)
}

// submit seals and stores a validated report; once, if not nil, is its
// unique submission key; files, if not nil, are stored with it (see
// SubmitWithFiles).
func (s *Service) submit(ctx context.Context, r *Report, channel string, rec *IntermediaryRecord, once []byte, files *WithFiles) (Accepted, error) {
	routed := Route(r, s.teams)
	if len(routed) == 0 {
		return Accepted{}, errors.New("intake.Submit: no team receives this report (configuration error)")
	}
	teamKeys, err := EffectiveRecipients(ctx, s.db, routed)
	if err != nil {
		return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
	}
	var recipients []crypto.Recipient
	var names []string
	var alerts []store.NewAlert
	seen := map[string]bool{}
	for _, t := range routed {
		for _, k := range teamKeys[t.Name] {
			if !seen[k.String()] { // a key shared by two teams is used once
				seen[k.String()] = true
				recipients = append(recipients, k)
			}
		}
		names = append(names, t.Name)
	}
	urgent := r.Risk.ImmediateDanger == "yes"
	urgency := ""
	if urgent {
		urgency = "U1"
	}
	receivedAt := s.now().UTC().Truncate(time.Millisecond)
	for _, t := range routed {
		alerts = append(alerts, store.NewAlert{Team: t.Name, Urgent: urgent, DueAt: t.AlertDue(urgent, receivedAt)})
	}

	// A reference clash is possible (about 40 bits); try again with a new one.
	for attempt := 0; ; attempt++ {
		ref := NewReference()
		receipt := crypto.NewReceipt()
		replyTo := receipt.ReplyIdentity().Recipient().String()
		plain, err := Envelope{
			Version: EnvelopeVersion, Kind: "report", Reference: ref, ReceivedAt: receivedAt,
			Channel: channel, Teams: names, Report: *r, Intermediary: rec, ReplyRecipient: replyTo,
		}.Marshal()
		if err != nil {
			return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
		}
		sealed, err := crypto.Seal(plain, recipients)
		clear(plain)
		if err != nil {
			return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
		}
		var id string
		insert := func(db *store.DB) error {
			var err error
			id, err = db.InsertReport(ctx, store.NewReport{
				Reference:      ref,
				ReceiptHash:    receipt.LookupHash(s.receiptKey),
				ReplyRecipient: replyTo,
				Teams:          names,
				Urgency:        urgency,
				ReceivedOn:     receivedAt,
				SizeBucket:     sealed.Bucket,
				Channel:        channel,
				Ciphertext:     sealed.Ciphertext,
				SubmissionKey:  once,
			}, alerts)
			if err != nil || files == nil {
				return err
			}
			c := store.ReturnCase{ID: id, Reference: ref, Teams: names, ReceivedOn: receivedAt}
			return files.Send(func(name, contentType string, r io.Reader) (Manifest, error) {
				return s.attachWithReport(ctx, db, c, name, contentType, r, files.Limits, recipients)
			})
		}
		if files == nil {
			err = insert(s.db)
		} else {
			err = s.db.InTx(ctx, insert)
		}
		if errors.Is(err, store.ErrDuplicate) && attempt < 3 {
			continue
		}
		var dup *store.AlreadyStoredError
		if errors.As(err, &dup) {
			return Accepted{}, &AlreadyReceivedError{ID: dup.ID, Reference: dup.Reference}
		}
		if err != nil {
			return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
		}
		proof := crypto.SignProof(crypto.ProofKey(s.receiptKey), crypto.Proof{Reference: ref, Received: receivedAt, SHA256: sha256.Sum256(sealed.Ciphertext)})
		return Accepted{ID: id, Reference: ref, Receipt: receipt, Teams: names, Proof: proof}, nil
	}
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
type AlreadyReceivedError struct{ ID, Reference string }

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
