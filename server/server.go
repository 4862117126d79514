// Package server is the HTTP face of the service: the reporter's web form
// (server-rendered, no JavaScript), the JSON API, and the static files.
//
// Handlers return errors; one funnel (handleError) turns each kind into a
// status code and a message written for the user, as JSON under /api/ and
// as an HTML page elsewhere, and logs server-side failures. Nothing here
// logs a request body, a client address, a user agent or a URL query: the
// request log holds the method, the route pattern, the status and the
// duration only, and has no line at all for the routes by which reports
// arrive (reporterRoutes).
package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/web"
)

// Body limits, per route group.
const (
	// MaxJSONBody bounds a JSON report. The largest report the field limits
	// allow, in typical scripts, is well under this.
	MaxJSONBody = 1 << 20
	// MaxFormBody bounds a form submission, which percent-encoding makes up
	// to three times larger than the same text in JSON.
	MaxFormBody = 3 << 20
)

// Options configure the server.
type Options struct {
	// HTTPS adds Strict-Transport-Security (the public URL is https).
	HTTPS bool
	// OnionURL, if set, is sent as Onion-Location (plus the path).
	OnionURL string
	// QuickExitURL is where the "leave quickly" link on every page goes.
	QuickExitURL string
	// Attach bounds attachments (defaults: 20 files of 2 GiB).
	Attach intake.AttachLimits
	// Uploads bound upload requests: how many at once, how slow, how long.
	Uploads UploadLimits
	// EndUploads, when closed, stops every upload still running: the file
	// being received is deleted at once and the client is told to retry
	// (503 with Retry-After). The server closes it when a graceful stop's
	// grace period is over, before the database pool closes.
	EndUploads <-chan struct{}
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed
	// (clientAddr). No limit is keyed on a client's address.
	TrustedProxies []netip.Prefix
	// UploadLease is how long what an upload staged outlives its request
	// if the process dies (default 2 minutes): the request renews it, and
	// the sweep removes what is left once it is over.
	UploadLease time.Duration
	// AnswerDeadline bounds the work of storing a report, a follow-up or
	// a file from the moment the request's last byte has arrived (default
	// 20 seconds); what is not committed by then is rolled back and the
	// sender asked to send again. The connection's write deadline is moved
	// to AnswerDeadline plus answerWrite from that moment, so an answer
	// committed in time can always be delivered.
	AnswerDeadline time.Duration
	// Ready reports readiness for /readyz (nil: always ready).
	Ready func(context.Context) error
	// Metrics, if set, receives the HTTP request metrics.
	Metrics prometheus.Registerer
	// AcknowledgeDays is how many working days the teams usually take to
	// acknowledge a report, as the reporter pages say (default 5).
	AcknowledgeDays int
	// Intermediaries, if set, enables the NHRI and NGO staff pages (/org).
	Intermediaries *intermediary.Service
}

// Server serves the intake and the handler API.
type Server struct {
	svc   *intake.Service
	cases *casework.Service
	orgs  *intermediary.Service
	log   *slog.Logger
	r     *renderer
	cat   catalog
	opts  Options
	// questions are the report form's questions, in page order.
	questions []formQuestion
	// lookups bounds concurrent receipt lookups (openReturn).
	lookups chan struct{}
	metrics *httpMetrics
	// challengeSlots bounds login challenges being made at once
	// (challengeSlots in ratelimit.go); the rest wait their turn.
	challengeSlots chan struct{}
	// circuits paces requests per Tor circuit (circuit.go).
	circuits circuits

	uploadLimits UploadLimits
	uploadSlots  chan struct{} // one per upload under way
}

// New returns the HTTP handler. It fails fast if a template does not parse.
func New(svc *intake.Service, cases *casework.Service, log *slog.Logger, opts Options) (*echo.Echo, error) {
	r, err := newRenderer()
	if err != nil {
		return nil, err
	}
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	questions, err := formQuestions()
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	s := &Server{svc: svc, cases: cases, log: log, r: r, cat: cat, opts: opts, questions: questions,
		metrics: newHTTPMetrics(opts.Metrics), uploadLimits: opts.Uploads}
	s.uploadSlots = make(chan struct{}, s.uploadLimits.MaxConcurrent)
	s.lookups = make(chan struct{}, receiptLookups)
	s.challengeSlots = make(chan struct{}, challengeSlots)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(discard{})
	// The service never uses client addresses; make sure nothing trusts
	// X-Forwarded-For by accident.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError

	e.Pre(strictURL)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, _ []byte) error {
			s.log.Error("panic in handler", "route", c.Path())
			return err
		},
	}))
	e.Use(s.logRequests)
	e.Use(s.paceCircuits)
	e.Use(s.securityHeaders)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("This request came from another site and was refused. Open the form on this site and send it from there.\n"))
	}))
	e.Use(echo.WrapMiddleware(cop.Handler))

	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/report") })
	e.GET("/report", s.showForm)
	e.POST("/report", s.submitForm, s.limitReportBody)
	e.GET("/exit", s.quickExit)
	e.GET("/return", s.showReturn)
	e.GET("/return/case", s.showVisit)
	e.GET("/proof", s.showProof)
	e.POST("/proof", s.checkProof, limitBody(16<<10))
	e.POST("/return", s.openReturn, limitBody(16<<10))
	e.POST("/return/follow-up", s.addFollowUp, limitBody(followUpBody+intake.MaxVisitBox))
	e.POST("/attachments", s.upload, limitBody(s.uploadBodyLimit()))
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.readyz)

	api := e.Group("/api/v1")
	api.POST("/reports", s.submitJSON, limitBody(MaxJSONBody))
	api.POST("/attachments", s.upload, limitBody(s.uploadBodyLimit()))
	api.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/json", OpenAPI)
	})

	s.orgs = opts.Intermediaries
	s.registerHandlerAPI(e)
	s.registerOrg(e)

	static, _ := fs.Sub(web.Static, "static")
	e.StaticFS("/static", static)
	return e, nil
}

