package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/store"
)

// problem is an error's public face.
type problem struct {
	status  int
	code    string
	heading string
	message string
	fields  map[string]string
}

// Messages shown when a report could not be stored.
const (
	notSavedHeading = "Your report was not saved"
	notSavedText    = "We could not store your report just now, so it was not sent. Nothing was kept. Please try again in a few minutes."
)

// Headings and messages of error pages that reporters may see, in English;
// they are translated when the page is rendered.
const (
	hNotAllowed   = "Not allowed"
	hFileTooLarge = "A file is too large"
	hTooManyFiles = "Too many files"
	hExpired      = "This page has expired"
	mExpired      = "Pages that can add to a report stay open for 30 minutes. Nothing was added. Enter your receipt code again to continue."
	hUnreadable   = "The request could not be read"
	hTooLarge     = "The report is too large"
	mTooLarge     = "The report is larger than this service accepts, so it was not saved. Please shorten the longest texts and send it again."
	hUnsupported  = "Unsupported request"
	hNotFoundPage = "Page not found"
	mNotFoundPage = "There is nothing at this address."
	mNotAllowed   = "This address does not accept this kind of request."
	hUnserved     = "The request could not be served"
	hInterrupted  = "Your upload was interrupted"
	mInterrupted  = "Your upload was interrupted before it was complete, so the unfinished file was not kept. Files that finished before it were kept. Please try again."
	hTooSlow      = "Your upload was too slow"
	mTooSlow      = "Your upload was stopped because too little arrived for too long. The unfinished file was not kept; files that finished before it were kept. Please try again, on a faster connection if you can."
	hTryLater     = "Please try again in a minute"
	mStopped      = "The service is restarting, so your upload was stopped. The unfinished file was not kept; files that finished before it were kept. Please send it again in a minute."
	mBusy         = "Many files are being sent to this service right now, so your upload was not started and nothing of it was kept. Please try again in a minute."
	hInternal     = "Something went wrong"
	mInternal     = "Something went wrong on our side and the request was not completed. If you were sending a report, it was not saved: please try again later."
)

// statusClientGone is recorded (as nginx does) for a request whose client
// went away before the answer.
const statusClientGone = 499

