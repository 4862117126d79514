package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestSpendChallengeRefusesExpiredAndKeepsSpentRows: the spend statement
// itself refuses a challenge the database's clock says has expired (so an
// application clock that runs behind cannot let one through), and a spent
// challenge's row is kept for an hour past its expiry, so that no skew
// between the clocks of the service and the database short of an hour
// lets a spent challenge be answered again.
func TestSpendChallengeRefusesExpiredAndKeepsSpentRows(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	id := func(s string) []byte { return []byte(fmt.Sprintf("%-24s", s)) }
	var dbNow time.Time
	if err := conn.QueryRow(ctx, `SELECT now()`).Scan(&dbNow); err != nil {
		t.Fatal(err)
	}

	if err := db.SpendChallenge(ctx, id("expired-challenge"), dbNow.Add(-10*time.Second)); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("spending a challenge expired by the database's clock: err = %v, want ErrDuplicate", err)
	}

	// A challenge spent and expired half an hour ago (by the database's
	// clock) must still be on record after another spend sweeps.
	if _, err := conn.Exec(ctx, `INSERT INTO spent_challenges (id, expires_at) VALUES ($1, now() - interval '30 minutes')`, id("old-spent")); err != nil {
		t.Fatal(err)
	}
	if err := db.SpendChallenge(ctx, id("fresh"), dbNow.Add(time.Minute)); err != nil {
		t.Fatalf("spending a live challenge: %v", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM spent_challenges WHERE id = $1`, id("old-spent")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Error("a challenge spent and expired 30 minutes ago was deleted: a service clock that runs behind could replay it")
	}
	if err := db.SpendChallenge(ctx, id("fresh"), dbNow.Add(time.Minute)); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("spending a challenge twice: err = %v, want ErrDuplicate", err)
	}
	// Rows more than an hour past expiry are swept.
	if _, err := conn.Exec(ctx, `INSERT INTO spent_challenges (id, expires_at) VALUES ($1, now() - interval '2 hours')`, id("ancient")); err != nil {
		t.Fatal(err)
	}
	if err := db.SpendChallenge(ctx, id("fresh-2"), dbNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM spent_challenges WHERE id = $1`, id("ancient")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("a spent challenge two hours past expiry was not swept")
	}
}
