// Package store is the service's only access to PostgreSQL: every SQL
// statement the service runs is in this package, with a context on every
// call.
//
// Errors are sorted into a few kinds callers act on: ErrUnavailable (the
// database cannot be reached or timed out: the caller tells the user
// "not saved, try again"), ErrNotFound, ErrDuplicate and ErrInvalidInput
// (PostgreSQL refused a value as text it cannot hold, such as a NUL
// character: the client sent it, so it is the client's error, never a
// 500; callers check their input first, this is the backstop). The
// wrapped error
// names the call but never a report field or a secret.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ohchr-reprisals/intake/migrations"
)

// Error kinds.
var (
	ErrUnavailable = errors.New("database unavailable")
	ErrNotFound    = errors.New("not found")
	ErrDuplicate   = errors.New("duplicate")
	// ErrInvalidInput: PostgreSQL refused a value (bytes that are not
	// UTF-8, a NUL character, text that is not a valid value of its type,
	// text too long for its column). The wrapped error carries only the
	// SQLSTATE, never the value.
	ErrInvalidInput = errors.New("invalid input")
)

// DB is a pool of connections to the service's database. Inside InTx it
// is a transaction: the methods that say so run in it.
type DB struct {
	pool *pgxpool.Pool
	tx   pgx.Tx // set inside InTx
}

// queryer is what a pool and a transaction have in common.
type queryer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// q is the transaction inside InTx, and otherwise the pool.
func (db *DB) q() queryer {
	if db.tx != nil {
		return db.tx
	}
	return db.pool
}

// InTx runs fn in one transaction, holding one connection until it
// returns: committed if fn returns nil, rolled back otherwise (also when
// ctx ends, even after fn). Only the unexported helpers of this package
// use the DB given to fn; fn must be short: never wait for a client in it.
func (db *DB) InTx(ctx context.Context, fn func(tx *DB) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store.InTx: %w", classify(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&DB{pool: db.pool, tx: tx}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		// Too late: whoever waits for the answer may no longer get it.
		return fmt.Errorf("store.InTx: %w", classify(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store.InTx: %w", classify(err))
	}
	return nil
}

// MaxConns is the most connections the pool opens.
func (db *DB) MaxConns() int { return int(db.pool.Config().MaxConns) }

// Open creates a connection pool of at most maxConns connections, with
// PostgreSQL's own timeouts (none): for admin commands. The server opens
// its pool with OpenPool and the configured timeouts.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	return OpenPool(ctx, url, Pool{MaxConns: maxConns})
}

// Pool says how the connection pool is made. Each timeout is set on every
// connection as a runtime parameter, so that it holds for every statement
// of every route, whoever forgets it; zero leaves PostgreSQL's default
// (no limit).
type Pool struct {
	MaxConns int32
	// LockTimeout bounds how long a statement waits for a lock
	// (lock_timeout): no client can make another request wait on a row
	// it holds for longer than this.
	LockTimeout time.Duration
	// StatementTimeout bounds each statement (statement_timeout).
	StatementTimeout time.Duration
	// IdleInTxTimeout ends a session whose transaction stays idle this
	// long (idle_in_transaction_session_timeout), releasing its locks.
	IdleInTxTimeout time.Duration
}

// OpenPool creates a connection pool. Connections are made lazily: an
// unreachable database is reported by the first query (as ErrUnavailable),
// so the service starts and answers "try again" rather than not at all.
func OpenPool(ctx context.Context, url string, p Pool) (*DB, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included.
		return nil, errors.New("store.Open: the database URL is not valid")
	}
	pc.MaxConns = p.MaxConns
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	pc.ConnConfig.RuntimeParams["application_name"] = "reprisals"
	for name, d := range map[string]time.Duration{
		"lock_timeout": p.LockTimeout, "statement_timeout": p.StatementTimeout,
		"idle_in_transaction_session_timeout": p.IdleInTxTimeout,
	} {
		if d > 0 {
			pc.ConnConfig.RuntimeParams[name] = strconv.FormatInt(max(1, d.Milliseconds()), 10)
		}
	}
	pc.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store.Open: %w", classify(err))
	}
	return &DB{pool: pool}, nil
}

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }

// Pool exposes the pool to tests and to the migration command.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store.Ping: %w", classify(err))
	}
	return nil
}

