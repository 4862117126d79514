package intake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/store"
)

// Submission is one report as it arrived, with how it is to be stored.
type Submission struct {
	Report  *Report
	Channel string // ChannelPublic, or an intermediary's channel
	// Intermediary is the record of NHRI or NGO staff who logged the
	// report (nil for the public): validated with the report and sealed
	// with it.
	Intermediary *envelope.IntermediaryRecord
	// Token is the web form's one-time submission token (SubmissionToken;
	// "" for none). Whatever happens to the first answer, the same token
	// never stores a second report: a second send returns an
	// *AlreadyReceivedError with the first report's reference, and a send
	// while the first is still arriving returns ErrStillArriving at once.
	// A token that is forged or expired is ErrSubmissionExpired.
	Token string
	// IdempotencyKey is an API client's name for its request (a random
	// value it chose, such as a UUID; "" for none): the same key never
	// stores a second report, and a repeat is an *AlreadyReceivedError.
	// The database keeps only an HMAC of the key.
	IdempotencyKey string
	// Files, if not nil, are the files sent with the report.
	Files *WithFiles
}

// FileSink stores one file sent with a report and returns its manifest
// (without its key).
type FileSink func(name, contentType string, r io.Reader) (envelope.Manifest, error)

// WithFiles is what Submit does with the files sent with a report: Send
// stores each with the sink it is given, within Limits. The files are
// encrypted and staged as they arrive, each chunk in a statement of its
// own; the report and every file are committed together, in one short
// transaction, once Send has returned. A failed Send (a broken, slow or
// refused upload, a file over the limit, shutdown) stores nothing: what
// was staged is deleted at once, Send's error is returned, and the same
// token can be sent again.
type WithFiles struct {
	Limits AttachLimits
	Send   func(FileSink) error
	// Lease is how long a staged file, and the form's claim on its token,
	// outlive their request if it vanishes (a crash): the request renews
	// them while it runs, and the sweep deletes them once expired
	// (default 2 minutes).
	Lease time.Duration
	// Arrived, if not nil, is called once the last byte has arrived; the
	// context it returns bounds the commit (the answer deadline).
	Arrived func() (context.Context, context.CancelFunc)
}

// ErrStillArriving is a form sent again while its first send is still
// arriving (its files are being received). Nothing was stored or waited
// for; the sender can keep the first page open, or try again later.
var ErrStillArriving = errors.New("this report is still being received")

// defaultLease is WithFiles.Lease's default.
const defaultLease = 2 * time.Minute

// Submit validates, seals and stores a report. It returns a
// *ValidationError for invalid input, an error wrapping
// store.ErrUnavailable when the database cannot be reached or could not
// store it in time (nothing is stored), or the reference and receipt once
// the report is committed. See Submission for tokens, keys and files.
func (s *Service) Submit(ctx context.Context, sub Submission) (Accepted, error) {
	if err := s.Validate(sub.Report, sub.Intermediary); err != nil {
		return Accepted{}, err
	}
	var once []byte
	switch {
	case sub.Token != "":
		nonce, err := crypto.OpenToken(s.submissionKey(), sub.Token, s.now())
		if err != nil || len(nonce) != submissionNonceSize {
			return Accepted{}, ErrSubmissionExpired
		}
		h := sha256.Sum256(nonce)
		once = h[:]
	case sub.IdempotencyKey != "":
		m := hmac.New(sha256.New, crypto.DeriveKey(s.receiptKey, "reprisals/api-idempotency-key/v1"))
		m.Write([]byte(sub.IdempotencyKey))
		once = m.Sum(nil)
	}
	if sub.Files == nil {
		acc, err := s.commit(ctx, sub, once, nil, "")
		var again *AlreadyReceivedError
		if sub.IdempotencyKey != "" && errors.As(err, &again) && !hmac.Equal(again.check, s.idempotencyCheck(sub)) {
			return Accepted{}, ErrIdempotencyKeyReused
		}
		return acc, err
	}
	return s.submitWithFiles(ctx, sub, once)
}

