package desk_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is a real server (HTTP, PostgreSQL, real age keys) with handlers,
// as desk/console's and cmd/casectl's tests have.
type env struct {
	t          testing.TB
	rosterKeys map[string]roster.PrivateKey
	versions   map[string]int64
	db         *storetest.DB
	svc        *intake.Service
	cases      *casework.Service
	teams      intaketest.Teams
	url        string
	// signing are the handlers' signing keys, by recipient: rosters list
	// them, desk signs replies with them.
	signing map[string]crypto.SigningKey
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	teams.Config.PublicURL = "http://" + srv.Listener.Addr().String()
	rosterKeys := map[string]roster.PrivateKey{}
	for i := range teams.Config.Teams {
		k, err := roster.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rosterKeys[teams.Config.Teams[i].Name] = k
		teams.Config.Teams[i].RosterKeys = []string{k.Public().String()}
	}
	// Validated again, so the server knows the roster keys (it shows a
	// reporter only replies signed by a key of a roster they verify).
	if err := teams.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	cases, err := casework.NewService(db.DB, teams.Config)
	if err != nil {
		t.Fatal(err)
	}
	svc := intake.NewService(db.DB, teams.Config, nil)
	e, err := server.New(svc, cases, slog.New(slog.DiscardHandler), server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	return &env{t: t, rosterKeys: rosterKeys, versions: map[string]int64{}, db: db, svc: svc, cases: cases, teams: teams, url: srv.URL,
		signing: map[string]crypto.SigningKey{}}
}

// handler registers a handler with a fresh identity.
func (e *env) handler(name, team string) *age.X25519Identity {
	e.t.Helper()
	id, _ := age.GenerateX25519Identity()
	if err := e.db.AddHandler(context.Background(), store.Handler{Name: name, Team: team, Recipient: id.Recipient().String()},
		e.cases.OperatorAudit("test", "handler.add", name)); err != nil {
		e.t.Fatal(err)
	}
	k, err := crypto.GenerateSigningKey()
	if err != nil {
		e.t.Fatal(err)
	}
	e.signing[id.Recipient().String()] = k
	return id
}

// publishRoster signs and stores the next version of team's roster: the
// team's configured key and the given handlers' keys.
func (e *env) publishRoster(team string, handlers ...*age.X25519Identity) {
	e.t.Helper()
	e.versions[team]++
	r := roster.Roster{Team: team, Version: e.versions[team]}
	for _, t := range e.teams.Config.Teams {
		if t.Name == team {
			r.Entries = append(r.Entries, roster.Entry{Recipient: t.Keys()[0].String(), Label: "team-key"})
		}
	}
	for i, h := range handlers {
		en := roster.Entry{Recipient: h.Recipient().String(), Label: fmt.Sprintf("handler-%d", i)}
		if k, ok := e.signing[en.Recipient]; ok {
			en.Signer = k.Public().String()
		}
		r.Entries = append(r.Entries, en)
	}
	s, err := roster.Sign(r, e.rosterKeys[team])
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.PublishRoster(context.Background(), team, r.Version, s, e.cases.OperatorAudit("test", "roster.publish", team)); err != nil {
		e.t.Fatal(err)
	}
}

// pins writes a pin file with both teams' roster keys pinned and returns
// its path.
func (e *env) pins() string {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "pins.json")
	p, err := roster.LoadPins(path)
	if err != nil {
		e.t.Fatal(err)
	}
	for team, k := range e.rosterKeys {
		p.Pin(team, k.Public())
	}
	if err := p.Save(path); err != nil {
		e.t.Fatal(err)
	}
	return path
}

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
