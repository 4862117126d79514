package desk_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// TestLogin: a login against the real server gives the session with the
// handler's own public key recorded (what CheckTeamOfMine checks notes
// against); a wrong identity gives none.
func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	other, _ := age.GenerateX25519Identity()
	for _, tc := range []struct {
		name string
		ids  []age.Identity
		ok   bool
	}{
		{name: "own identity", ids: []age.Identity{omar}, ok: true},
		{name: "own identity among others", ids: []age.Identity{other, omar}, ok: true},
		{name: "another identity", ids: []age.Identity{other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, err := handlerapi.New(e.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := desk.Login(context.Background(), api, "omar", tc.ids)
			if !tc.ok {
				if err == nil || s.Token != "" {
					t.Fatalf("logged in with another identity: %+v", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Handler != "omar" || s.Team != "reprisals-team" || s.Server != api.Origin() || s.Token == "" || !s.ExpiresAt.After(time.Now()) {
				t.Errorf("session %+v", s)
			}
			if want := desk.OwnRecipients(tc.ids); !slices.Equal(s.Recipients, want) || !slices.Contains(want, omar.Recipient().String()) {
				t.Errorf("recipients %v, want %v", s.Recipients, want)
			}
		})
	}
}
