package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/internal/proxyproto"
	"github.com/ohchr-reprisals/intake/migrations"
	"github.com/ohchr-reprisals/intake/notify"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
)

// loadConfig reads the configuration named by -config or REPRISALS_CONFIG.
func loadConfig(fs *flag.FlagSet, args []string) (config.Config, error) {
	path := fs.String("config", os.Getenv("REPRISALS_CONFIG"), "configuration file (TOML)")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	return config.Load(*path, os.Getenv)
}

// loadForDatabase is loadConfig plus validation, for the commands that
// work on the database: it also requires the database URL.
func loadForDatabase(fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.Database.URL == "" {
		return cfg, errors.New("database.url: not set: set DATABASE_URL or database.url_file")
	}
	return cfg, nil
}

func cmdServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	fs.Usage = flagUsage(fs, "reprisals serve [-config FILE]", "Runs the service. The configuration file may also be named by REPRISALS_CONFIG.")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if err := requireRuntimeSecrets(cfg); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, logger, nil)
}

// requireRuntimeSecrets checks the settings serve needs beyond Validate.
func requireRuntimeSecrets(cfg config.Config) error {
	var errs []error
	if cfg.Database.URL == "" {
		errs = append(errs, errors.New("database.url: not set: set DATABASE_URL or database.url_file"))
	}
	if cfg.SMTP.Host == "" {
		errs = append(errs, errors.New("smtp.host: not set: alerts to the teams need a mail relay (REPRISALS_SMTP_HOST)"))
	}
	if len(cfg.ReceiptKey()) == 0 {
		errs = append(errs, errors.New("receipts.key_file: not set: generate one with 'reprisals keygen -receipt-key -o FILE' and set receipts.key_file or REPRISALS_RECEIPT_KEY_FILE"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration:\n%w", errors.Join(errs...))
	}
	return nil
}

// serve runs the HTTP server until ctx is done, then shuts down gracefully.
// ready, if not nil, is called once the listener is up.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, ready func()) error {
	d := cfg.Database
	db, err := store.OpenPool(ctx, d.URL.Reveal(), store.Pool{MaxConns: d.MaxConns, LockTimeout: d.LockTimeout.Duration,
		StatementTimeout: d.StatementTimeout.Duration, IdleInTxTimeout: d.IdleInTransactionTimeout.Duration})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db); err != nil {
		if !errors.Is(err, store.ErrUnavailable) {
			return err
		}
		logger.Warn("database not reachable at start-up; reports will be refused with 'not saved, try again' until it is", "err", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		databaseSize(db), rosterExpiry(db))
	warnRosterExpiry(ctx, db, logger)
	var proxies []netip.Prefix
	for _, p := range cfg.TrustedProxies {
		proxies = append(proxies, netip.MustParsePrefix(p)) // validated
	}
	svc := intake.NewService(db, cfg, nil)
	// Closed when a graceful stop's grace period is over: uploads still
	// running are ended cleanly (see server.Options.EndUploads).
	endUploads := make(chan struct{})
	cases, err := casework.NewService(db, cfg)
	if err != nil {
		return err
	}
	a := cfg.Attachments
	e, err := server.New(svc, cases, logger, server.Options{
		HTTPS: strings.HasPrefix(cfg.PublicURL, "https://"), OnionURL: cfg.OnionURL, QuickExitURL: cfg.QuickExitURL,
		Attach: intake.AttachLimits{MaxFiles: cfg.Attachments.MaxFiles, MaxFileBytes: cfg.Attachments.MaxFileBytes,
			AbandonAfter: time.Duration(cfg.Retention.AbandonedUploadHours) * time.Hour},
		Uploads: server.UploadLimits{MaxConcurrent: a.MaxConcurrentUploads, MinRate: a.MinUploadRate,
			Window: a.UploadRateWindow.Duration, MaxDuration: a.MaxUploadTime.Duration},
		EndUploads:     endUploads,
		TrustedProxies: proxies, Ready: db.Ready, Metrics: reg, Intermediaries: intermediary.New(db, cfg),
		AcknowledgeDays: cfg.Reporters.AcknowledgeDays, AnswerDeadline: cfg.Reporters.AnswerDeadline.Duration,
	})
	if err != nil {
		return err
	}
	worker, err := notify.NewWorker(db, cfg, logger, notify.NewMetrics(reg))
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		// net/http's own error log names client addresses: drop it.
		ErrorLog: log.New(io.Discard, "", 0),
		// Connections from the onion listener carry their Tor circuit.
		ConnContext: proxyproto.WithConn,
	}
	errc := make(chan error, 3)
	if cfg.TLSCertFile != "" {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile) }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	logger.Info("listening", "addr", ln.Addr().String(), "tls", cfg.TLSCertFile != "")
	if cfg.OnionListen != "" {
		oln, err := net.Listen("tcp", cfg.OnionListen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("onion_listen: %w", err)
		}
		// Plain HTTP from the local tor, each connection after its PROXY
		// header; srv.Shutdown closes this listener too.
		go func() { errc <- srv.Serve(proxyproto.Listener{Listener: oln}) }()
		logger.Info("onion listener (PROXY protocol, Tor circuit ids)", "addr", oln.Addr().String())
	}

	var metricsSrv *http.Server
	if cfg.Metrics.Listen != "" {
		mln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("metrics.listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		go func() { errc <- metricsSrv.Serve(mln) }()
		logger.Info("metrics listening", "addr", mln.Addr().String())
	}

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() { worker.Run(workerCtx); close(workerDone) }()
	go sweepUploads(workerCtx, svc, logger)
	go applyRetention(workerCtx, cases, cfg.Retention, logger)
	logger.Info("alert worker started", "relay", cfg.SMTP.Addr(), "tls", cfg.SMTP.TLS)
	if ready != nil {
		ready()
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	// Let requests under way finish for the grace period (their reports'
	// alerts are committed with them); then end the uploads still running
	// cleanly (the unfinished file deleted, the sender told to retry) and
	// give them a little longer to answer. Then let the worker finish what
	// it is sending. The database pool closes last (deferred above), once
	// nothing uses it.
	grace := cfg.ShutdownGrace.Duration
	logger.Info("shutting down", "grace", grace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace+15*time.Second)
	defer cancel()
	endTimer := time.AfterFunc(grace, func() { close(endUploads) })
	if serr := srv.Shutdown(shutdownCtx); serr != nil {
		srv.Close()
		if err == nil {
			err = serr
		}
	}
	endTimer.Stop()
	if metricsSrv != nil {
		metricsSrv.Shutdown(shutdownCtx)
	}
	stopWorker()
	<-workerDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// checkSchema refuses to serve a database whose schema is older or newer
// than this binary's migrations.
func checkSchema(ctx context.Context, db *store.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		return err
	}
	v, err := migrations.Version(ctx, db.Pool())
	if err != nil {
		return fmt.Errorf("%w (has 'reprisals migrate' been run?)", err)
	}
	if want := migrations.Latest(); v != want {
		return fmt.Errorf("the database schema is at version %d but this binary needs %d: run 'reprisals migrate'", v, want)
	}
	return nil
}

func cmdMigrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	fs.Usage = flagUsage(fs, "reprisals migrate [-config FILE]", "Applies the embedded SQL migrations; re-running is a no-op.")
	cfg, err := loadForDatabase(fs, args)
	if err != nil {
		return err
	}
	applied, err := migrate(context.Background(), cfg.Database.URL.Reveal())
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Println("The database schema is up to date.")
	}
	for _, name := range applied {
		fmt.Println("applied", name)
	}
	return nil
}

