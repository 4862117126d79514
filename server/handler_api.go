package server

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// Body limits for the handler API.
const (
	maxHandlerJSON = 64 << 10
	// A rekey carries a case and its notes, base64-encoded.
	maxHandlerUpload = 48 << 20
	// A signed roster: its text and a few signatures, as JSON.
	maxRosterJSON = 2 * roster.MaxText
)

// handlerKey is where the authenticated handler is kept in the context.
const handlerKey = "reprisals.handler"

// registerHandlerAPI adds the case handlers' API under /api/v1/handler.
func (s *Server) registerHandlerAPI(e *echo.Echo) {
	g := e.Group(handlerapi.Prefix, checkIDs)
	g.POST("/login/challenge", s.loginChallenge, limitBody(maxHandlerJSON))
	g.POST("/login", s.login, limitBody(maxHandlerJSON))

	a := g.Group("", s.requireHandler)
	a.POST("/logout", s.logout, limitBody(maxHandlerJSON))
	a.GET("/team", s.team)
	a.GET("/cases", s.listCases)
	a.GET("/inbox", s.inbox)
	a.GET("/notes", s.teamNotes)
	a.GET("/cases/:ref", s.getCase)
	a.PATCH("/cases/:ref", s.triage, limitBody(maxHandlerJSON))
	a.GET("/cases/:ref/notes", s.listNotes)
	a.POST("/cases/:ref/notes", s.addNote, limitBody(maxHandlerUpload))
	a.POST("/cases/:ref/rekey", s.rekey, limitBody(maxHandlerUpload))
	a.GET("/cases/:ref/attachments", s.listAttachments)
	a.GET("/cases/:ref/attachments/:id", s.getAttachment)
	a.POST("/cases/:ref/export", s.recordExport, limitBody(maxHandlerJSON))
	a.GET("/rosters/:team", s.getRoster)
	a.POST("/rosters", s.publishRoster, limitBody(maxRosterJSON))
}

// decodeStrict reads exactly one JSON object into v (intake.DecodeStrict:
// no unknown fields, no duplicate keys, only UTF-8 text); the body must be
// sent as application/json.
func decodeStrict(c echo.Context, v any) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	return intake.DecodeStrict(c.Request().Body, v)
}

func bearer(c echo.Context) string {
	h := c.Request().Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// requireHandler lets through only requests with a valid session token.
func (s *Server) requireHandler(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h, err := s.cases.Authenticate(c.Request().Context(), bearer(c))
		if err != nil {
			return err
		}
		c.Set(handlerKey, h)
		return next(c)
	}
}

func handlerOf(c echo.Context) store.Handler { return c.Get(handlerKey).(store.Handler) }

// caseRef reads and normalises the :ref path parameter.
func caseRef(c echo.Context) string {
	return strings.ToUpper(strings.TrimSpace(c.Param("ref")))
}

func (s *Server) loginChallenge(c echo.Context) error {
	var in handlerapi.ChallengeRequest
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	if in.Handler == "" || len(in.Handler) > 64 {
		return &casework.InvalidError{Field: "handler", Message: "give your handler name"}
	}
	// No budget: a challenge is stored nowhere and costs one lookup and one
	// encryption, so there is nothing to exhaust but CPU and database
	// connections, which challengeSlots bounds (the rest wait their turn).
	ctx := c.Request().Context()
	select {
	case s.challengeSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.challengeSlots }()
	ch, err := s.cases.NewChallenge(ctx, in.Handler)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, handlerapi.ChallengeResponse{ChallengeID: ch.ID, Challenge: ch.Encrypted, ExpiresAt: ch.Expires.UTC()})
}

func (s *Server) login(c echo.Context) error {
	var in handlerapi.LoginRequest
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	if len(in.ChallengeID) != casework.MaxChallengeID || len(in.Answer) > 200 {
		return casework.ErrLoginFailed
	}
	sess, err := s.cases.Login(c.Request().Context(), in.ChallengeID, in.Answer)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, handlerapi.LoginResponse{
		Token: sess.Token, ExpiresAt: sess.Expires.UTC(), Handler: sess.Handler.Name, Team: sess.Handler.Team,
	})
}

