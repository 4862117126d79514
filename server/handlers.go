package server

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/store"
)

// acceptedResponse is the API's 201 body.
type acceptedResponse struct {
	Reference   string   `json:"reference"`
	Receipt     string   `json:"receipt"`
	RoutedTeams []string `json:"routed_teams"`
	UploadToken string   `json:"upload_token"`
	// ProofOfReceipt is the signed statement of receipt (see /proof).
	ProofOfReceipt string `json:"proof_of_receipt"`
	Message        string `json:"message"`
}

// idempotencyKey is the form of an API client's Idempotency-Key header.
var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// submitJSON is POST /api/v1/reports. With an Idempotency-Key header, a
// repeat of the same request (a retry after a lost answer) stores no second
// report and is answered 409 with the first one's reference.
func (s *Server) submitJSON(c echo.Context) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	rep, err := intake.DecodeJSON(c.Request().Body)
	if err != nil {
		return err
	}
	ctx, cancel := s.answerContext(c)
	defer cancel()
	key := c.Request().Header.Get("Idempotency-Key")
	if key != "" && !idempotencyKey.MatchString(key) {
		return &intake.DecodeError{Message: "The Idempotency-Key header must be 16 to 128 letters, digits, '-' or '_', such as a random UUID."}
	}
	acc, err := s.svc.Submit(ctx, intake.Submission{Report: rep, Channel: intake.ChannelPublic, IdempotencyKey: key})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, acceptedResponse{
		Reference:      acc.Reference,
		Receipt:        acc.Receipt.String(),
		RoutedTeams:    acc.Teams,
		UploadToken:    s.svc.VisitToken(acc.ID),
		ProofOfReceipt: acc.Proof,
		Message:        "Report received and encrypted. Keep the receipt secret and safe: it is shown only once and is needed to read replies.",
	})
}

// showForm is GET /report: the first step of an empty form, with one
// victim and one incident, the report's language preset to the page's.
func (s *Server) showForm(c echo.Context) error {
	rep := &intake.Report{Language: negotiate(c.Request())}
	return s.renderForm(c, http.StatusOK, rep, 0, nil, nil, formContext{action: "/report"})
}

// submitForm is POST /report: every button of the form (Next, Back, a
// step of the indicator, add or remove a block, a language, Send) posts
// the whole form, so the answers travel with it and nothing is kept on
// the server until the report is sent.
func (s *Server) submitForm(c echo.Context) error {
	return s.submitReportForm(c, formContext{action: "/report", channel: intake.ChannelPublic})
}

// formContext says who is filling in the report form: the public, or an
// intermediary's staff member (with their record of consent).
type formContext struct {
	action  string
	channel string
	rec     *envelope.IntermediaryRecord // nil for the public form
}

// submitReportForm moves between the form's steps and sends it. The
// "action" button says what to do: "next" checks the step's answers (and
// shows questions that now apply) before moving on, "back" and "goto-N"
// move without checking, "add-…" and "remove-…" edit the lists, "submit"
// (or no action at all) sends; anything else (Enter on the last step, a language) shows the
// same step again.
func (s *Server) submitReportForm(c echo.Context, fc formContext) error {
	files, err := s.reportRequest(c)
	if err != nil {
		return err
	}
	req := c.Request()
	form := req.PostForm
	rep := intake.DecodeForm(form)
	if fc.rec != nil {
		fc.rec.ConsentFrom, fc.rec.ConsentOn = form.Get("intermediary.consent_from"), form.Get("intermediary.consent_on")
		fc.rec.ConsentHow, fc.rec.Relationship = form.Get("intermediary.consent_how"), form.Get("intermediary.relationship")
	}
	if exited, err := s.svc.FormExited(req.Context(), form.Get("submission")); err != nil {
		// Without the database the answers are shown again, not lost.
		s.log.Error("form: could not check for a quick exit", "route", c.Path(), "status", classify(err).status)
	} else if exited {
		// Answers sent again after the quick exit (Back, then reload):
		// refused, and an empty form with a new token is shown.
		files.drain()
		form.Del("submission")
		return s.renderForm(c, http.StatusOK, &intake.Report{Language: negotiate(req)}, 0, nil, nil, fc)
	}
	step := stepIndex(form.Get("step"))
	if ui, lang := form.Get("ui"), negotiate(req); ui != "" && ui != lang {
		// The reporter switched the pages' language: the report is
		// marked with the language they went on in (the last step can
		// still change it), so the team replies in it.
		rep.Language = lang
	}

	switch action := form.Get("action"); {
	case action == "submit" || action == "":
		// Browsers always name the button pressed (Enter presses the
		// form's first, Next); a client that names none sends.
		return s.sendReport(c, rep, fc, files)
	case action == "next":
		if unseenFollowUps(rep, form, step) {
			return s.renderForm(c, http.StatusOK, rep, step, nil, &banner{Text: followUpsAdded, Info: true}, fc)
		}
		var ve *intake.ValidationError
		if errors.As(s.svc.Validate(rep, fc.rec), &ve) {
			if ve = stepErrors(rep, ve, step); ve != nil {
				return s.renderForm(c, http.StatusUnprocessableEntity, rep, step, ve, nil, fc)
			}
		}
		return s.renderForm(c, http.StatusOK, rep, min(step+1, reviewStep), nil, nil, fc)
	case action == "back":
		return s.renderForm(c, http.StatusOK, rep, max(step-1, 0), nil, nil, fc)
	case strings.HasPrefix(action, "goto-"):
		return s.renderForm(c, http.StatusOK, rep, stepIndex(strings.TrimPrefix(action, "goto-")), nil, nil, fc)
	default:
		editLists(rep, action)
		return s.renderForm(c, http.StatusOK, rep, step, nil, nil, fc)
	}
}

