package migrations_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/migrations"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestMigrateFromEmptyThenNoOp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.NewEmptyDB(t)
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := migrations.Migrate(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(all) || len(all) == 0 {
		t.Fatalf("applied %v, want all %d migrations", applied, len(all))
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM reports").Scan(&n); err != nil || n != 0 {
		t.Fatalf("reports table after migration: n=%d err=%v", n, err)
	}

	again, err := migrations.Migrate(ctx, conn)
	if err != nil || len(again) != 0 {
		t.Fatalf("re-run applied %v (err %v), want nothing", again, err)
	}
	v, err := migrations.Version(ctx, conn)
	if err != nil || v != migrations.Latest() {
		t.Fatalf("Version = %d, %v; want %d", v, err, migrations.Latest())
	}
}

func TestMigrateConcurrentRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.NewEmptyDB(t)
	const runners = 4
	var wg sync.WaitGroup
	results := make([][]string, runners)
	errs := make([]error, runners)
	for i := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, db.URL)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close(ctx)
			results[i], errs[i] = migrations.Migrate(ctx, conn)
		}()
	}
	wg.Wait()
	total := 0
	for i := range runners {
		if errs[i] != nil {
			t.Fatalf("runner %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	if total != migrations.Latest() {
		t.Fatalf("runners applied %d migrations in all, want exactly %d (each once): %v", total, migrations.Latest(), results)
	}
	var rows int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil || rows != migrations.Latest() {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", rows, err, migrations.Latest())
	}
}

func TestAllIsNumberedWithoutGaps(t *testing.T) {
	t.Parallel()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range all {
		if m.Version != i+1 || m.SQL == "" {
			t.Errorf("migration %d: version %d, %d bytes of SQL", i, m.Version, len(m.SQL))
		}
	}
}
