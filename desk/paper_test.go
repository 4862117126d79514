package desk_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/roster"
)

// TestSealPaper: a case on paper is sealed only to the one colleague a
// verified roster of the case's teams names, with the export recorded
// first; every other case writes nothing and records nothing: an unknown
// or empty name, a name only on the roster of a team the case is not
// routed to, a server that answers with another team's roster, a name
// given to two keys, and an audit entry the server does not record.
func TestSealPaper(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	nadia := e.handler("nadia", "reprisals-team")
	ula := e.handler("ula", "upr-secretariat")
	ref := e.public("hrc_session")                 // routed to reprisals-team only
	e.publishRoster("reprisals-team", omar, nadia) // handler-0, handler-1
	e.publishRoster("upr-secretariat", ula)        // handler-0 of the other team
	ctx := context.Background()
	honest := e.desk(e.url, "omar", omar)
	teams := []string{"reprisals-team"}
	audited := func() (n int) {
		t.Helper()
		if err := e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.export' AND reference = $1`, ref).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	page := []byte("<!DOCTYPE html><p>ZQPAPER the case on paper</p>")

	var out bytes.Buffer
	col, err := honest.SealPaper(ctx, ref, teams, "handler-1", page, &out)
	if err != nil {
		t.Fatal(err)
	}
	if col.Recipient != nadia.Recipient().String() || col.Team != "reprisals-team" {
		t.Errorf("sealed to %+v, want nadia of reprisals-team", col)
	}
	plain, err := crypto.Open(out.Bytes(), nadia)
	if err != nil || !bytes.HasPrefix(plain, page) || len(bytes.TrimRight(plain, " ")) != len(page) {
		t.Fatalf("nadia opens %q (%v)", plain, err)
	}
	for who, id := range map[string]age.Identity{"omar": omar, "ula": ula} {
		if _, err := crypto.Open(out.Bytes(), id); err == nil {
			t.Errorf("%s opens the paper sealed for nadia", who)
		}
	}
	if n := audited(); n != 1 {
		t.Fatalf("%d exports recorded, want 1", n)
	}
	list, err := honest.Colleagues(ctx, teams)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range list {
		labels = append(labels, c.Label)
	}
	if strings.Join(labels, " ") != "handler-0 handler-1 team-key" {
		t.Errorf("colleagues %q", labels)
	}

	otherTeam := e.hostile(func(r *http.Request) {
		r.URL.Path = strings.Replace(r.URL.Path, "/rosters/reprisals-team", "/rosters/upr-secretariat", 1)
	}, nil)
	noAudit := e.hostile(func(r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/export") {
			r.URL.Path += "-not-recorded"
		}
	}, nil)
	for _, row := range []struct {
		name  string
		d     desk.Desk
		teams []string
		label string
		want  error // nil: any error
	}{
		{"unknown name", honest, teams, "mallory", desk.ErrNoColleague},
		{"empty name", honest, teams, "", desk.ErrNoColleague},
		{"only on the roster of a team the case is not routed to", honest, teams, "ula", desk.ErrNoColleague},
		{"another team's roster as this team's", e.desk(otherTeam.url, "omar", omar), teams, "handler-0", nil},
		{"the audit entry not recorded", e.desk(noAudit.url, "omar", omar), teams, "handler-1", nil},
	} {
		var out bytes.Buffer
		_, err := row.d.SealPaper(ctx, ref, row.teams, row.label, page, &out)
		if err == nil || (row.want != nil && !errors.Is(err, row.want)) {
			t.Errorf("%s: %v, want %v", row.name, err, row.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: %d bytes written", row.name, out.Len())
		}
	}
	if n := audited(); n != 1 {
		t.Errorf("%d exports recorded after the refusals, want 1", n)
	}

	// A custodian gives two keys one name: refused, not a guess.
	r := roster.Roster{Team: "reprisals-team", Version: 2, Entries: []roster.Entry{
		{Recipient: omar.Recipient().String(), Label: "omar"},
		{Recipient: nadia.Recipient().String(), Label: "nadia"},
		{Recipient: ula.Recipient().String(), Label: "nadia"},
	}}
	s, err := roster.Sign(r, e.rosterKeys["reprisals-team"])
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PublishRoster(ctx, "reprisals-team", 2, s, e.cases.OperatorAudit("test", "roster.publish", "reprisals-team")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := e.desk(e.url, "omar", omar).SealPaper(ctx, ref, teams, "nadia", page, &out); !errors.Is(err, desk.ErrColleagueTwice) || out.Len() != 0 {
		t.Errorf("a name given to two keys: %v, %d bytes written", err, out.Len())
	}
}
