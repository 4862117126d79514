package desk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/internal/handlertest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is a real server (HTTP, PostgreSQL, real age keys) with handlers
// (internal/handlertest), with short names for the tests here.
type env struct {
	*handlertest.Env
	t          testing.TB
	rosterKeys map[string]roster.PrivateKey
	versions   map[string]int64
	db         *storetest.DB
	svc        *intake.Service
	cases      *casework.Service
	teams      intaketest.Teams
	url        string
	signing    map[string]crypto.SigningKey
}

func newEnv(t testing.TB) *env {
	t.Helper()
	h := handlertest.New(t)
	return &env{Env: h, t: t, rosterKeys: h.RosterKeys, versions: h.Versions, db: h.DB, svc: h.Intake, cases: h.Cases,
		teams: h.Teams, url: h.URL, signing: h.Signing}
}

// handler registers a handler with a fresh identity and signing key.
func (e *env) handler(name, team string) *age.X25519Identity { return e.Handler(name, team) }

// publishRoster signs and stores the next version of team's roster: the
// team's configured key and the given handlers' keys.
func (e *env) publishRoster(team string, handlers ...*age.X25519Identity) {
	e.PublishRoster(team, handlers...)
}

// pins writes a pin file with both teams' roster keys pinned and returns
// its path.
func (e *env) pins() string { return e.Pins() }

// submit stores a report as the public form would.
func (e *env) submit(s intake.Submission) intake.Accepted {
	e.t.Helper()
	if s.Channel == "" {
		s.Channel = intake.ChannelPublic
	}
	acc, err := e.svc.Submit(context.Background(), s)
	if err != nil {
		e.t.Fatal(err)
	}
	return acc
}

// public submits a public report for a UN body.
func (e *env) public(body string) string {
	return e.submit(intake.Submission{Report: intaketest.Report(body)}).Reference
}

// desk logs handler name in at addr (the real server, or a hostile one
// in front of it) and returns the core, accepting every roster change.
func (e *env) desk(addr, name string, id *age.X25519Identity) desk.Desk {
	e.t.Helper()
	// The login challenge names the real server's address; the session
	// then goes to addr, as a handler's would after a server turned.
	real, err := handlerapi.New(e.url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := real.Login(context.Background(), name, id)
	if err != nil {
		e.t.Fatal(err)
	}
	api, err := handlerapi.New(addr, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	api.SetToken(res.Token)
	rs := &desk.Rosters{API: api, PinsPath: e.pins(), Confirm: func(string) bool { return true }}
	return desk.Desk{API: api, IDs: []age.Identity{id}, Rosters: rs, Handler: res.Handler, Team: res.Team,
		Mine: []string{id.Recipient().String()}, Signing: e.signing[id.Recipient().String()]}
}

// notes counts the notes of a kind stored on any case.
func (e *env) notes(kind string) int {
	e.t.Helper()
	var n int
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = $1`, kind).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// hostile is a server in front of the real one that rewrites what it is
// asked for (rewrite, on the way in) and what it answers (modify), and
// records every request that is not a GET.
type hostile struct {
	mu     sync.Mutex
	writes []string
	url    string
}

func (e *env) hostile(rewrite func(*http.Request), modify func(*http.Response) error) *hostile {
	e.t.Helper()
	h := &hostile{}
	target, _ := url.Parse(e.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		if rewrite != nil {
			rewrite(r)
		}
	}
	proxy.ModifyResponse = modify
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" && r.URL.Path != handlerapi.Prefix+"/login" && r.URL.Path != handlerapi.Prefix+"/login/challenge" {
			h.mu.Lock()
			h.writes = append(h.writes, r.Method+" "+r.URL.Path)
			h.mu.Unlock()
		}
		proxy.ServeHTTP(rw, r)
	}))
	e.t.Cleanup(front.Close)
	h.url = front.URL
	return h
}

// took returns the writes recorded since the last call.
func (h *hostile) took() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.writes
	h.writes = nil
	return out
}

// swap answers a request for case a with case b.
func swap(a, b string) func(*http.Request) {
	return func(r *http.Request) {
		if r.Method == "GET" && r.URL.Path == handlerapi.Prefix+"/cases/"+a {
			r.URL.Path = handlerapi.Prefix + "/cases/" + b
			r.URL.RawPath = ""
		}
	}
}
