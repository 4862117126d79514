// Package migrations holds the database schema as numbered SQL files
// (NNN_name.sql), embedded in the binary, and applies them.
//
// Migrate is run explicitly ('reprisals migrate', and by 'reprisals dev').
// Each file runs in its own transaction together with the row that records
// it, so a failed migration leaves nothing behind. A session-level advisory
// lock serialises concurrent runs, and re-running is a no-op.
//
// This is about seventy lines instead of a migration library on purpose:
// the service's dependency tree is part of its attack surface.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
)

//go:embed *.sql
var files embed.FS

// lockID is the advisory lock key that serialises migration runs.
const lockID = 7_294_117_001

var fileName = regexp.MustCompile(`^(\d{3})_[a-z0-9_]+\.sql$`)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// All returns the embedded migrations in order. It fails on a malformed
// name, a duplicate number or a gap.
func All() ([]Migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations: bad file name %q (want NNN_name.sql)", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		sql, err := fs.ReadFile(files, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(sql)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: expected version %d, found %s", i+1, m.Name)
		}
	}
	return ms, nil
}

// Migrate applies every migration not yet applied and returns the names of
// those it applied.
func Migrate(ctx context.Context, conn *pgx.Conn) (applied []string, err error) {
	ms, err := All()
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return nil, fmt.Errorf("migrations: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID)

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	current, err := Version(ctx, conn)
	if err != nil {
		return nil, err
	}
	for _, m := range ms[min(current, len(ms)):] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrations: %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	return applied, nil
}

// Querier is what Version needs: a *pgx.Conn, *pgxpool.Pool or pgx.Tx.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Version returns the highest applied migration, 0 for an empty database.
func Version(ctx context.Context, q Querier) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("migrations: reading version: %w", err)
	}
	return v, nil
}

// Latest returns the version the embedded migrations bring a database to.
func Latest() int {
	ms, err := All()
	if err != nil {
		return -1
	}
	return len(ms)
}
