package server

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/store"
)

// reporterStatus says what each workflow status means, in the reporter's
// terms.
var reporterStatus = map[string]string{
	"received":                "Your report has been received. It has not been read yet.",
	"acknowledged":            "Your report has been read by the team.",
	"awaiting_consent":        "The team needs to confirm consent before acting. They may contact you.",
	"under_assessment":        "The team is assessing your report.",
	"urgent_escalation":       "The team is treating your report as urgent.",
	"raised_with_state":       "The UN has raised the case with the authorities.",
	"state_response_received": "The authorities have answered the UN. The team is studying their answer.",
	"sg_report_candidate":     "The case is being considered for the Secretary-General's annual report on reprisals.",
	"published":               "The case has been included in a public UN report.",
	"follow_up":               "The team is following up on the case.",
	"on_hold":                 "Work on the case is paused, so as not to put anyone at risk.",
	"closed":                  "The case is closed.",
	"duplicate":               "Your report has been joined with another report about the same events.",
}

const (
	wrongReceipt = "We could not find a report with this receipt code. Check each character and try again."
	badReceipt   = "A receipt code has 25 letters and digits, in five groups of five, such as ABCDE-FGH23-JKLMN-PQRS4-TUVWX."
	pageExpired  = "This page has expired (pages stay open for 30 minutes). Nothing was added. Enter your receipt code again; copy your text first so you do not lose it."
)

// showReturn is GET /return: the receipt form.
func (s *Server) showReturn(c echo.Context) error {
	return s.r.render(c, http.StatusOK, "return", returnPage{basePage: s.base(c, "Come back to your report")})
}

func formRequest(c echo.Context) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return errUnsupportedMedia
	}
	if err := c.Request().ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
	}
	return nil
}

// openReturn is POST /return: the receipt comes only in the body, is
// checked, and opens the case page.
//
// There is no per-client limit on receipts: behind Tor every reporter
// shares one address, so a limit would let one person lock everyone out,
// and 125-bit receipts make guessing hopeless anyway. What a flood of wrong
// receipts can exhaust is the server, so a malformed receipt is refused
// before any work, and at most receiptLookups lookups run at once (the
// rest wait their turn), leaving database connections for everyone else.
func (s *Server) openReturn(c echo.Context) error {
	if err := formRequest(c); err != nil {
		return err
	}
	page := returnPage{basePage: s.base(c, "Come back to your report")}
	receipt, err := crypto.ParseReceipt(c.Request().PostForm.Get("receipt"))
	if err != nil {
		page.Error = page.T(badReceipt)
		return s.r.render(c, http.StatusUnprocessableEntity, "return", page)
	}
	_, err = s.lookup(c.Request().Context(), receipt)
	if errors.Is(err, intake.ErrNoSuchReceipt) {
		page.Error = page.T(wrongReceipt)
		return s.r.render(c, http.StatusNotFound, "return", page)
	}
	if err != nil {
		return err
	}
	// Posted once: the case is shown by a GET that needs the visit
	// cookie, so Back and reload never send the receipt again, and the
	// quick exit (which removes the cookie) leaves nothing to reload.
	s.setVisitCookie(c, s.svc.SealVisitCookie(receipt), int(visitCookieTTL/time.Second))
	return c.Redirect(http.StatusSeeOther, "/return/case?lang="+page.Lang)
}

// visitCookieTTL is how long the visit cookie lasts (as long as the
// visit's pages stay usable).
const visitCookieTTL = 30 * time.Minute

// showVisit is GET /return/case: the case of the receipt sealed in the
// visit cookie, with its replies. Without a cookie (it expired, or the
// quick exit removed it) the receipt form is shown again, with a word on
// why; after a follow-up (?added=1), saying it was added.
func (s *Server) showVisit(c echo.Context) error {
	added := c.QueryParam("added") == "1"
	ck, err := c.Cookie(s.visitCookieName())
	var receipt crypto.Receipt
	if err == nil {
		receipt, err = s.svc.OpenVisitCookie(ck.Value)
	}
	var visit intake.Visit
	if err == nil {
		visit, err = s.lookup(c.Request().Context(), receipt)
		if err != nil && !errors.Is(err, intake.ErrNoSuchReceipt) {
			return err
		}
	}
	if err != nil {
		s.setVisitCookie(c, "", -1)
		page := returnPage{basePage: s.base(c, "Come back to your report")}
		page.Notice = page.T(visitEnded)
		if added {
			page.Notice = page.T(addedVisitEnded)
		}
		return s.r.render(c, http.StatusOK, "return", page)
	}
	page := s.visitPage(c, visit.Case, visit.Replies)
	page.Added = added
	page.FilesAdded = c.QueryParam("attached") == "1"
	return s.r.render(c, http.StatusOK, "visit", page)
}

