package intake

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// formKey returns the submission key (the SHA-256 of the nonce) of a
// current submission token, or nil for one that is forged or expired.
func (s *Service) formKey(token string) []byte {
	nonce, err := crypto.OpenToken(s.submissionKey(), token, s.now())
	if err != nil || len(nonce) != submissionNonceSize {
		return nil
	}
	h := sha256.Sum256(nonce)
	return h[:]
}

// ExitForm records that the form with submission token token was left by
// the quick exit, so that its answers, posted again later (Back, then a
// reload), are refused (FormExited). Only the token's key is kept, until
// the day the token expires; a forged or expired token is ignored.
func (s *Service) ExitForm(ctx context.Context, token string) error {
	key := s.formKey(token)
	if key == nil {
		return nil
	}
	if err := s.db.MarkFormExited(ctx, key, s.now().Add(submissionTTL+24*time.Hour)); err != nil {
		return fmt.Errorf("intake.ExitForm: %w", err)
	}
	return nil
}

// FormExited reports whether the form with submission token token was
// left by the quick exit.
func (s *Service) FormExited(ctx context.Context, token string) (bool, error) {
	key := s.formKey(token)
	if key == nil {
		return false, nil
	}
	return s.db.FormExited(ctx, key)
}

// visitCookieTTL is how long the cookie of a return visit lasts: as long
// as a visit token.
const visitCookieTTL = visitTTL

// SealVisitCookie returns the value of a return visit's cookie: the
// receipt, sealed (AES-256-GCM under a key derived from the receipt key,
// which the database does not hold) and valid for visitCookieTTL, so that
// the visit's page can be shown by a GET after the receipt was posted once.
func (s *Service) SealVisitCookie(receipt crypto.Receipt) string {
	return crypto.SealBox(s.visitCookieKey(), []byte(receipt.String()), []byte("visit-cookie"), s.now().Add(visitCookieTTL))
}

// OpenVisitCookie opens a cookie from SealVisitCookie.
func (s *Service) OpenVisitCookie(v string) (crypto.Receipt, error) {
	b, err := crypto.OpenBox(s.visitCookieKey(), v, []byte("visit-cookie"), s.now(), 512)
	if err != nil {
		return crypto.Receipt{}, err
	}
	return crypto.ParseReceipt(string(b))
}

func (s *Service) visitCookieKey() []byte {
	return crypto.DeriveKey(s.receiptKey, "reprisals/visit-cookie/v1")
}
