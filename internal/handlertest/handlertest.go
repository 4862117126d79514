// Package handlertest is the real server the handler side's tests run
// against (desk's, desk/console's): HTTP, PostgreSQL built from the
// migrations (store/storetest), real age keys, a roster key per team, and
// helpers to add handlers, publish signed rosters and pin them. It is for
// tests only; the server side imports it, the client never does.
package handlertest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// Env is a real server with its database, services and teams. The
// package's TestMain must call storetest.Main.
type Env struct {
	T          testing.TB
	RosterKeys map[string]roster.PrivateKey // each team's custodian's
	Versions   map[string]int64             // each team's published roster version
	DB         *storetest.DB
	Intake     *intake.Service
	Cases      *casework.Service
	Teams      intaketest.Teams
	URL        string
	// Signing are the handlers' signing keys, by recipient: rosters list
	// them, clients sign replies with them.
	Signing map[string]crypto.SigningKey
}

// New starts a real server on a fresh database.
func New(t testing.TB) *Env {
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
	return &Env{T: t, RosterKeys: rosterKeys, Versions: map[string]int64{}, DB: db, Intake: svc, Cases: cases, Teams: teams,
		URL: srv.URL, Signing: map[string]crypto.SigningKey{}}
}

// Handler registers a handler with a fresh identity and signing key.
func (e *Env) Handler(name, team string) *age.X25519Identity {
	e.T.Helper()
	id, _ := age.GenerateX25519Identity()
	if err := e.DB.AddHandler(context.Background(), store.Handler{Name: name, Team: team, Recipient: id.Recipient().String()},
		e.Cases.OperatorAudit("test", "handler.add", name)); err != nil {
		e.T.Fatal(err)
	}
	k, err := crypto.GenerateSigningKey()
	if err != nil {
		e.T.Fatal(err)
	}
	e.Signing[id.Recipient().String()] = k
	return id
}

// PublishRoster signs and stores the next version of team's roster: the
// team's configured key and the given handlers' keys (with their signing
// keys).
func (e *Env) PublishRoster(team string, handlers ...*age.X25519Identity) {
	e.T.Helper()
	var entries []roster.Entry
	for i, h := range handlers {
		en := roster.Entry{Recipient: h.Recipient().String(), Label: fmt.Sprintf("handler-%d", i)}
		if k, ok := e.Signing[en.Recipient]; ok {
			en.Signer = k.Public().String()
		}
		entries = append(entries, en)
	}
	e.PublishEntries(team, entries...)
}

// PublishEntries signs and stores the next version of team's roster: the
// team's configured key and the given entries (a hardware key's, say).
func (e *Env) PublishEntries(team string, entries ...roster.Entry) {
	e.T.Helper()
	e.Versions[team]++
	r := roster.Roster{Team: team, Version: e.Versions[team]}
	for _, t := range e.Teams.Config.Teams {
		if t.Name == team {
			r.Entries = append(r.Entries, roster.Entry{Recipient: t.Keys()[0].String(), Label: "team-key"})
		}
	}
	r.Entries = append(r.Entries, entries...)
	s, err := roster.Sign(r, e.RosterKeys[team])
	if err != nil {
		e.T.Fatal(err)
	}
	if err := e.DB.PublishRoster(context.Background(), team, r.Version, s, e.Cases.OperatorAudit("test", "roster.publish", team)); err != nil {
		e.T.Fatal(err)
	}
}

// Pins writes a pin file with every team's roster key pinned, as
// 'casectl roster pin' does, and returns its path.
func (e *Env) Pins() string {
	e.T.Helper()
	path := filepath.Join(e.T.TempDir(), "pins.json")
	p, err := roster.LoadPins(path)
	if err != nil {
		e.T.Fatal(err)
	}
	for team, k := range e.RosterKeys {
		p.Pin(team, k.Public())
	}
	if err := p.Save(path); err != nil {
		e.T.Fatal(err)
	}
	return path
}
