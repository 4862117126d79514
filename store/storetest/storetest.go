// Package storetest gives each test its own real PostgreSQL database.
//
// A test binary calls Main from TestMain: it starts one throwaway cluster
// (package pgtemp) for the whole binary, or, when DATABASE_URL is set, uses
// that server as an administrator, and prepares a template database with
// every migration applied. NewDB then clones the template for one test in
// a few milliseconds, and drops it when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/migrations"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/pgtemp"
)

var (
	cluster  *pgtemp.Cluster
	adminURL string // connection to an administrative database
	template string // name of the migrated template database
	createMu sync.Mutex
)

// Main prepares PostgreSQL, runs the tests and stops PostgreSQL. Without
// PostgreSQL it fails the whole binary with a message naming what to
// install: tests never skip for want of a database.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx := context.Background()
	if u := os.Getenv("DATABASE_URL"); u != "" {
		adminURL = u
	} else {
		c, err := pgtemp.Start(ctx, pgtemp.Options{MaxConnections: 300})
		if err != nil {
			return 0, fmt.Errorf("%w\nThe tests need PostgreSQL: install the server binaries ('apt-get install -y postgresql') or set DATABASE_URL to a server where this user may create databases", err)
		}
		defer c.Stop()
		cluster = c
		adminURL = c.URL("postgres")
	}
	template = "reprisals_tmpl_" + strings.ToLower(rand.Text()[:10])
	if err := adminExec(ctx, "CREATE DATABASE "+template); err != nil {
		return 0, err
	}
	defer adminExec(context.Background(), "DROP DATABASE IF EXISTS "+template+" WITH (FORCE)")
	conn, err := pgx.Connect(ctx, urlFor(template))
	if err != nil {
		return 0, fmt.Errorf("connecting to the template database: %w", err)
	}
	_, err = migrations.Migrate(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		return 0, err
	}
	return m.Run(), nil
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// urlFor returns adminURL pointing at database name.
func urlFor(name string) string {
	if u, err := url.Parse(adminURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return adminURL + " dbname=" + name
}

// DB is one test's database.
type DB struct {
	*store.DB
	Name string
	URL  string
}

// NewDB returns a new database with every migration applied, dropped when
// the test ends.
func NewDB(t testing.TB) *DB {
	t.Helper()
	return newDB(t, template)
}

// NewEmptyDB returns a new database with no tables at all.
func NewEmptyDB(t testing.TB) *DB {
	t.Helper()
	return newDB(t, "template0")
}

func newDB(t testing.TB, from string) *DB {
	if adminURL == "" {
		t.Fatal("storetest: the test binary has no TestMain calling storetest.Main")
	}
	ctx := context.Background()
	name := "reprisals_test_" + strings.ToLower(rand.Text()[:12])
	createMu.Lock()
	err := adminExec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, from))
	createMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	url := urlFor(name)
	db, err := store.OpenPool(ctx, url, Pool(8))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if err := adminExec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	return &DB{DB: db, Name: name, URL: url}
}

// Pool is the server's pool settings (the configuration's default
// timeouts) with maxConns connections: tests run every statement under
// the timeouts the service runs with.
func Pool(maxConns int32) store.Pool {
	d := config.Default().Database
	return store.Pool{MaxConns: maxConns, LockTimeout: d.LockTimeout.Duration,
		StatementTimeout: d.StatementTimeout.Duration, IdleInTxTimeout: d.IdleInTransactionTimeout.Duration}
}

// SetReachable makes the database refuse (false) or accept (true) new
// connections, ending existing ones when refusing: from the service's point
// of view, the database goes down and comes back.
func (d *DB) SetReachable(t testing.TB, up bool) {
	t.Helper()
	ctx := context.Background()
	if err := adminExec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", d.Name, up)); err != nil {
		t.Fatal(err)
	}
	if !up {
		if err := adminExec(ctx, fmt.Sprintf(
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'", d.Name)); err != nil {
			t.Fatal(err)
		}
	}
}

// Dump returns a full pg_dump of the database, schema and data, as text.
func (d *DB) Dump(t testing.TB) []byte {
	t.Helper()
	bin := "pg_dump"
	if cluster != nil {
		bin = filepath.Join(cluster.BinDir, "pg_dump")
	}
	out, err := exec.Command(bin, "--no-owner", "-d", d.URL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

// DataDir returns the cluster's directory (data files and WAL), or "" when
// the tests run against DATABASE_URL.
func DataDir() string {
	if cluster == nil {
		return ""
	}
	return cluster.SocketDir()
}

// NewDurableDB starts a separate PostgreSQL cluster with fsync and
// synchronous commit on, as in production, and returns its migrated
// database, for benchmarks: the shared test cluster turns durability off
// for speed, which makes every commit unrealistically cheap.
func NewDurableDB(tb testing.TB) *DB {
	tb.Helper()
	ctx := context.Background()
	c, err := pgtemp.Start(ctx, pgtemp.Options{Durable: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Stop() })
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	_, err = migrations.Migrate(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.OpenPool(ctx, c.URL("postgres"), Pool(10))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return &DB{DB: db, Name: "postgres", URL: c.URL("postgres")}
}