func migrate(ctx context.Context, url string) ([]string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	defer conn.Close(ctx)
	return migrations.Migrate(ctx, conn)
}

func cmdConfig(args []string) error {
	fs := flag.NewFlagSet("config", flag.ExitOnError)
	fs.Usage = flagUsage(fs, "reprisals config [-config FILE]", "Validates the configuration and prints it with secrets redacted.")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	verr := cfg.Validate()
	fmt.Print(cfg.Dump())
	if verr != nil {
		return fmt.Errorf("configuration:\n%w", verr)
	}
	return nil
}

// sweepUploads deletes abandoned attachment uploads (and what a request
// that vanished left staged, once its lease of 2 minutes is over) now and
// every minute until ctx is done.
func sweepUploads(ctx context.Context, svc *intake.Service, logger *slog.Logger) {
	for {
		if n, err := svc.CleanUp(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("cannot delete abandoned uploads", "err", err)
		} else if n > 0 {
			logger.Info("deleted abandoned uploads", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
}

// applyRetention applies the retention policy now and at every interval
// until ctx is done. Several instances may do it at once: a case is deleted
// once, by whichever gets there first.
func applyRetention(ctx context.Context, cases *casework.Service, r config.Retention, logger *slog.Logger) {
	for {
		purged, err := cases.ApplyRetention(ctx, r.Days, false)
		if err != nil && ctx.Err() == nil {
			logger.Warn("retention: cannot apply the policy", "err", err)
		} else if len(purged) > 0 {
			logger.Info("retention: purged cases", "count", len(purged))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Interval.Duration):
		}
	}
}

// databaseSize is the reprisals_database_bytes gauge: the database's size
// on disk, read at each scrape, so a flood of reports or attachments
// cannot fill the disk unnoticed (see the deployment guide's alarm). It is
// absent from a scrape when the database does not answer.
func databaseSize(db *store.DB) prometheus.Collector {
	return &sizeCollector{db: db, desc: prometheus.NewDesc("reprisals_database_bytes",
		"Size of the database on disk in bytes (reports, attachments, everything but the WAL).", nil, nil)}
}

type sizeCollector struct {
	db   *store.DB
	desc *prometheus.Desc
}

func (c *sizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *sizeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := c.db.Size(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
	}
}
