package server

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
)

// exitWait bounds how long the quick exit waits to record the form it
// leaves: leaving comes first.
const exitWait = time.Second

// quickExit is GET /exit, where "Leave this site quickly" leads: it makes
// what the browser could bring back unusable, then sends the browser on
// to the neutral page at once (303). The form named by ?form= (its
// one-time submission token) is recorded as left, so that its answers,
// posted again from the history (Back, then reload), are refused and an
// empty form is shown; the visit cookie of a return visit is removed, and
// Clear-Site-Data asks the browser to drop this site's cache, cookies and
// storage. Nothing about the request is logged (a reporter route).
func (s *Server) quickExit(c echo.Context) error {
	if tok := c.QueryParam("form"); tok != "" && s.svc != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), exitWait)
		if err := s.svc.ExitForm(ctx, tok); err != nil {
			s.log.Error("quick exit: the form could not be recorded as left", "route", c.Path(), "status", classify(err).status)
		}
		cancel()
	}
	s.setVisitCookie(c, "", -1)
	c.Response().Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	return c.Redirect(http.StatusSeeOther, s.opts.QuickExitURL)
}

// exitHref is the quick exit's link on a page; on a report form it names
// the form's submission token.
func exitHref(formToken string) string {
	if formToken == "" {
		return "/exit"
	}
	return "/exit?form=" + url.QueryEscape(formToken)
}

// visitCookieName is the cookie that lets a return visit's page be shown
// after the receipt was posted once: with the __Host- prefix over HTTPS.
func (s *Server) visitCookieName() string {
	if s.opts.HTTPS {
		return "__Host-reprisals-visit"
	}
	return "reprisals-visit"
}

// setVisitCookie sets (maxAge > 0) or removes (maxAge < 0) the visit
// cookie: a session cookie, HttpOnly, SameSite=Strict, never sent to
// another site.
func (s *Server) setVisitCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: s.visitCookieName(), Value: value, Path: "/", MaxAge: maxAge,
		Secure: s.opts.HTTPS, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}
