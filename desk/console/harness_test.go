package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is a real server (HTTP, PostgreSQL, real age keys) with handlers.
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
	// them, consoles sign replies with them.
	signing map[string]crypto.SigningKey
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	// Login challenges name the server's public address: the test server's.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	teams.Config.PublicURL = "http://" + srv.Listener.Addr().String()
	// Each team has a roster key, held by its custodian.
	rosterKeys := map[string]roster.PrivateKey{}
	for i := range teams.Config.Teams {
		k, err := roster.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rosterKeys[teams.Config.Teams[i].Name] = k
		teams.Config.Teams[i].RosterKeys = []string{k.Public().String()}
	}
	// Validated again, so the server knows the roster keys: it shows a
	// reporter only replies signed by a key of a roster they verify.
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

// pins writes a pin file with both teams' roster keys pinned, as
// 'casectl roster pin' does, and returns its path.
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

// submit stores a report as the public form would and returns what the
// reporter is shown.
func (e *env) submit(r *intake.Report) intake.Accepted {
	e.t.Helper()
	acc, err := e.svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
	if err != nil {
		e.t.Fatal(err)
	}
	return acc
}

// login logs a handler in through the handler API, as casectl does.
func (e *env) login(name string, id age.Identity) *handlerapi.Client {
	e.t.Helper()
	ctx := context.Background()
	api, err := handlerapi.New(e.url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := api.Login(ctx, name, id); err != nil {
		e.t.Fatal(err)
	}
	return api
}

// startConsole starts a console for a logged-in handler, unopened.
func (e *env) startConsole(name string, id age.Identity) (*console.Console, *console.Source) {
	e.t.Helper()
	src := console.NewSource(e.login(name, id), []age.Identity{id}, e.pins())
	if x, ok := id.(*age.X25519Identity); ok {
		src.SetSigningKey(e.signing[x.Recipient().String()])
	}
	tpl, err := console.LoadTemplates("")
	if err != nil {
		e.t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { con.Close() })
	return con, src
}

// console starts a console and returns it with a browser-like HTTP client
// that has opened it (holding the cookie).
func (e *env) console(name string, id age.Identity) (*console.Console, *console.Source, *http.Client) {
	e.t.Helper()
	con, src := e.startConsole(name, id)
	hc := openConsole(e.t, con)
	return con, src, hc
}

// openConsole opens a console as a browser would, with its one-time
// link, and returns the client holding the session cookie.
func openConsole(t testing.TB, con *console.Console) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(con.URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the console: %d\n%s", resp.StatusCode, body)
	}
	return hc
}

// get fetches a console page and returns its status and body.
func get(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func contains(t *testing.T, where, body string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", where, w)
		}
	}
}