// sendReport validates, stores and confirms a report, with the files sent
// with it (if any): the report and its files commit together or not at
// all, so a broken, slow or refused upload leaves nothing stored and the
// same form can be sent again. Errors open the earliest step that has one;
// files sent with a report that is not valid are not read.
func (s *Server) sendReport(c echo.Context, rep *intake.Report, fc formContext, files *fileStream) error {
	req := c.Request()
	// The web form always carries a token; one without is sent again.
	token := req.PostForm.Get("submission")
	if token == "" {
		token = "missing"
	}
	var got []string
	withFiles, done, err := s.filesWithReport(c, files, &got)
	if err != nil {
		c.Response().Header().Set("Retry-After", "60")
		p := classify(err)
		return s.renderForm(c, p.status, rep, reviewStep, nil, &banner{Title: p.heading, Text: filesNotSentText}, fc)
	}
	ctx := req.Context()
	if withFiles == nil {
		var cancel context.CancelFunc
		ctx, cancel = s.answerContext(c)
		defer cancel()
	}
	acc, err := s.svc.Submit(ctx, intake.Submission{Report: rep, Channel: fc.channel, Intermediary: fc.rec, Token: token, Files: withFiles})
	done()
	var ve *intake.ValidationError
	var again *intake.AlreadyReceivedError
	switch {
	case errors.As(err, &again):
		// The same form, sent again (a reload, a double click, a retry
		// after a lost answer): one report, and no second receipt.
		files.drain()
		return s.r.render(c, http.StatusConflict, "confirm", confirmPage{
			basePage:  s.base(c, "Report already received"),
			Reference: again.Reference,
			Already:   true,
		})
	case errors.Is(err, intake.ErrStillArriving):
		// The same form, sent while its first send (with files) is still
		// arriving: answered at once, never by waiting for the first.
		// The form stays as it is, with its token, to send again later.
		files.drainSome(1 << 20)
		c.Response().Header().Set("Retry-After", "30")
		return s.renderForm(c, http.StatusConflict, rep, reviewStep, nil, &banner{Title: stillArrivingHeading, Text: stillArrivingText}, fc)
	case errors.Is(err, intake.ErrSubmissionExpired):
		// Nothing stored; show everything again with a fresh token.
		files.drain()
		return s.renderForm(c, http.StatusOK, rep, reviewStep, nil, &banner{Title: expiredFormHeading, Text: expiredFormText}, fc)
	case errors.As(err, &ve):
		files.drain()
		step := firstErrorStep(rep, ve)
		return s.renderForm(c, http.StatusUnprocessableEntity, rep, step, stepErrors(rep, ve, step), nil, fc)
	case err != nil && isFileFailure(err):
		// Nothing stored, the report neither: say why, keep every
		// answer and the token, so the form can be sent again.
		files.drain()
		p := classify(err)
		if p.status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "60")
		}
		return s.renderForm(c, p.status, rep, reviewStep, nil, &banner{Title: p.heading, Text: filesNotSentText}, fc)
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
		return s.renderForm(c, p.status, rep, reviewStep, nil, &banner{Title: notSavedHeading, Text: notSavedText}, fc)
	}
	markStored(c)
	page := confirmPage{
		basePage:  s.base(c, "Report received"),
		Reference: acc.Reference,
		Receipt:   acc.Receipt.String(),
		Token:     s.svc.VisitToken(acc.ID),
		Proof:     acc.Proof,
		Files:     got,
		WithFiles: files != nil,
	}
	for _, t := range acc.Teams {
		page.Teams = append(page.Teams, s.svc.TeamName(t, page.Lang))
	}
	return s.r.render(c, http.StatusOK, "confirm", page)
}