// answerWrite is how long, after AnswerDeadline, the connection may take
// to deliver the answer.
const answerWrite = 30 * time.Second

// answerContext is called once a request's body has been read in full. It
// bounds the work still to do (storing what was sent) by AnswerDeadline,
// and gives the connection until AnswerDeadline plus answerWrite to
// deliver the answer, so that whatever is committed within the deadline
// reaches its sender, and whatever could not be is rolled back.
func (s *Server) answerContext(c echo.Context) (context.Context, context.CancelFunc) {
	http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Now().Add(s.opts.AnswerDeadline + answerWrite))
	return context.WithTimeout(c.Request().Context(), s.opts.AnswerDeadline)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// reporterRoutes are the routes by which reports, follow-ups and files
// arrive, and where a reporter checks a proof of receipt. They get no
// per-request log line: a line's timestamp would place a submission (or a
// reporter's visit) more precisely than the day its clear record keeps. They
// are counted in the metrics only, by day (httpMetrics).
var reporterRoutes = map[string]bool{
	"/report": true, "/return": true, "/return/case": true, "/return/follow-up": true, "/attachments": true, "/exit": true,
	"/api/v1/reports": true, "/api/v1/attachments": true, "/org/report": true, "/proof": true,
	"/org/cases/:ref/follow-up": true,
}

// logRequests logs one line per request, except on reporter routes:
// method, route pattern, status, duration. Never the URL (it could carry
// data), the address or the agent.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "(no route)"
		}
		d := time.Since(start)
		if !reporterRoutes[route] {
			s.log.Info("request", "method", c.Request().Method, "route", route,
				"status", c.Response().Status, "ms", d.Milliseconds())
		}
		s.metrics.observe(route, c.Request().Method, c.Response().Status, d, hasStored(c))
		return nil
	}
}

// securityHeaders sets the headers every response carries: a strict CSP
// with no script at all, no framing, no referrer, no caching of anything
// but static files.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.opts.HTTPS {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if s.opts.OnionURL != "" {
			h.Set("Onion-Location", s.opts.OnionURL+c.Request().URL.Path)
		}
		if strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "public, max-age=3600")
		} else {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// limitBody refuses a declared Content-Length over n at once and caps the
// body read at n bytes; reading past it fails with *http.MaxBytesError,
// which the error funnel turns into 413.
func limitBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > n {
				return &http.MaxBytesError{Limit: n}
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			return next(c)
		}
	}
}

// errUnsupportedMedia is a request body of the wrong type.
var errUnsupportedMedia = errors.New("unsupported media type")

// strictURL refuses, with 400, a request whose path or query holds a NUL
// character or bytes that are not UTF-8, or whose query is not well
// formed, before any route sees it. Nothing of the URL is logged.
func strictURL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		q, err := url.ParseQuery(u.RawQuery)
		ok := err == nil && cleanText(u.Path) && cleanText(u.RawPath)
		for k, vs := range q {
			ok = ok && cleanText(k)
			for _, v := range vs {
				ok = ok && cleanText(v)
			}
		}
		if !ok {
			return &intake.DecodeError{Message: "The address holds characters that are not accepted. Check the link, or start again from the report form."}
		}
		return next(c)
	}
}

// cleanText reports whether s is UTF-8 text without NUL characters.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// checkIDs answers 404, before any query, for a request whose :ref or :id
// path parameter is not a well-formed case reference or attachment id.
func checkIDs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for _, name := range c.ParamNames() {
			v := c.Param(name)
			switch name {
			case "ref":
				v = strings.ToUpper(strings.TrimSpace(v))
				if !envelope.ValidReference(v) {
					return store.ErrNotFound
				}
			case "id":
				if !intake.ValidUUID(v) {
					return store.ErrNotFound
				}
			}
		}
		return next(c)
	}
}

// withDefaults fills what opts leaves unset from the configuration's
// defaults (config.Default), their one owner.
func (opts Options) withDefaults() Options {
	d := config.Default()
	if opts.QuickExitURL == "" {
		opts.QuickExitURL = d.QuickExitURL
	}
	if opts.AcknowledgeDays <= 0 {
		opts.AcknowledgeDays = d.Reporters.AcknowledgeDays
	}
	if opts.AnswerDeadline <= 0 {
		opts.AnswerDeadline = d.Reporters.AnswerDeadline.Duration
	}
	if opts.Attach.MaxFileBytes == 0 {
		opts.Attach = intake.AttachLimits{MaxFiles: d.Attachments.MaxFiles, MaxFileBytes: d.Attachments.MaxFileBytes}
	}
	u, a := &opts.Uploads, d.Attachments
	if u.MaxConcurrent <= 0 {
		u.MaxConcurrent = a.MaxConcurrentUploads
	}
	if u.MinRate <= 0 {
		u.MinRate = a.MinUploadRate
	}
	if u.Window <= 0 {
		u.Window = a.UploadRateWindow.Duration
	}
	if u.MaxDuration <= 0 {
		u.MaxDuration = a.MaxUploadTime.Duration
	}
	return opts
}
