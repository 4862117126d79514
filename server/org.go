package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/store"
)

// staffKey is where the signed-in staff account is kept in the context.
const staffKey = "reprisals.staff"

// registerOrg adds the pages of NHRI and NGO staff under /org, in the six
// languages like the reporter pages.
func (s *Server) registerOrg(e *echo.Echo) {
	if s.orgs == nil {
		return
	}
	g := e.Group("/org", checkIDs)
	g.GET("/login", s.orgLoginPage)
	g.POST("/login", s.orgLogin, limitBody(16<<10))
	a := g.Group("", s.requireStaff)
	a.POST("/logout", s.orgLogout, limitBody(16<<10))
	a.GET("/cases", s.orgCases)
	a.GET("/cases/:ref", s.orgCase)
	a.POST("/cases/:ref/follow-up", s.orgFollowUp, limitBody(followUpBody))
	a.GET("/report", s.orgReportForm)
	a.POST("/report", s.orgSubmit, s.limitReportBody)
}

// cookieName is the staff session cookie: with the __Host- prefix over
// HTTPS, which browsers accept only from a secure origin for the whole host.
func (s *Server) cookieName() string {
	if s.opts.HTTPS {
		return "__Host-reprisals-staff"
	}
	return "reprisals-staff"
}

func (s *Server) setSessionCookie(c echo.Context, token string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(), Value: token, Path: "/", MaxAge: maxAge,
		Secure: s.opts.HTTPS, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(s.cookieName())
		if err != nil {
			return c.Redirect(http.StatusSeeOther, "/org/login?lang="+negotiate(c.Request()))
		}
		st, err := s.orgs.Session(c.Request().Context(), ck.Value)
		if errors.Is(err, store.ErrNotFound) {
			s.setSessionCookie(c, "", -1)
			return c.Redirect(http.StatusSeeOther, "/org/login?lang="+negotiate(c.Request()))
		}
		if err != nil {
			return err
		}
		c.Set(staffKey, st)
		return next(c)
	}
}

func staffOf(c echo.Context) store.Staff { return c.Get(staffKey).(store.Staff) }

// orgPage is the data of the staff pages.
type orgPage struct {
	basePage
	Staff    store.Staff
	Error    string
	Username string
	Cases    []orgCaseView
	Case     orgCaseView
	Token    string
	Added    bool   // information was just added to the case
	Text     string // the information not added, kept
}

type orgCaseView struct{ Reference, ReceivedOn, Status string }

// orgStatus says what each workflow status means, for the staff who
// logged the case (reporterStatus speaks to the reporter).
var orgStatus = map[string]string{
	"received":                "Received; not yet acknowledged by the team.",
	"acknowledged":            "Acknowledged by the team.",
	"awaiting_consent":        "The team needs to confirm consent before acting, and may contact the victim.",
	"under_assessment":        "Being assessed by the team.",
	"urgent_escalation":       "Treated as urgent by the team.",
	"raised_with_state":       "Raised by the UN with the authorities.",
	"state_response_received": "The authorities have answered the UN; the team is studying the answer.",
	"sg_report_candidate":     "Being considered for the Secretary-General's annual report on reprisals.",
	"published":               "Included in a public UN report.",
	"follow_up":               "The team is following up on the case.",
	"on_hold":                 "Paused, so as not to put anyone at risk.",
	"closed":                  "Closed.",
	"duplicate":               "Joined with another report about the same events.",
}

func (s *Server) orgLoginPage(c echo.Context) error {
	return s.r.render(c, http.StatusOK, "org-login", orgPage{basePage: s.base(c, "Sign in")})
}

// signInFailed is the one answer to every failed sign-in: it does not say
// whether the username exists or the account is locked.
const signInFailed = "Sign-in failed. The username, password or code is wrong, or the code was already used (codes change every 30 seconds). " +
	"After 5 failed sign-ins an account is locked for 15 minutes; an operator can unlock it sooner."

// signInBusy is the answer when the password could not be checked in time
// (every hash slot taken for 30 seconds).
const signInBusy = "Many sign-ins are being checked just now, so yours was not. Please try again in a minute."

func (s *Server) orgLogin(c echo.Context) error {
	if err := formRequest(c); err != nil {
		return err
	}
	f := c.Request().PostForm
	username := strings.TrimSpace(f.Get("username"))
	page := orgPage{basePage: s.base(c, "Sign in"), Username: username}
	if !intermediary.ValidUsername(username) {
		// SignIn answers as for an unknown name, with the same work;
		// the page does not show back text that cannot be a name.
		page.Username = ""
	}
	token, _, err := s.orgs.SignIn(c.Request().Context(), username, f.Get("password"), f.Get("code"))
	switch {
	case errors.Is(err, intermediary.ErrSignInFailed):
		page.Error = page.T(signInFailed)
		return s.r.render(c, http.StatusUnauthorized, "org-login", page)
	case errors.Is(err, intermediary.ErrBusy):
		setRetryAfter(c, time.Minute)
		page.Error = page.T(signInBusy)
		return s.r.render(c, http.StatusServiceUnavailable, "org-login", page)
	case err != nil:
		return err
	}
	s.setSessionCookie(c, token, int(intermediary.AbsoluteTTL/time.Second))
	return c.Redirect(http.StatusSeeOther, "/org/cases?lang="+page.Lang)
}

