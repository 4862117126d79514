package desk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
)

// TestRostersConcurrent checks that Rosters, used from many goroutines
// (as the console does), asks the handler once about a new roster and
// gives everyone its verified recipients; and that it refuses a team
// nobody pinned without asking the server.
func TestRostersConcurrent(t *testing.T) {
	key, _ := roster.GenerateKey()
	id, _ := age.GenerateX25519Identity()
	signed, err := roster.Sign(roster.Roster{Team: "reprisals-team", Version: 1,
		Entries: []roster.Entry{{Recipient: id.Recipient().String(), Label: "amal"}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(signed)
	}))
	defer srv.Close()
	api, _ := handlerapi.New(srv.URL, nil)
	pinsPath := filepath.Join(t.TempDir(), "pins.json")
	pins, _ := roster.LoadPins(pinsPath)
	pins.Pin("reprisals-team", key.Public())
	if err := pins.Save(pinsPath); err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	rs := &desk.Rosters{API: api, PinsPath: pinsPath, Confirm: func(string) bool { asked.Add(1); return true }}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			recs, err := rs.Team(context.Background(), "reprisals-team")
			if err != nil || len(recs) != 1 || recs[0].String() != id.Recipient().String() {
				t.Errorf("Team: %v, %v", recs, err)
			}
		})
	}
	wg.Wait()
	if asked.Load() != 1 || fetches.Load() != 1 {
		t.Errorf("asked %d times, fetched %d times; want 1 and 1", asked.Load(), fetches.Load())
	}
	if _, err := rs.Team(context.Background(), "upr-secretariat"); err == nil || fetches.Load() != 1 {
		t.Errorf("an unpinned team: %v (fetches %d)", err, fetches.Load())
	}
}