func (s *Server) logout(c echo.Context) error {
	if err := s.cases.Logout(c.Request().Context(), handlerOf(c), bearer(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) team(c echo.Context) error {
	h := handlerOf(c)
	var statuses []handlerapi.StatusInfo
	for _, k := range casework.Statuses {
		statuses = append(statuses, handlerapi.StatusInfo{Key: k, Name: s.cases.StatusNames()[k], Transitions: casework.Transitions(k)})
	}
	handlers, err := s.cases.TeamHandlers(c.Request().Context(), h.Team)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, handlerapi.Team{
		Handler: h.Name, Team: h.Team, Handlers: handlers, Statuses: statuses,
		Urgencies: casework.Urgencies, ClosureReasons: casework.ClosureReasons,
	})
}

// caseJSON is a case's clear metadata as the API shows it.
func (s *Server) caseJSON(m store.CaseMeta) handlerapi.CaseMeta {
	out := handlerapi.CaseMeta{
		Reference: m.Reference, ReceivedOn: m.ReceivedOn.Format(time.DateOnly), Status: m.Status,
		StatusName: s.cases.StatusNames()[m.Status], StatusDetail: m.StatusDetail, Urgency: m.Urgency,
		Assignee: m.Assignee, SizeBucket: m.SizeBucket, Channel: m.Channel, Teams: m.Teams,
	}
	if m.NextDeadline != nil {
		out.NextDeadline = m.NextDeadline.Format(time.DateOnly)
	}
	return out
}

func (s *Server) listCases(c echo.Context) error {
	page, perPage := pageParams(c, config.CasesPerPage, config.MaxCasesPerPage)
	q := c.QueryParams()
	f := store.CaseFilter{Status: q.Get("status"), Urgency: q.Get("urgency"), Assignee: q.Get("assignee"),
		Sort: q.Get("sort"), Limit: perPage, Offset: (page - 1) * perPage}
	list, total, err := s.cases.ListCases(c.Request().Context(), handlerOf(c), f)
	if err != nil {
		return err
	}
	out := handlerapi.CaseList{Cases: make([]handlerapi.CaseMeta, 0, len(list)), Total: total, Page: page, PerPage: perPage}
	for _, m := range list {
		out.Cases = append(out.Cases, s.caseJSON(m))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getCase(c echo.Context) error {
	ctx := c.Request().Context()
	cs, err := s.cases.FetchCase(ctx, handlerOf(c), caseRef(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, handlerapi.Case{CaseMeta: s.caseJSON(cs.CaseMeta), ReplyRecipient: cs.ReplyRecipient, Ciphertext: cs.Ciphertext})
}

func (s *Server) triage(c echo.Context) error {
	var ch casework.Change
	if err := decodeStrict(c, &ch); err != nil {
		return err
	}
	m, err := s.cases.Triage(c.Request().Context(), handlerOf(c), caseRef(c), ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.caseJSON(m))
}

func (s *Server) listNotes(c echo.Context) error {
	notes, err := s.cases.ListNotes(c.Request().Context(), handlerOf(c), caseRef(c))
	if err != nil {
		return err
	}
	out := handlerapi.NoteList{Notes: make([]handlerapi.Note, 0, len(notes))}
	for _, n := range notes {
		out.Notes = append(out.Notes, handlerapi.Note{ID: n.ID, Kind: n.Kind, Team: n.Team, Author: n.Author, CreatedOn: n.CreatedOn.Format(time.DateOnly), Ciphertext: n.Ciphertext})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) addNote(c echo.Context) error {
	var in handlerapi.NewNote
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	id, err := s.cases.AddNote(c.Request().Context(), handlerOf(c), caseRef(c), in.Kind, in.Ciphertext)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, handlerapi.Created{ID: id})
}

func (s *Server) rekey(c echo.Context) error {
	var in handlerapi.Rekey
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	if err := s.cases.Rekey(c.Request().Context(), handlerOf(c), caseRef(c), in.Ciphertext, in.Notes, in.Attachments); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getRoster(c echo.Context) error {
	sr, err := s.cases.Roster(c.Request().Context(), c.Param("team"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sr)
}

func (s *Server) publishRoster(c echo.Context) error {
	var in handlerapi.SignedRoster
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	if err := s.cases.PublishRoster(c.Request().Context(), handlerOf(c), in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) recordExport(c echo.Context) error {
	if err := s.cases.RecordExport(c.Request().Context(), handlerOf(c), caseRef(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listAttachments(c echo.Context) error {
	list, err := s.cases.Attachments(c.Request().Context(), handlerOf(c), caseRef(c))
	if err != nil {
		return err
	}
	out := handlerapi.AttachmentList{Attachments: make([]handlerapi.Attachment, 0, len(list))}
	for _, a := range list {
		out.Attachments = append(out.Attachments, handlerapi.Attachment{ID: a.ID, SizeBucket: a.SizeBucket, Manifest: a.Manifest})
	}
	return c.JSON(http.StatusOK, out)
}

// getAttachment streams an attachment's ciphertext, chunk by chunk.
func (s *Server) getAttachment(c echo.Context) error {
	id := c.Param("id")
	if len(id) != 36 {
		return store.ErrNotFound
	}
	rc := http.NewResponseController(c.Response().Writer)
	rc.SetWriteDeadline(time.Now().Add(6 * time.Hour))
	w := &lazyHeader{c: c}
	if err := s.cases.AttachmentContent(c.Request().Context(), handlerOf(c), caseRef(c), id, w); err != nil {
		if w.started {
			// Too late for an error page: cut the response short.
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !w.started {
		w.start()
	}
	return nil
}

// lazyHeader sends the 200 header with the first chunk, so a missing
// attachment can still answer 404.
type lazyHeader struct {
	c       echo.Context
	started bool
}

func (l *lazyHeader) start() {
	l.c.Response().Header().Set("Content-Type", "application/octet-stream")
	l.c.Response().WriteHeader(http.StatusOK)
	l.started = true
}

func (l *lazyHeader) Write(p []byte) (int, error) {
	if !l.started {
		l.start()
	}
	return l.c.Response().Write(p)
}