func (s *Server) orgLogout(c echo.Context) error {
	if ck, err := c.Cookie(s.cookieName()); err == nil {
		if err := s.orgs.SignOut(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.setSessionCookie(c, "", -1)
	return c.Redirect(http.StatusSeeOther, "/org/login?lang="+negotiate(c.Request()))
}

func (s *Server) orgCases(c echo.Context) error {
	st := staffOf(c)
	list, err := s.orgs.Cases(c.Request().Context(), st)
	if err != nil {
		return err
	}
	page := orgPage{basePage: s.base(c, "Cases"), Staff: st}
	for _, oc := range list {
		page.Cases = append(page.Cases, orgCaseView{oc.Reference, oc.ReceivedOn.Format(time.DateOnly), orgStatus[oc.Status]})
	}
	return s.r.render(c, http.StatusOK, "org-cases", page)
}

// orgCase shows one of the organisation's cases: reference, day, status,
// and forms to add information and files. Never content or replies.
func (s *Server) orgCase(c echo.Context) error {
	st := staffOf(c)
	oc, err := s.orgs.Case(c.Request().Context(), st, strings.ToUpper(c.Param("ref")))
	if err != nil {
		return err
	}
	return s.r.render(c, http.StatusOK, "org-case", orgPage{
		basePage: s.base(c, "Cases"), Staff: st, Token: s.svc.VisitToken(oc.ID), Added: c.QueryParam("added") == "1",
		Case: orgCaseView{oc.Reference, oc.ReceivedOn.Format(time.DateOnly), orgStatus[oc.Status]},
	})
}

// orgFollowUp is POST /org/cases/:ref/follow-up: staff add information
// to one of their organisation's cases. It is added once: the answer is a
// redirect to the case page (reloading it adds nothing).
func (s *Server) orgFollowUp(c echo.Context) error {
	if err := formRequest(c); err != nil {
		return err
	}
	st := staffOf(c)
	ctx := c.Request().Context()
	oc, err := s.orgs.Case(ctx, st, strings.ToUpper(c.Param("ref")))
	if err != nil {
		return err
	}
	rc, err := s.svc.CaseByID(ctx, oc.ID)
	if err != nil {
		return err
	}
	form := c.Request().PostForm
	text := form.Get("text")
	err = s.svc.FollowUp(ctx, rc, text, form.Get("language"))
	page := orgPage{basePage: s.base(c, "Cases"), Staff: st, Token: s.svc.VisitToken(oc.ID), Text: text,
		Case: orgCaseView{oc.Reference, oc.ReceivedOn.Format(time.DateOnly), orgStatus[oc.Status]}}
	var ve *intake.ValidationError
	switch {
	case errors.As(err, &ve):
		page.Error = page.T(ve.Fields[0].Key, anys(ve.Fields[0].Args)...)
		return s.r.render(c, http.StatusUnprocessableEntity, "org-case", page)
	case err != nil:
		p := classify(err)
		if p.status >= 500 {
			s.log.Error("follow-up not saved", "route", c.Path(), "status", p.status, "err", err)
		}
		if errors.Is(err, store.ErrUnavailable) {
			c.Response().Header().Set("Retry-After", "60")
		}
		page.Error = page.T(notSavedText)
		return s.r.render(c, p.status, "org-case", page)
	}
	return c.Redirect(http.StatusSeeOther, "/org/cases/"+oc.Reference+"?lang="+page.Lang+"&added=1#added")
}

func (s *Server) orgRecord(st store.Staff) *envelope.IntermediaryRecord {
	return &envelope.IntermediaryRecord{Organisation: st.OrgSlug, OrganisationName: st.OrgName, Staff: st.Username}
}

func (s *Server) orgReportForm(c echo.Context) error {
	st := staffOf(c)
	rep := &intake.Report{Language: negotiate(c.Request())}
	return s.renderForm(c, http.StatusOK, rep, 0, nil, nil, formContext{action: "/org/report", channel: intermediary.Channel(st), rec: s.orgRecord(st)})
}

func (s *Server) orgSubmit(c echo.Context) error {
	st := staffOf(c)
	return s.submitReportForm(c, formContext{action: "/org/report", channel: intermediary.Channel(st), rec: s.orgRecord(st)})
}
