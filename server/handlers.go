package server

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/store"
)

// acceptedResponse is the API's 201 body.
type acceptedResponse struct {
	Reference   string   `json:"reference"`
	Receipt     string   `json:"receipt"`
	RoutedTeams []string `json:"routed_teams"`
	UploadToken string   `json:"upload_token"`
	Message     string   `json:"message"`
}

// submitJSON is POST /api/v1/reports.
func (s *Server) submitJSON(c echo.Context) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	rep, err := intake.DecodeJSON(c.Request().Body)
	if err != nil {
		return err
	}
	acc, err := s.svc.Submit(c.Request().Context(), rep, intake.ChannelPublic)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, acceptedResponse{
		Reference:   acc.Reference,
		Receipt:     acc.Receipt.String(),
		RoutedTeams: acc.Teams,
		UploadToken: s.svc.VisitToken(acc.ID),
		Message:     "Report received and encrypted. Keep the receipt secret and safe: it is shown only once and is needed to read replies.",
	})
}

// showForm is GET /report: an empty form with one victim and one incident,
// the report's language preset to the page's.
func (s *Server) showForm(c echo.Context) error {
	rep := &intake.Report{Language: negotiate(c.Request())}
	return s.renderForm(c, http.StatusOK, rep, nil, nil, formContext{action: "/report"})
}

// submitForm is POST /report. Buttons named "action" add or remove a
// victim or an incident (re-rendering the form with everything kept);
// anything else submits the report.
func (s *Server) submitForm(c echo.Context) error {
	return s.submitReportForm(c, formContext{action: "/report", channel: intake.ChannelPublic})
}

// formContext says who is filling in the report form: the public, or an
// intermediary's staff member (with their record of consent).
type formContext struct {
	action  string
	channel string
	rec     *intake.IntermediaryRecord // nil for the public form
}

func (s *Server) submitReportForm(c echo.Context, fc formContext) error {
	if err := formRequest(c); err != nil {
		return err
	}
	req := c.Request()
	rep := intake.DecodeForm(req.PostForm)
	if fc.rec != nil {
		f := req.PostForm
		fc.rec.ConsentFrom, fc.rec.ConsentOn = f.Get("intermediary.consent_from"), f.Get("intermediary.consent_on")
		fc.rec.ConsentHow, fc.rec.Relationship = f.Get("intermediary.consent_how"), f.Get("intermediary.relationship")
	}

	if action := req.PostForm.Get("action"); action != "" && action != "submit" {
		editLists(rep, action)
		return s.renderForm(c, http.StatusOK, rep, nil, nil, fc)
	}

	// The web form always carries a token; one without is sent again.
	token := req.PostForm.Get("submission")
	if token == "" {
		token = "missing"
	}
	acc, err := s.svc.SubmitOnce(req.Context(), rep, fc.channel, fc.rec, token)
	var ve *intake.ValidationError
	var again *intake.AlreadyReceivedError
	switch {
	case errors.As(err, &again):
		// The same form, sent again (a reload, a double click, a retry
		// after a lost answer): one report, and no second receipt.
		return s.r.render(c, http.StatusConflict, "confirm", confirmPage{
			basePage:  s.base(c, "Report already received"),
			Reference: again.Reference,
			Already:   true,
		})
	case errors.Is(err, intake.ErrSubmissionExpired):
		// Nothing stored; show everything again with a fresh token.
		return s.renderForm(c, http.StatusOK, rep, nil, &banner{Title: expiredFormHeading, Text: expiredFormText}, fc)
	case errors.As(err, &ve):
		return s.renderForm(c, http.StatusUnprocessableEntity, rep, ve, nil, fc)
	case err != nil:
		// Not saved: show the form again with everything the reporter
		// typed, and say so plainly.
		p := classify(err)
		if p.status >= 500 {
			s.log.Error("report not saved", "route", c.Path(), "status", p.status, "err", err)
		}
		if errors.Is(err, store.ErrUnavailable) {
			c.Response().Header().Set("Retry-After", "60")
		}
		return s.renderForm(c, p.status, rep, nil, &banner{Title: notSavedHeading, Text: notSavedText}, fc)
	}
	return s.r.render(c, http.StatusOK, "confirm", confirmPage{
		basePage:  s.base(c, "Report received"),
		Reference: acc.Reference,
		Receipt:   acc.Receipt.String(),
		Teams:     acc.Teams,
		Token:     s.svc.VisitToken(acc.ID),
	})
}

// Messages of the form when its submission token has expired.
const (
	expiredFormHeading = "Please check your answers and send again"
	expiredFormText    = "This form was open for a long time, so it was not sent yet. Everything you typed is still here."
)

// editLists applies an add or remove button to the report's lists.
func editLists(rep *intake.Report, action string) {
	switch {
	case action == "add-victim" && len(rep.Victims) < intake.MaxVictims:
		rep.Victims = append(rep.Victims, intake.Victim{})
	case action == "add-incident" && len(rep.Incidents) < intake.MaxIncidents:
		rep.Incidents = append(rep.Incidents, intake.Incident{})
	case strings.HasPrefix(action, "remove-victim-"):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-victim-")); err == nil && i >= 0 && i < len(rep.Victims) && len(rep.Victims) > 1 {
			rep.Victims = append(rep.Victims[:i], rep.Victims[i+1:]...)
		}
	case strings.HasPrefix(action, "remove-incident-"):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-incident-")); err == nil && i >= 0 && i < len(rep.Incidents) && len(rep.Incidents) > 1 {
			rep.Incidents = append(rep.Incidents[:i], rep.Incidents[i+1:]...)
		}
	}
}

func (s *Server) renderForm(c echo.Context, status int, rep *intake.Report, ve *intake.ValidationError, b *banner, fc formContext) error {
	if len(rep.Victims) == 0 {
		rep.Victims = []intake.Victim{{}}
	}
	if len(rep.Incidents) == 0 {
		rep.Incidents = []intake.Incident{{}}
	}
	page := formPage{
		basePage:     s.base(c, "Report a reprisal"),
		Report:       rep,
		MaxVictims:   intake.MaxVictims,
		MaxIncidents: intake.MaxIncidents,
		Action:       fc.action,
		Rec:          fc.rec,
		Submission:   c.Request().PostForm.Get("submission"),
	}
	if !s.svc.ValidSubmissionToken(page.Submission) {
		page.Submission = s.svc.SubmissionToken()
	}
	if ve != nil {
		// Messages in the page's language.
		page.Errors = map[string]string{}
		for _, f := range ve.Fields {
			msg := f.Message
			if f.Key != "" {
				msg = page.T(f.Key, anys(f.Args)...)
			}
			page.ErrorList = append(page.ErrorList, intake.FieldError{Path: f.Path, Message: msg})
			if _, ok := page.Errors[f.Path]; !ok {
				page.Errors[f.Path] = msg
			}
		}
		page.Title = page.T("Error:") + " " + page.Title
	}
	if b != nil {
		page.Banner = &banner{Title: page.T(b.Title), Text: page.T(b.Text)}
	}
	return s.r.render(c, status, "form", page)
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
