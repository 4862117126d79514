package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
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
