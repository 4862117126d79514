package server

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/crypto"
)

// proofPage checks a proof of receipt: the service's public key, a box to
// paste a proof into, and the result.
type proofPage struct {
	basePage
	Key     string
	Text    string
	Checked bool // a proof was sent
	Valid   bool
	Ref     string
	Day     string
	SHA256  string
}

// showProof is GET /proof.
func (s *Server) showProof(c echo.Context) error {
	return s.r.render(c, http.StatusOK, "proof", s.proofPage(c))
}

func (s *Server) proofPage(c echo.Context) proofPage {
	return proofPage{basePage: s.base(c, "Check a proof of receipt"), Key: crypto.ProofPublicKey(s.svc.ProofPublicKey())}
}

// checkProof is POST /proof: the statement comes in the body, is checked
// against the service's own key, and is never logged or stored.
func (s *Server) checkProof(c echo.Context) error {
	if err := formRequest(c); err != nil {
		return err
	}
	page := s.proofPage(c)
	page.Text, page.Checked = c.Request().PostForm.Get("proof"), true
	p, err := s.svc.VerifyProof(page.Text)
	if errors.Is(err, crypto.ErrBadProof) {
		return s.r.render(c, http.StatusUnprocessableEntity, "proof", page)
	}
	if err != nil {
		return err
	}
	page.Valid, page.Ref, page.Day = true, p.Reference, p.Received.Format(time.DateOnly)
	page.SHA256 = hex.EncodeToString(p.SHA256[:])
	return s.r.render(c, http.StatusOK, "proof", page)
}
