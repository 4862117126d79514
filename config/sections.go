// The sections for the database, reporters, attachments, handlers,
// retention and metrics.

package config

// Retention says when cases are deleted for good.
type Retention struct {
	// Days maps a workflow status to the number of days after which a case
	// that has stayed in it is purged, such as closed = 730. Statuses not
	// listed, and 0, keep cases forever.
	Days map[string]int `toml:"days"`
	// AbandonedUploadHours is how long an unfinished upload is kept.
	AbandonedUploadHours int `toml:"abandoned_upload_hours"`
	// Interval is how often the server applies the policy.
	Interval Duration `toml:"interval"`
}

// Attachments bounds reporters' files.
type Attachments struct {
	// MaxFiles is the most files one case may have.
	MaxFiles int `toml:"max_files"`
	// MaxFileBytes is the largest file accepted, in bytes.
	MaxFileBytes int64 `toml:"max_file_bytes"`
	// MaxConcurrentUploads is how many uploads may run at once.
	MaxConcurrentUploads int `toml:"max_concurrent_uploads"`
	// MinUploadRate is the slowest an upload may be, in bytes per second
	// averaged over each UploadRateWindow.
	MinUploadRate int64 `toml:"min_upload_rate"`
	// UploadRateWindow is the period over which MinUploadRate is measured,
	// and the longest an upload may send nothing.
	UploadRateWindow Duration `toml:"upload_rate_window"`
	// MaxUploadTime is the longest one upload request may take.
	MaxUploadTime Duration `toml:"max_upload_time"`
	// SpoolBytes bounds the bytes of uploads still arriving (files sent
	// with a report and follow-up files, encrypted, staged in the
	// database until their request ends), per server process. An upload
	// that would pass it is refused with 503 and Retry-After.
	SpoolBytes int64 `toml:"spool_bytes"`
}

// Handlers configures case handlers' sessions and the case workflow.
type Handlers struct {
	// SessionTTL is how long a login lasts.
	SessionTTL Duration `toml:"session_ttl"`
	// ChallengeTTL is how long a login challenge may be answered.
	ChallengeTTL Duration `toml:"challenge_ttl"`
	// StatusNames renames workflow statuses for display, by key (such as
	// raised_with_state = "Raised with the Government").
	StatusNames map[string]string `toml:"status_names"`
	// InboxPageBytes bounds the ciphertext on one page of the handler
	// API's inbox (GET /api/v1/handler/inbox); base64 in JSON makes the
	// page about 4/3 as large, well under the client's 64 MiB limit.
	InboxPageBytes int64 `toml:"inbox_page_bytes"`
}

// Page bounds of the handler API, owned here and nowhere else: the case
// list (GET /api/v1/handler/cases) shows CasesPerPage cases unless the
// client asks for up to MaxCasesPerPage; the inbox (GET
// /api/v1/handler/inbox) at most MaxInboxCases, and by default as many
// (handlers.inbox_page_bytes bounds it by bytes as well).
const (
	CasesPerPage    = 50
	MaxCasesPerPage = 100
	MaxInboxCases   = 500
	// MaxFeedNotes bounds a page of the notes feed (GET
	// /api/v1/handler/notes), by default as many; handlers.inbox_page_bytes
	// bounds it by bytes as well.
	MaxFeedNotes = 5000
)

// Bounds of handlers.inbox_page_bytes: at least a large report, and at
// most what, base64-encoded with a full page of cases, stays well under
// the client's 64 MiB response limit.
const (
	MinInboxPageBytes = 1 << 20
	MaxInboxPageBytes = 32 << 20
)

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen is a separate host:port serving /metrics; empty disables it.
	Listen string `toml:"listen" env:"REPRISALS_METRICS_LISTEN"`
}

// Database configures PostgreSQL.
type Database struct {
	// URL is a PostgreSQL connection string. Prefer DATABASE_URL or url_file.
	URL     Secret `toml:"url" env:"DATABASE_URL"`
	URLFile string `toml:"url_file" env:"DATABASE_URL_FILE"`
	// MaxConns bounds the connection pool.
	MaxConns int32 `toml:"max_conns" env:"REPRISALS_DATABASE_MAX_CONNS"`
	// LockTimeout is the longest any statement waits for a lock
	// (PostgreSQL's lock_timeout, set on every connection): no request can
	// make another wait longer than this on a row it holds.
	LockTimeout Duration `toml:"lock_timeout"`
	// StatementTimeout is the longest any statement may run
	// (statement_timeout).
	StatementTimeout Duration `toml:"statement_timeout"`
	// IdleInTransactionTimeout ends a session whose transaction has been
	// idle this long (idle_in_transaction_session_timeout), so that a
	// stuck request cannot keep its locks.
	IdleInTransactionTimeout Duration `toml:"idle_in_transaction_timeout"`
}

// Reporters configure what the reporter pages say.
type Reporters struct {
	// AcknowledgeDays is how many working days the teams usually take to
	// acknowledge a report, as the form and the confirmation say.
	AcknowledgeDays int `toml:"acknowledge_days"`
	// AnswerDeadline bounds the work of storing a report, from the moment
	// its last byte has arrived: a report that could not be committed by
	// then is rolled back and the reporter told to send again, so that no
	// report is stored whose answer (the receipt) could no longer reach
	// its reporter. It must be well under the connection's write timeout
	// (2 minutes).
	AnswerDeadline Duration `toml:"answer_deadline"`
}
