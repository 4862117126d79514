package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/store"
)

// Attachment limits.
var (
	ErrTooManyFiles = errors.New("too many attachments")
	ErrFileTooLarge = errors.New("attachment too large")
)

// defaultAbandonAfter is how long an unfinished upload is kept at most,
// unless AttachLimits says otherwise.
const defaultAbandonAfter = 12 * time.Hour

// AttachLimits bound attachments.
type AttachLimits struct {
	MaxFiles     int           // per case
	MaxFileBytes int64         // per file
	AbandonAfter time.Duration // how long an unfinished upload is kept at most (default 12h)
	// Lease is how long an unfinished upload outlives its request if the
	// request vanishes (a crash): the request renews it while it runs,
	// and the sweep deletes it once expired (default 2 minutes).
	Lease time.Duration
}

// Attach streams one file from r into storage: it is encrypted with age to
// a fresh key as it arrives, padded to a Padmé bucket, and stored in
// chunks; memory use does not depend on its size. The key, name, type and
// size are sealed in the manifest to the case's recipients. A file over
// the limit is deleted and ErrFileTooLarge returned.
func (s *Service) Attach(ctx context.Context, c store.ReturnCase, name, contentType string, r io.Reader, lim AttachLimits) (envelope.Manifest, error) {
	abandon := lim.AbandonAfter
	if abandon <= 0 {
		abandon = defaultAbandonAfter
	}
	lease := min(lim.Lease, abandon)
	if lease <= 0 {
		lease = min(defaultLease, abandon)
	}
	id, err := s.db.BeginAttachment(ctx, c.ID, lim.MaxFiles, s.now().Add(lease))
	if errors.Is(err, store.ErrNoSlot) {
		return envelope.Manifest{}, ErrTooManyFiles
	}
	if err != nil {
		return envelope.Manifest{}, err
	}
	// The lease is renewed while the upload runs, up to abandon in all;
	// what a crashed request left is swept within a lease.
	renewCtx, cancel := context.WithTimeout(ctx, abandon-lease)
	stop := s.renewEvery(renewCtx, lease, func() { s.db.RenewStaged(renewCtx, []string{id}, nil, "", lease) })
	m, err := s.attach(ctx, s.db, c, id, name, contentType, r, lim, nil, nil)
	stop()
	cancel()
	if err != nil {
		// Leave nothing of a failed upload; if even this fails, the
		// abandoned-upload sweep removes it.
		s.db.DeleteAttachment(context.WithoutCancel(ctx), id)
		return envelope.Manifest{}, err
	}
	return m, nil
}

// attach streams the content of attachment id into storage and seals its
// manifest to the case's recipients, with a "new information" alert for
// each of its teams.
func (s *Service) attach(ctx context.Context, db *store.DB, c store.ReturnCase, id, name, contentType string, r io.Reader, lim AttachLimits, recipients []crypto.Recipient, alerts []store.NewAlert) (envelope.Manifest, error) {
	hold := s.spool.Hold()
	defer hold.Release()
	m, bucket, err := s.storeContent(ctx, id, name, contentType, r, lim, hold)
	if err != nil {
		return envelope.Manifest{}, err
	}
	m.Reference = c.Reference
	if recipients == nil {
		if recipients, alerts, err = s.caseRecipients(ctx, c); err != nil {
			return envelope.Manifest{}, err
		}
	}
	sealed, err := envelope.SealManifest(m, recipients)
	if err != nil {
		return envelope.Manifest{}, err
	}
	if err := db.FinishAttachment(ctx, id, bucket, sealed, alerts); err != nil {
		return envelope.Manifest{}, err
	}
	m.Key = ""
	return m, nil
}

// storeContent streams a file from r into the chunks of attachment id,
// encrypted with age to a fresh key as it arrives and padded to a Padmé
// bucket, within the spool's quota, and returns its manifest (key
// included, reference not yet) and padded size. Memory use does not depend
// on the file's size.
func (s *Service) storeContent(ctx context.Context, id, name, contentType string, r io.Reader, lim AttachLimits, hold *SpoolHold) (envelope.Manifest, int64, error) {
	key, err := age.GenerateX25519Identity()
	if err != nil {
		return envelope.Manifest{}, 0, err
	}
	cw := s.db.NewChunkWriter(ctx, id)
	aw, err := age.Encrypt(hold.writer(cw), key.Recipient())
	if err != nil {
		return envelope.Manifest{}, 0, err
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(aw, h), io.LimitReader(r, lim.MaxFileBytes+1))
	if err != nil {
		return envelope.Manifest{}, 0, err
	}
	if size > lim.MaxFileBytes {
		return envelope.Manifest{}, 0, ErrFileTooLarge
	}
	bucket := crypto.PadmeSize(size)
	if err := writeZeros(aw, bucket-size); err != nil {
		return envelope.Manifest{}, 0, err
	}
	if err := aw.Close(); err != nil {
		return envelope.Manifest{}, 0, err
	}
	if err := cw.Close(); err != nil {
		return envelope.Manifest{}, 0, err
	}
	return envelope.Manifest{
		Version: envelope.Version, Kind: "attachment", ReceivedAt: s.now().UTC().Truncate(time.Millisecond),
		Name: cleanName(name), ContentType: cleanType(contentType), Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), Key: key.String(),
	}, bucket, nil
}

// caseRecipients returns the effective recipients of a case's teams and a
// "new information" alert for each.
func (s *Service) caseRecipients(ctx context.Context, c store.ReturnCase) ([]crypto.Recipient, []store.NewAlert, error) {
	var routed []config.Team
	for _, t := range s.teams {
		if slices.Contains(c.Teams, t.Name) {
			routed = append(routed, t)
		}
	}
	teamKeys, err := EffectiveRecipients(ctx, s.db, routed)
	if err != nil {
		return nil, nil, err
	}
	var recipients []crypto.Recipient
	var alerts []store.NewAlert
	now := s.now()
	for _, t := range routed {
		for _, k := range teamKeys[t.Name] {
			if !slices.ContainsFunc(recipients, func(r crypto.Recipient) bool { return r.String() == k.String() }) {
				recipients = append(recipients, k)
			}
		}
		alerts = append(alerts, store.NewAlert{Team: t.Name, DueAt: t.AlertDue(false, now)})
	}
	return recipients, alerts, nil
}

// CleanUp deletes abandoned uploads and returns how many.
func (s *Service) CleanUp(ctx context.Context) (int, error) {
	return s.db.DeleteAbandonedAttachments(ctx)
}

var zeros = make([]byte, 32<<10)

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// cleanName keeps a client-supplied file name or type printable and short.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, s)
	for len(s) > 200 || !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "_")
		if len(s) > 200 {
			s = s[:200]
		}
	}
	if s == "" {
		return "unnamed"
	}
	return s
}

// cleanType keeps a well-formed media type, or says the type is unknown.
func cleanType(s string) string {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil || len(mt) > 100 {
		return "application/octet-stream"
	}
	return mt
}