// classify maps a pgx error to ErrUnavailable, ErrDuplicate,
// ErrInvalidInput or itself.
func classify(err error) error {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		// Whatever the server said while refusing the connection.
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.As(err, &pe):
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w (%s)", ErrDuplicate, pe.ConstraintName)
		case "57P01", "57P02", "57P03", "53300", "08000", "08003", "08006", "08001", "08004", "3D000",
			"55P03", "57014", "25P03", "40001", "40P01":
			// admin shutdown, crash shutdown, cannot connect now, too many
			// connections, connection failures, database does not exist;
			// a lock or statement timeout (lock_timeout, statement_timeout,
			// a cancelled query), an idle transaction ended, a
			// serialisation failure or deadlock: the database could not
			// do it in time, nothing was stored, try again
			return fmt.Errorf("%w: %s", ErrUnavailable, pe.Code)
		case "22021", "22P05", "22P02", "22001", "22026":
			// character not in repertoire (NUL, bytes that are not
			// UTF-8), untranslatable character, invalid text
			// representation, string too long, string length mismatch.
			// PostgreSQL's message can quote the value: keep the code only.
			return fmt.Errorf("%w: %s", ErrInvalidInput, pe.Code)
		}
		return err
	case errors.As(err, &ne), pgconn.Timeout(err),
		errors.Is(err, context.DeadlineExceeded), pgconn.SafeToRetry(err):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}

// NewReport is a sealed report ready to be stored.
type NewReport struct {
	Reference      string
	ReceiptHash    []byte
	ReplyRecipient string
	Teams          []string
	Urgency        string // "" when not yet assessed
	ReceivedOn     time.Time
	SizeBucket     int
	Channel        string
	Ciphertext     []byte
	// SubmissionKey, if set, makes the insert idempotent: a second report
	// with the same key is not stored, and InsertReport returns an
	// *AlreadyStoredError naming the first.
	SubmissionKey []byte
	// SubmissionCheck, if set with SubmissionKey, is kept with the report
	// and returned in the *AlreadyStoredError of a later insert with the
	// same key, so that the caller can tell a repeat of the same request
	// from another request that reuses its key.
	SubmissionCheck []byte
}

// AlreadyStoredError is a report whose submission key was used before:
// the same form was sent twice. It names the report that was stored.
//
// Check is the SubmissionCheck stored with that report (nil if none).
type AlreadyStoredError struct {
	ID, Reference string
	Check         []byte
}

func (e *AlreadyStoredError) Error() string { return "store: this report was already stored" }

// NewAlert is an alert to enqueue with a report: one per routed team.
type NewAlert struct {
	Team   string
	Urgent bool
	// DueAt is nil to send at once, or a digest boundary.
	DueAt *time.Time
}

// alertColumns splits alerts into the arrays that statements unnest.
func alertColumns(alerts []NewAlert) (teams []string, urgent []bool, due []*time.Time) {
	for _, a := range alerts {
		teams, urgent, due = append(teams, a.Team), append(urgent, a.Urgent), append(due, a.DueAt)
	}
	return teams, urgent, due
}

// enqueueAlerts is the one way alerts are enqueued, as the tail of a
// statement whose WITH clause has a CTE named src yielding report_id (the
// report just stored, or the case that got new information). $n is the
// notification channel and $n+1..$n+3 the arrays from alertColumns. The
// notification wakes the workers at commit. A team that already has an
// alert of this kind waiting for the case gets no second one.
func enqueueAlerts(kind string, n int) string {
	return fmt.Sprintf(`, wake AS (
			SELECT pg_notify($%d, '')
		)
		INSERT INTO alerts (report_id, team, urgent, due_at, kind)
		SELECT src.report_id, a.team, a.urgent, a.due_at, '%s'
		FROM src, wake, unnest($%d::text[], $%d::boolean[], $%d::timestamptz[]) AS a(team, urgent, due_at)
		ON CONFLICT (report_id, team, kind) DO NOTHING`, n, kind, n+1, n+2, n+3)
}

// AlertChannel is the PostgreSQL notification channel that wakes the alert
// workers when a report commits.
const AlertChannel = "reprisals_alerts"

// InsertReport stores a report and its alerts (at least one) in one
// statement: if the report is committed, its alerts exist, and if not,
// neither does. A clash on reference or receipt hash is ErrDuplicate; a
// submission key already used is an *AlreadyStoredError (the unique
// constraint decides, in the same statement, so concurrent sends of one
// form store one report); a key whose report is still arriving
// (ClaimSubmission) is ErrInFlight, answered at once.
func (db *DB) InsertReport(ctx context.Context, r NewReport, alerts []NewAlert) (id string, err error) {
	return db.insertReport(ctx, r, alerts, "")
}

