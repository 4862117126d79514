package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's running service: a real database, real keys, the real
// handler behind a real HTTP server, and everything it logged.
type env struct {
	t     testing.TB
	db    *storetest.DB
	cases *casework.Service
	teams intaketest.Teams
	echo  *echo.Echo
	srv   *httptest.Server
	logs  *syncBuffer
	// reportPosts counts the POST requests to /report the server received.
	reportPosts *atomic.Int64
	// browser keeps cookies and follows redirects (postFormTo).
	browser *http.Client
	// custodian is the reprisals team's roster key (configured unless the
	// test configured its own); signers are the handlers e.reply put on
	// the team's roster, with their signing keys, at rosterVersion.
	custodian     roster.PrivateKey
	rosterMu      sync.Mutex
	signers       []roster.Entry
	signingKeys   map[string]crypto.SigningKey
	rosterVersion int64
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, storetest.NewDB(t))
}

func newEnvOn(t testing.TB, db *storetest.DB) *env {
	t.Helper()
	return newEnvWith(t, db, server.Options{})
}

func newEnvWith(t testing.TB, db *storetest.DB, opts server.Options) *env {
	t.Helper()
	return newEnvConfig(t, db, opts, nil)
}

// newEnvConfig is newEnvWith with a change to the configuration, which is
// validated again.
func newEnvConfig(t testing.TB, db *storetest.DB, opts server.Options, change func(*config.Config)) *env {
	t.Helper()
	teams := intaketest.NewTeams(t)
	if change != nil {
		change(&teams.Config)
		if err := teams.Config.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	// The reprisals team has a roster key, so that e.reply can publish a
	// roster listing its signing keys (replies are shown to reporters
	// only when signed by a key of a verified roster). Configured roster
	// keys change nothing until a roster is published.
	custodian, err := roster.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(teams.Config.Teams[1].RosterKeys) == 0 {
		teams.Config.Teams[1].RosterKeys = []string{custodian.Public().String()}
		if err := teams.Config.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	// The server's public address is the test server's, which login
	// challenges name.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	teams.Config.PublicURL = "http://" + srv.Listener.Addr().String()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cases, err := casework.NewService(db.DB, teams.Config)
	if err != nil {
		t.Fatal(err)
	}
	e, err := server.New(intake.NewService(db.DB, teams.Config, nil), cases, logger, opts)
	if err != nil {
		t.Fatal(err)
	}
	posts := &atomic.Int64{}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/report" {
			posts.Add(1)
		}
		e.ServeHTTP(w, r)
	})
	srv.Start()
	return &env{t: t, db: db, cases: cases, teams: teams, echo: e, srv: srv, logs: logs, reportPosts: posts, custodian: custodian}
}

// do sends a request and returns the response with its body read.
func (e *env) do(method, path, contentType string, body io.Reader, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	return send(e.t, method, e.srv.URL+path, contentType, body, header...)
}

// send sends a request to a full URL (which may hold escapes that
// url.Parse keeps as they are), with the given content type and header
// pairs, and returns the response with its body read.
func send(t testing.TB, method, rawURL, contentType string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (e *env) postJSON(v any) (*http.Response, []byte) {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(b))
}

// postForm sends the report form. Without a "submission" value it first
// fetches a fresh one-time token from the empty form, as a browser would.
func (e *env) postForm(v url.Values, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	if !v.Has("submission") {
		v = cloneValues(v)
		v.Set("submission", e.submissionToken())
	}
	return e.do("POST", "/report", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()), header...)
}

func (e *env) count() int {
	e.t.Helper()
	n, err := e.db.CountReports(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// formValues encodes a report as the web form would send it: the inverse
// of intake.DecodeForm.
func formValues(r *intake.Report) url.Values {
	v := url.Values{}
	var walk func(rv reflect.Value, prefix string)
	walk = func(rv reflect.Value, prefix string) {
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			f := rv.Field(i)
			switch f.Kind() {
			case reflect.Struct:
				walk(f, prefix+name+".")
			case reflect.Slice:
				if f.Type().Elem().Kind() == reflect.Struct {
					for j := 0; j < f.Len(); j++ {
						walk(f.Index(j), fmt.Sprintf("%s%s[%d].", prefix, name, j))
					}
				} else {
					for j := 0; j < f.Len(); j++ {
						v.Add(prefix+name, f.Index(j).String())
					}
				}
			case reflect.Bool:
				if f.Bool() {
					v.Set(prefix+name, "yes")
				}
			case reflect.String:
				v.Set(prefix+name, f.String())
			}
		}
	}
	walk(reflect.ValueOf(*r), "")
	return v
}

// leafPaths lists every field path of a report with one victim and one
// incident, as the form names them.
func leafPaths() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, prefix+name+".")
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				walk(f.Type.Elem(), prefix+name+"[0].")
			default:
				out = append(out, prefix+name)
			}
		}
	}
	walk(reflect.TypeOf(intake.Report{}), "")
	return out
}

func intaketestReport(body string) *intake.Report { return intaketest.Report(body) }

func hexString(b []byte) string { return hex.EncodeToString(b) }

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func references(list []store.PurgeCandidate) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Reference)
	}
	return out
}

func sorted(s []string) []string { s = append([]string(nil), s...); slices.Sort(s); return s }

// submissionToken returns the one-time token of a freshly opened form.
func (e *env) submissionToken() string {
	e.t.Helper()
	_, b := e.do("GET", "/report", "", nil)
	m := regexp.MustCompile(`name="submission" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		e.t.Fatal("the form carries no submission token")
	}
	return string(m[1])
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}