// filesNotSentText explains a report refused because of its files.
const filesNotSentText = "Nothing was sent: neither your report nor your files were stored. Everything you typed is still here. Please send again, with a smaller file or without files; you can add files later with your receipt code."

// isFileFailure tells whether a report was refused because of the files
// sent with it (a file too large or refused, an upload broken, too slow,
// stopped or busy) rather than because storage failed.
func isFileFailure(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || errors.Is(err, errBadFileName) ||
		errors.Is(err, intake.ErrFileTooLarge) || errors.Is(err, intake.ErrTooManyFiles) ||
		errors.Is(err, errUploadInterrupted) || errors.Is(err, errUploadTooSlow) ||
		errors.Is(err, errUploadStopped) || errors.Is(err, errUploadsBusy) || errors.Is(err, intake.ErrSpoolFull)
}

// Messages of the form when its submission token has expired, and when
// Next found questions that apply after the answers given.
const (
	stillArrivingHeading = "This report is still being received"
	stillArrivingText    = "This form is already being sent, with its files, from another page or tab, and has not finished arriving. Keep that page open until it shows your receipt. Nothing was sent from this page. If the other page stops or shows an error, press “Send the report” here again in a minute."
	expiredFormHeading   = "Please check your answers and send again"
	expiredFormText      = "This form was open for a long time, so it was not sent yet. Everything you typed is still here."
	followUpsAdded       = "Your answers raised one or more questions on this page, shown below. Please answer them if you can, then press Next."
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

func (s *Server) renderForm(c echo.Context, status int, rep *intake.Report, step int, ve *intake.ValidationError, b *banner, fc formContext) error {
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
		Step:         step,
		StepID:       reportSteps[step].ID,
		Review:       step == reviewStep,
		Carry:        carried(rep, fc.rec, step),
		followUps:    followUps(rep),
	}
	page.FormID, page.FormAction, page.DefaultAction = "report-form", fc.action, "next"
	if page.Review {
		page.DefaultAction = "stay"
	}
	if !s.svc.ValidSubmissionToken(page.Submission) {
		page.Submission = s.svc.SubmissionToken()
	}
	page.QuickExit = exitHref(page.Submission)
	for i, st := range reportSteps {
		page.Steps = append(page.Steps, stepView{Index: i, Title: page.T(st.Title), Current: i == step, Done: i < step, Change: page.T("Change")})
	}
	if ve != nil {
		// Messages in the page's language.
		// The summary names each question, in the order of the page;
		// the message next to a field needs no name.
		page.Errors = map[string]string{}
		for _, f := range inPageOrder(s.questions, ve.Fields, step == consentStep && contactHere(rep)) {
			msg := f.Message
			if f.Key != "" {
				msg = page.T(f.Key, anys(f.Args)...)
			}
			if _, ok := page.Errors[f.Path]; !ok {
				page.Errors[f.Path] = msg
				page.ErrorList = append(page.ErrorList, intake.FieldError{Path: f.Path, Message: summaryText(s.questions, page.T, f.Path, msg)})
			}
		}
		page.Title = page.T("Error:") + " " + page.Title
	}
	if b != nil {
		page.Banner = &banner{Title: page.T(b.Title), Text: page.T(b.Text), Info: b.Info}
	}
	page.Title += " – " + page.T("Step {0} of {1}", step+1, len(reportSteps))
	return s.r.render(c, status, "form", page)
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