// insertReport is InsertReport, for the holder of claim ("" for none) on
// the report's submission key: while another live claim holds the key
// (its report is still arriving), nothing is stored and ErrInFlight is
// returned, at once.
func (db *DB) insertReport(ctx context.Context, r NewReport, alerts []NewAlert, claim string) (id string, err error) {
	var urgency *string
	if r.Urgency != "" {
		urgency = &r.Urgency
	}
	if len(alerts) == 0 {
		return "", fmt.Errorf("store.InsertReport(%s): a report needs at least one alert", r.Reference)
	}
	teams, urgent, due := alertColumns(alerts)
	// One statement, so one round trip and atomic without an explicit
	// transaction; the notification is delivered at commit.
	err = db.q().QueryRow(ctx, `
		WITH src AS (
			INSERT INTO reports (reference, receipt_hash, reply_recipient, teams, urgency,
			                     received_on, size_bucket, channel, ciphertext, submission_key, submission_check)
			SELECT $1::text, $2::bytea, $3::text, $4::text[], $5::text, $6::date, $7::integer, $8::text, $9::bytea, $14::bytea, $16::bytea
			WHERE NOT EXISTS (SELECT 1 FROM submission_claims c WHERE c.submission_key = $14::bytea
			                  AND c.expires_at > now() AND c.claim::text <> $15::text)
			ON CONFLICT (submission_key) DO NOTHING
			RETURNING id AS report_id
		)`+enqueueAlerts("report", 10)+`
		RETURNING report_id`,
		r.Reference, r.ReceiptHash, r.ReplyRecipient, r.Teams, urgency,
		pgDate(r.ReceivedOn), r.SizeBucket, r.Channel, r.Ciphertext,
		AlertChannel, teams, urgent, due, r.SubmissionKey, claim, r.SubmissionCheck).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) && r.SubmissionKey != nil {
		// Nothing inserted: the key is taken, by a committed report, or
		// claimed by a report still arriving.
		dup := &AlreadyStoredError{}
		err = db.q().QueryRow(ctx, `SELECT id, reference, submission_check FROM reports WHERE submission_key = $1`, r.SubmissionKey).Scan(&dup.ID, &dup.Reference, &dup.Check)
		if err == nil {
			return "", dup
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return "", ErrInFlight
		}
	}
	if err != nil {
		return "", fmt.Errorf("store.InsertReport(%s): %w", r.Reference, classify(err))
	}
	return id, nil
}

// pgDate keeps only the UTC calendar day.
func pgDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Report is a stored report: clear metadata and ciphertext.
type Report struct {
	Reference  string
	Teams      []string
	Status     string
	Urgency    string
	ReceivedOn time.Time
	SizeBucket int
	Channel    string
	Ciphertext []byte
}

// ReportByReference returns the report with the given public reference.
func (db *DB) ReportByReference(ctx context.Context, ref string) (Report, error) {
	var r Report
	var urgency *string
	err := db.pool.QueryRow(ctx, `
		SELECT reference, teams, status, urgency, received_on, size_bucket, channel, ciphertext
		FROM reports WHERE reference = $1`, ref).
		Scan(&r.Reference, &r.Teams, &r.Status, &urgency, &r.ReceivedOn, &r.SizeBucket, &r.Channel, &r.Ciphertext)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("store.ReportByReference(%s): %w", ref, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store.ReportByReference(%s): %w", ref, classify(err))
	}
	if urgency != nil {
		r.Urgency = *urgency
	}
	return r, nil
}

// Size returns the database's size on disk in bytes (pg_database_size:
// tables, indexes and attachment chunks; not the WAL or backups).
func (db *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.Size: %w", classify(err))
	}
	return n, nil
}

// CountReports returns the number of stored reports.
func (db *DB) CountReports(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.CountReports: %w", classify(err))
	}
	return n, nil
}

// ErrSchemaOutdated is a database whose schema is not the one this binary
// was built for.
var ErrSchemaOutdated = errors.New("the database schema is not current")

// Ready reports whether the database answers and its schema is current:
// the service's readiness.
func (db *DB) Ready(ctx context.Context) error {
	v, err := migrations.Version(ctx, db.pool)
	if err != nil {
		return fmt.Errorf("store.Ready: %w", classify(errors.Unwrap(err)))
	}
	if v != migrations.Latest() {
		return fmt.Errorf("store.Ready: %w (at %d, want %d)", ErrSchemaOutdated, v, migrations.Latest())
	}
	return nil
}