// classify maps an error to what the user is told. Anything unknown is a
// 500 whose message reveals nothing.
func classify(err error) problem {
	var ve *intake.ValidationError
	var de *intake.DecodeError
	var mbe *http.MaxBytesError
	var he *echo.HTTPError
	var ie *casework.InvalidError
	var again *intake.AlreadyReceivedError
	switch {
	case errors.As(err, &again):
		// A repeat of an API request with the same idempotency key (the
		// web form answers with a page of its own).
		return problem{status: http.StatusConflict, code: "already_received", heading: "Report already received",
			message: fmt.Sprintf("This report was already received, under the reference %s (the same Idempotency-Key). The receipt is shown only once and cannot be shown again.", again.Reference)}
	case errors.Is(err, intake.ErrIdempotencyKeyReused):
		// Says nothing of the report that used the key first.
		return problem{status: http.StatusUnprocessableEntity, code: "idempotency_key_reused", heading: "Idempotency-Key already used",
			message: "This Idempotency-Key was already used for a different report, so this report was not saved. Send it again with a new Idempotency-Key (a new random UUID for each report)."}
	case errors.Is(err, context.Canceled):
		// The client has gone; nobody reads this answer.
		return problem{status: statusClientGone, code: "client_gone", heading: hUnserved, message: hUnserved}
	case errors.Is(err, intake.ErrFileTooLarge):
		return problem{status: http.StatusRequestEntityTooLarge, code: "file_too_large", heading: hFileTooLarge,
			message: "A file is larger than this service accepts, so nothing of it was kept: " + fileNameIn(err) + ". Files before it in the same upload were kept."}
	case errors.Is(err, intake.ErrTooManyFiles):
		return problem{status: http.StatusUnprocessableEntity, code: "too_many_files", heading: hTooManyFiles,
			message: "This report cannot take more files, so " + fileNameIn(err) + " was not kept. Files before it in the same upload were kept."}
	case errors.Is(err, errBadFileName):
		return problem{status: http.StatusBadRequest, code: "bad_file_name", heading: hUnreadable,
			message: "The name or type of the file " + fileNameIn(err) + " holds characters that cannot be stored (such as a NUL character), so nothing of it was kept. Rename the file and send it again. Files before it in the same upload were kept."}
	case errors.Is(err, errUploadInterrupted):
		return problem{status: http.StatusBadRequest, code: "upload_interrupted", heading: hInterrupted, message: mInterrupted}
	case errors.Is(err, errUploadTooSlow):
		return problem{status: http.StatusRequestTimeout, code: "upload_too_slow", heading: hTooSlow, message: mTooSlow}
	case errors.Is(err, errUploadStopped):
		return problem{status: http.StatusServiceUnavailable, code: "upload_stopped", heading: hTryLater, message: mStopped}
	case errors.Is(err, errUploadsBusy), errors.Is(err, intake.ErrSpoolFull):
		return problem{status: http.StatusServiceUnavailable, code: "busy", heading: hTryLater, message: mBusy}
	case errors.Is(err, intake.ErrStillArriving):
		return problem{status: http.StatusConflict, code: "still_arriving", heading: stillArrivingHeading, message: stillArrivingText}
	case errors.Is(err, errVisitExpired):
		return problem{status: http.StatusForbidden, code: "visit_expired", heading: hExpired,
			message: mExpired}
	case errors.Is(err, casework.ErrLoginFailed):
		return problem{status: http.StatusUnauthorized, code: "login_failed", heading: "Login failed",
			message: "Login failed: the answer is wrong, expired or already used, or the handler is unknown or disabled. Ask for a new challenge."}
	case errors.Is(err, casework.ErrUnauthenticated):
		return problem{status: http.StatusUnauthorized, code: "unauthenticated", heading: "Not logged in",
			message: "Log in first (casectl login); sessions expire and can be revoked."}
	case errors.As(err, &ie):
		return problem{status: http.StatusUnprocessableEntity, code: "invalid", heading: "Not allowed",
			message: ie.Error(), fields: map[string]string{ie.Field: ie.Message}}
	case errors.Is(err, store.ErrNotFound):
		return problem{status: http.StatusNotFound, code: "not_found", heading: "Not found", message: "There is no such case."}
	case errors.As(err, &ve):
		return problem{http.StatusUnprocessableEntity, "invalid_report", "Some answers need attention",
			"The report was not saved: some fields need attention. See \"fields\".", ve.Map()}
	case errors.As(err, &de):
		return problem{status: http.StatusBadRequest, code: "bad_request", heading: hUnreadable, message: de.Message}
	case errors.As(err, &mbe):
		return problem{status: http.StatusRequestEntityTooLarge, code: "too_large", heading: hTooLarge,
			message: mTooLarge}
	case errors.Is(err, errUnsupportedMedia):
		return problem{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", heading: hUnsupported,
			message: "Send the report as JSON, with the header Content-Type: application/json."}
	case errors.Is(err, store.ErrInvalidInput):
		// A backstop: input is checked before any query.
		return problem{status: http.StatusBadRequest, code: "bad_request", heading: hUnreadable, message: intake.MsgBadText}
	case errors.Is(err, store.ErrUnavailable):
		return problem{status: http.StatusServiceUnavailable, code: "not_saved", heading: notSavedHeading,
			message: "Not saved, please retry: " + notSavedText}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return problem{status: he.Code, code: "not_found", heading: hNotFoundPage, message: mNotFoundPage}
		case http.StatusMethodNotAllowed:
			return problem{status: he.Code, code: "method_not_allowed", heading: hNotAllowed, message: mNotAllowed}
		}
		if he.Code < 500 {
			return problem{status: he.Code, code: "bad_request", heading: hUnserved, message: http.StatusText(he.Code) + "."}
		}
	}
	return problem{status: http.StatusInternalServerError, code: "internal", heading: hInternal,
		message: mInternal}
}

// handleError is echo's HTTPErrorHandler: the one place errors become
// responses. Server-side failures are logged with the route and the error
// chain, which by construction names calls and references, never content.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := classify(err)
	// An upload stopped by a shutdown or refused as one too many is an
	// expected outcome, counted in the metrics; logging it would date an
	// upload.
	// A failure after something was stored (files of an upload before
	// the one that failed) is counted by day, not logged: the line's time
	// would date what was stored.
	switch {
	case hasStored(c):
		s.metrics.failedAfterStore(c.Path(), p.code)
	case p.status >= 500 && !errors.Is(err, errUploadStopped) && !errors.Is(err, errUploadsBusy) && !errors.Is(err, intake.ErrSpoolFull):
		s.log.Error("request failed", "route", c.Path(), "status", p.status, "err", err)
	}
	if p.code == "unauthenticated" {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="reprisals"`)
	}
	if p.status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "60")
	}
	if p.status == http.StatusServiceUnavailable || p.status == http.StatusRequestTimeout || p.code == "upload_interrupted" {
		// The request body may not have been read to its end.
		c.Response().Header().Set("Connection", "close")
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		c.JSON(p.status, handlerapi.Error{Error: handlerapi.ErrorBody{Code: p.code, Message: p.message, Fields: p.fields}})
		return
	}
	if rerr := s.r.render(c, p.status, "error", errorPage{basePage: s.base(c, p.heading), Heading: p.heading, Message: p.message}); rerr != nil {
		s.log.Error("rendering error page", "err", rerr)
		c.String(p.status, p.message)
	}
}