// ErrIdempotencyKeyReused is an Idempotency-Key sent before with another
// report: nothing was stored, and nothing is said of the first report.
var ErrIdempotencyKeyReused = errors.New("intake: this Idempotency-Key was used for another report")

// idempotencyCheck binds an API client's Idempotency-Key to its report
// (nil without a key): an HMAC, under its own key derived from the receipt
// key, of the key, the channel and the report as decoded (canonical JSON,
// so spacing and the order of fields do not matter). The same key with
// another report is then told apart from a repeat, and refused
// (ErrIdempotencyKeyReused) without naming the first report. A keyed HMAC,
// not a bare hash, because a report is low-entropy text: without the
// receipt key, a copy of the database cannot test guesses against it.
func (s *Service) idempotencyCheck(sub Submission) []byte {
	if sub.IdempotencyKey == "" {
		return nil
	}
	canonical, err := json.Marshal(sub.Report)
	if err != nil {
		return nil // cannot happen: a decoded report marshals
	}
	m := hmac.New(sha256.New, crypto.DeriveKey(s.receiptKey, "reprisals/api-idempotency-body/v1"))
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(sub.IdempotencyKey))))
	m.Write([]byte(sub.IdempotencyKey))
	m.Write([]byte(sub.Channel + "\x00"))
	m.Write(canonical)
	clear(canonical)
	return m.Sum(nil)
}

// staged is what a report's request has staged so far.
type staged struct {
	mu    sync.Mutex
	ids   []string // every staged row, finished or not
	files []stagedFile
}

type stagedFile struct {
	id       string
	bucket   int64
	manifest envelope.Manifest // with its key; sealed at commit
}

func (st *staged) idList() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]string(nil), st.ids...)
}

// submitWithFiles claims the form's token, stages the files as they
// arrive, and commits the report with them.
func (s *Service) submitWithFiles(ctx context.Context, sub Submission, once []byte) (acc Accepted, err error) {
	files := sub.Files
	lease := files.Lease
	if lease <= 0 {
		lease = defaultLease
	}
	var claim string
	if once != nil {
		claim, err = s.db.ClaimSubmission(ctx, once, lease)
		var dup *store.AlreadyStoredError
		switch {
		case errors.As(err, &dup):
			return Accepted{}, &AlreadyReceivedError{ID: dup.ID, Reference: dup.Reference, check: dup.Check}
		case errors.Is(err, store.ErrInFlight):
			return Accepted{}, ErrStillArriving
		case err != nil:
			return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
		}
	}
	st := &staged{}
	hold := s.spool.Hold()
	defer hold.Release()
	defer func() {
		if err == nil {
			return
		}
		// Leave nothing of a report that was not stored; if even this
		// fails, the sweep removes it once its lease is over. The claim
		// goes first, so that once the staged files are gone the form
		// can be sent again at once (a resend never adopts them: they
		// are deleted by id).
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if claim != "" {
			s.db.ReleaseClaim(c, once, claim)
		}
		s.db.DeleteAttachments(c, st.idList())
	}()

	stop := s.renewLeases(ctx, st, once, claim, lease)
	err = files.Send(func(name, contentType string, r io.Reader) (envelope.Manifest, error) {
		if st.count() >= files.Limits.MaxFiles {
			return envelope.Manifest{}, ErrTooManyFiles
		}
		id, err := s.db.StageAttachment(ctx, lease)
		if err != nil {
			return envelope.Manifest{}, err
		}
		st.mu.Lock()
		st.ids = append(st.ids, id)
		st.mu.Unlock()
		m, bucket, err := s.storeContent(ctx, id, name, contentType, r, files.Limits, hold)
		if err != nil {
			return envelope.Manifest{}, err
		}
		st.mu.Lock()
		st.files = append(st.files, stagedFile{id: id, bucket: bucket, manifest: m})
		st.mu.Unlock()
		m.Key = ""
		return m, nil
	})
	stop()
	if err != nil {
		return Accepted{}, err
	}
	if files.Arrived != nil {
		var cancel context.CancelFunc
		ctx, cancel = files.Arrived()
		defer cancel()
	}
	return s.commit(ctx, sub, once, st.files, claim)
}

