package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// clientAddr is the client's address, for limiting receipt guesses only:
// the connection's peer, or, when the peer is a trusted proxy, the
// right-most address in X-Forwarded-For that is not a trusted proxy.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h != "" && !isTrusted(h) {
			return h
		}
	}
	return peer
}

// readyz is GET /readyz: 200 when the database answers and its schema is
// current, 503 otherwise, without saying more to the outside.
func (s *Server) readyz(c echo.Context) error {
	if s.opts.Ready == nil {
		return c.String(http.StatusOK, "ready\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
	defer cancel()
	if err := s.opts.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.String(http.StatusServiceUnavailable, "not ready\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// httpMetrics counts requests and their durations by route pattern, method
// and status: never by URL, so never by reference.
//
// On reporter routes a scrape of a live counter would date a submission
// to the scrape interval. So there, only requests that stored nothing and
// failed go to the live histogram (for alarms: the database down, uploads
// refused); the others (reports, follow-ups and files stored, visits, and
// failures after something was stored) are counted by day only.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	// reporter counts requests on reporter routes by day (dailyCounter).
	reporter *dailyCounter
	// storedThenFailed counts failures after a report or files were
	// stored (files sent with a report, later files of an upload), by
	// route and problem code, by day: they are not logged.
	storedThenFailed *dailyCounter
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	if reg == nil {
		return nil
	}
	m := &httpMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "reprisals_http_request_duration_seconds",
		Help:    "HTTP requests by route pattern, method and status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
	}, []string{"route", "method", "code"})}
	m.reporter = newDailyCounter("reprisals_reporter_requests_total",
		"Requests on reporter routes by route pattern, method and status, other than failures that stored nothing (those are in reprisals_http_request_duration_seconds).",
		"route", "method", "code")
	m.storedThenFailed = newDailyCounter("reprisals_stored_then_failed_total",
		"Failures after a report or files were stored (such as files sent with a report that could not be stored), by route pattern and problem; not logged.",
		"route", "problem")
	reg.MustRegister(m.duration, m.reporter, m.storedThenFailed)
	return m
}

// observe counts a request. stored says it stored something (a report,
// a follow-up, a file).
func (m *httpMetrics) observe(route, method string, code int, d time.Duration, stored bool) {
	if m == nil {
		return
	}
	if reporterRoutes[route] && (code < 400 || stored) {
		m.reporter.inc(route, method, strconv.Itoa(code))
		return
	}
	m.duration.WithLabelValues(route, method, strconv.Itoa(code)).Observe(d.Seconds())
}

// failedAfterStore counts a failure after something was stored, instead
// of logging it: a log line's time would date what was stored.
func (m *httpMetrics) failedAfterStore(route, problem string) {
	if m != nil {
		m.storedThenFailed.inc(route, problem)
	}
}

// storedKey marks, in the echo context, a request that has stored a
// report, a follow-up or a file.
const storedKey = "reprisals.stored"

// markStored records that the request has stored something.
func markStored(c echo.Context) { c.Set(storedKey, true) }

func hasStored(c echo.Context) bool { b, _ := c.Get(storedKey).(bool); return b }