// repliedStatus is the status "received" of a case the team has replied
// to.
const repliedStatus = "Your report has been received and read by the team."

// Notices of the receipt form when the visit's page cannot be shown again.
const (
	visitEnded      = "For your safety, your report is shown only for 30 minutes after you enter your receipt code, and not after you leave quickly. Enter the code again to see it."
	addedVisitEnded = "Your information has been added. To see your report again, enter your receipt code."
)

// lookup finds the case of a receipt, holding one of the receiptLookups
// slots while it does (or giving up when the client goes).
func (s *Server) lookup(ctx context.Context, receipt crypto.Receipt) (intake.Visit, error) {
	select {
	case s.lookups <- struct{}{}:
	case <-ctx.Done():
		return intake.Visit{}, ctx.Err()
	}
	defer func() { <-s.lookups }()
	return s.svc.Lookup(ctx, receipt)
}

func (s *Server) visitPage(c echo.Context, rc store.ReturnCase, replies []intake.Reply) visitPage {
	p := visitPage{
		basePage:   s.base(c, "Your report"),
		Reference:  rc.Reference,
		ReceivedOn: rc.ReceivedOn.Format(time.DateOnly),
		Status:     reporterStatus[rc.Status],
		Token:      s.svc.VisitToken(rc.ID),
	}
	for _, r := range replies {
		p.Replies = append(p.Replies, replyView{Kind: r.Kind, On: r.On.Format(time.DateOnly), Text: r.Text, OK: r.OK})
		if r.Kind == "reply" && rc.Status == "received" {
			// A reply means the report was read, whatever the status
			// says ("It has not been read yet" is for no reply).
			p.Status = repliedStatus
		}
	}
	if b, err := json.Marshal(p.Replies); err == nil && replies != nil {
		p.Sealed = s.svc.SealForVisit(rc.ID, b)
	}
	return p
}

// keepReplies shows again the replies that the visit's first page showed,
// from the sealed box its forms carried (nothing if it is missing, forged
// or expired), and carries the box on.
func (s *Server) keepReplies(p *visitPage, id, box string) {
	b, err := s.svc.OpenForVisit(id, box)
	if err != nil || json.Unmarshal(b, &p.Replies) != nil {
		p.Replies = nil
		return
	}
	p.Sealed = box
}

// followUpBody bounds a follow-up form without its sealed replies (which
// add up to intake.MaxVisitBox): the text (intake.MaxFollowUp characters,
// up to 9 bytes each once percent-encoded), the visit token and the
// language.
const followUpBody = 256 << 10

// addFollowUp is POST /return/follow-up: more information from the reporter,
// authorised by the visit token the case page carries (never the receipt).
func (s *Server) addFollowUp(c echo.Context) error {
	if err := formRequest(c); err != nil {
		return err
	}
	form := c.Request().PostForm
	id, err := s.svc.OpenVisitToken(form.Get("visit"))
	if err != nil {
		b := s.base(c, "Come back to your report")
		return s.r.render(c, http.StatusForbidden, "return", returnPage{basePage: b, Error: b.T(pageExpired)})
	}
	ctx, cancel := s.answerContext(c)
	defer cancel()
	rc, err := s.svc.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	text := form.Get("text")
	err = s.svc.FollowUp(ctx, rc, text, form.Get("language"))
	var ve *intake.ValidationError
	page := s.visitPage(c, rc, nil)
	s.keepReplies(&page, rc.ID, form.Get("replies"))
	if err != nil {
		// Only a follow-up that was stored renews the visit: a page that
		// is sent back (empty text, a failure) carries the token it came
		// with, which expires when it would have.
		page.Token = form.Get("visit")
	}
	switch {
	case errors.As(err, &ve):
		page.Text, page.Error = text, page.T(ve.Fields[0].Key, anys(ve.Fields[0].Args)...)
		return s.r.render(c, http.StatusUnprocessableEntity, "visit", page)
	case err != nil:
		// Not saved: keep the text on the page and say so.
		p := classify(err)
		if p.status >= 500 {
			s.log.Error("follow-up not saved", "route", c.Path(), "status", p.status, "err", err)
		}
		if errors.Is(err, store.ErrUnavailable) {
			c.Response().Header().Set("Retry-After", "60")
		}
		page.Text, page.Error = text, page.T(notSavedText)
		return s.r.render(c, p.status, "visit", page)
	}
	// Added once: the answer is a redirect to the case page, whose
	// reload adds nothing, and which lists the new information at once.
	return c.Redirect(http.StatusSeeOther, "/return/case?lang="+page.Lang+"&added=1#added")
}