func (st *staged) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.ids)
}

// renewLeases renews, every quarter lease until the returned function is
// called, the leases of what st has staged and of the claim.
func (s *Service) renewLeases(ctx context.Context, st *staged, once []byte, claim string, lease time.Duration) (stop func()) {
	return s.renewEvery(ctx, lease, func() { s.db.RenewStaged(ctx, st.idList(), once, claim, lease) })
}

// renewEvery calls renew every quarter lease until the returned function
// is called or ctx is done. A failed renewal is retried at the next tick;
// a lease missed three times lets the sweep remove what it covers.
func (s *Service) renewEvery(ctx context.Context, lease time.Duration, renew func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(lease / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				renew()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// commit seals and stores a validated report, with its staged files (if
// any) and the claim on its submission key once (if claim is not "").
func (s *Service) commit(ctx context.Context, sub Submission, once []byte, files []stagedFile, claim string) (Accepted, error) {
	r, channel, rec := sub.Report, sub.Channel, sub.Intermediary
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
		sealed, err := envelope.SealCase(envelope.Case{
			Reference: ref, ReceivedAt: receivedAt,
			Channel: channel, Teams: names, Report: *r, Intermediary: rec, ReplyRecipient: replyTo,
		}, recipients)
		if err != nil {
			return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
		}
		nr := store.NewReport{
			Reference:       ref,
			ReceiptHash:     receipt.LookupHash(s.receiptKey),
			ReplyRecipient:  replyTo,
			Teams:           names,
			Urgency:         urgency,
			ReceivedOn:      receivedAt,
			SizeBucket:      sealed.Bucket,
			Channel:         channel,
			Ciphertext:      sealed.Ciphertext,
			SubmissionKey:   once,
			SubmissionCheck: s.idempotencyCheck(sub),
		}
		var id string
		if files == nil && claim == "" {
			id, err = s.db.InsertReport(ctx, nr, alerts)
		} else {
			// The files' manifests name the reference: sealed for each
			// attempt, to the report's recipients (the report's alerts
			// cover the files).
			var sf []store.StagedFile
			for _, f := range files {
				m := f.manifest
				m.Reference = ref
				c, serr := envelope.SealManifest(m, recipients)
				if serr != nil {
					return Accepted{}, fmt.Errorf("intake.Submit: %w", serr)
				}
				sf = append(sf, store.StagedFile{ID: f.id, SizeBucket: f.bucket, Manifest: c})
			}
			id, err = s.db.InsertReportWithFiles(ctx, nr, alerts, sf, claim)
		}
		if errors.Is(err, store.ErrDuplicate) && attempt < 3 {
			continue
		}
		var dup *store.AlreadyStoredError
		switch {
		case errors.As(err, &dup):
			return Accepted{}, &AlreadyReceivedError{ID: dup.ID, Reference: dup.Reference, check: dup.Check}
		case errors.Is(err, store.ErrInFlight):
			return Accepted{}, ErrStillArriving
		case errors.Is(err, store.ErrStagedGone):
			return Accepted{}, fmt.Errorf("intake.Submit: %w: %w", store.ErrUnavailable, err)
		case err != nil:
			return Accepted{}, fmt.Errorf("intake.Submit: %w", err)
		}
		proof := crypto.SignProof(crypto.ProofKey(s.receiptKey), crypto.Proof{Reference: ref, Received: receivedAt, SHA256: sha256.Sum256(sealed.Ciphertext)})
		return Accepted{ID: id, Reference: ref, Receipt: receipt, Teams: names, Proof: proof}, nil
	}
}
