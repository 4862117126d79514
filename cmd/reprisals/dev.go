package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/notify"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/pgtemp"
)

// cmdDev runs the whole service locally on throwaway state: a PostgreSQL
// cluster of its own (unless DATABASE_URL is set), dev identities for every
// team without recipients, a dev receipt key, and a local mail sink that
// keeps alerts as .eml files, all under -dir.
func cmdDev(args []string) error {
	fset := flag.NewFlagSet("dev", flag.ExitOnError)
	dir := fset.String("dir", ".dev", "folder for dev identities and keys (kept between runs)")
	listen := fset.String("listen", "127.0.0.1:8080", "listen address")
	mailListen := fset.String("mail-listen", "127.0.0.1:0", "listen address of the dev mail sink (port 0: any free port)")
	fset.Usage = flagUsage(fset, "reprisals dev [-listen ADDR] [-mail-listen ADDR] [-dir .dev] [-config FILE]",
		"Runs everything locally on throwaway state, and writes DIR/config.toml so that every operator command works against it.")
	cfg, err := loadConfig(fset, args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	cfg.Listen = *listen
	cfg.PublicURL = "http://" + *listen
	keyDir := filepath.Join(*dir, "keys")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return err
	}
	var identities []string
	for i := range cfg.Teams {
		t := &cfg.Teams[i]
		if len(t.Recipients) > 0 || t.RecipientsFile != "" {
			continue
		}
		idPath := filepath.Join(keyDir, t.Name+".key")
		pubPath := filepath.Join(keyDir, t.Name+".pub")
		if err := ensureDevIdentity(idPath, pubPath); err != nil {
			return err
		}
		t.RecipientsFile = pubPath
		identities = append(identities, fmt.Sprintf("%-16s %s", t.Name, idPath))
	}
	// Each team's key custodian: a roster key (kept in the dev folder here;
	// offline in real use) whose public half the server checks rosters with.
	rosterKeys := map[string]roster.PrivateKey{}
	for i := range cfg.Teams {
		t := &cfg.Teams[i]
		if len(t.RosterKeys) > 0 {
			continue
		}
		k, err := ensureDevRosterKey(filepath.Join(keyDir, t.Name+".rosterkey"))
		if err != nil {
			return err
		}
		rosterKeys[t.Name] = k
		t.RosterKeys = []string{k.Public().String()}
	}
	if cfg.Receipts.KeyFile == "" && cfg.Receipts.Key == "" {
		cfg.Receipts.KeyFile = filepath.Join(*dir, "receipt.key")
		if err := writeNewSecret(cfg.Receipts.KeyFile, crypto.NewReceiptKey()); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}

	// A local mail sink stands in for the relay: alerts land as .eml files.
	mailDir := filepath.Join(*dir, "mail")
	sink := &notify.Sink{Dir: mailDir}
	sinkAddr, err := sink.Start(*mailListen)
	if err != nil {
		return fmt.Errorf("starting the dev mail sink: %w", err)
	}
	defer sink.Close()
	host, port, _ := net.SplitHostPort(sinkAddr)
	cfg.SMTP.Host, cfg.SMTP.TLS, cfg.SMTP.AllowInsecure = host, "none", true
	cfg.SMTP.Port, _ = strconv.Atoi(port)
	cfg.SMTP.Username, cfg.SMTP.PasswordFile, cfg.SMTP.Password = "", "", ""
	cfg.Alerts.RetryBase = config.Duration{Duration: 2 * time.Second}
	cfg.Alerts.Poll = config.Duration{Duration: time.Second}

	dbNote := "the database in DATABASE_URL"
	if cfg.Database.URL == "" && cfg.Database.URLFile == "" {
		fmt.Println("Starting a throwaway PostgreSQL...")
		cluster, err := pgtemp.Start(ctx, pgtemp.Options{})
		if err != nil {
			return err
		}
		defer cluster.Stop()
		if err := createDatabase(ctx, cluster.URL("postgres"), "reprisals"); err != nil {
			return err
		}
		cfg.Database.URL = config.Secret(cluster.URL("reprisals"))
		dbNote = "a throwaway PostgreSQL in " + cluster.SocketDir() + " (deleted when you stop)"
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	configFile, err := writeDevConfig(*dir, cfg)
	if err != nil {
		return err
	}
	applied, err := migrate(ctx, cfg.Database.URL.Reveal())
	if err != nil {
		return err
	}
	handlers, err := ensureDevHandlers(ctx, cfg, keyDir)
	if err != nil {
		return err
	}
	staff, err := ensureDevStaff(ctx, cfg)
	if err != nil {
		return err
	}
	if err := ensureDevRosters(ctx, cfg, rosterKeys, handlers); err != nil {
		return err
	}
	var pins []string
	for _, t := range cfg.Teams {
		if k, ok := rosterKeys[t.Name]; ok {
			pins = append(pins, fmt.Sprintf("go run ./cmd/casectl roster pin -team %s -key %s\n                     (fingerprint %s)", t.Name, k.Public(), k.Public().Fingerprint()))
		}
	}

	ready := func() {
		url := cfg.Database.URL.Reveal()
		idFile := filepath.Join(keyDir, "reprisals-team.key")
		h := handlers[len(handlers)-1]
		fmt.Printf(`
Reprisals intake is running in DEVELOPMENT mode: do not use it for real reports.

  Report form      %[1]s/report
  JSON API         POST %[1]s/api/v1/reports   (description: %[1]s/api/v1/openapi.json)
  Database         %[2]s, %[3]d migrations applied
                   psql '%[4]s'
  Team identities  (private keys, for decrypting; the server uses only the .pub files)
                   %[5]s
  Alert e-mails    %[8]s (a local mail sink on %[9]s; one .eml file per alert)

  Dev handlers     %[10]s
  NHRI staff       %[1]s/org/login as dev-staff, password %[13]s;
                   code: go run ./cmd/reprisals staff code %[14]s

  Roster keys      each team's custodian key and a signed roster of its
                   recipients (keys/TEAM.rosterkey); pin them once:
                   %[15]s

  As a handler, from an alert to the decrypted case (REFERENCE such as 7KQ4-M2XD):
    go run ./cmd/casectl login -server %[1]s -handler %[11]s -i %[12]s
    go run ./cmd/casectl cases
    go run ./cmd/casectl show -i %[12]s REFERENCE
    go run ./cmd/casectl note REFERENCE -m "first note"   (after pinning)
  or straight from the database with the stock age CLI (apt-get install age):
    psql '%[4]s' -Atc "SELECT encode(ciphertext, 'base64') FROM reports WHERE reference = 'REFERENCE'" | base64 -d | age -d -i %[6]s

  Operator commands (handler, audit, alerts, staff, retention, verify-receipt ...) against this server:
    export REPRISALS_CONFIG=%[16]s
  (or give each one -config %[16]s)

  Press Ctrl-C to stop%[7]s.

`, cfg.PublicURL, dbNote, len(applied), url, strings.Join(identities, "\n                   "), idFile,
			map[bool]string{true: "; the throwaway database is deleted", false: ""}[strings.HasPrefix(dbNote, "a throwaway")],
			mailDir, sinkAddr, strings.Join(handlerLines(handlers), "\n                   "), h.name, h.key,
			staff.Password, staff.TOTPSecret, strings.Join(pins, "\n                   "), configFile)
	}
	err = serve(ctx, cfg, logger, ready)
	fmt.Println("Stopped.")
	return err
}

// ensureDevSigningKey makes the dev handler's signing key beside its
// identity at idPath (sealed to recipient) unless it exists, and returns
// its public key.
func ensureDevSigningKey(idPath, recipient string) (crypto.SigningPublicKey, error) {
	path := crypto.SigningKeyPath(idPath)
	if b, err := os.ReadFile(path); err == nil {
		idFile, err := os.Open(idPath)
		if err != nil {
			return crypto.SigningPublicKey{}, err
		}
		defer idFile.Close()
		ids, err := age.ParseIdentities(idFile)
		if err != nil {
			return crypto.SigningPublicKey{}, err
		}
		k, err := crypto.OpenSigningKey(b, ids...)
		if err != nil {
			return crypto.SigningPublicKey{}, fmt.Errorf("%s: %w", path, err)
		}
		return k.Public(), nil
	}
	rec, err := crypto.ParseRecipient(recipient)
	if err != nil {
		return crypto.SigningPublicKey{}, err
	}
	file, pub, err := crypto.NewSigningKeyFile(rec)
	if err != nil {
		return crypto.SigningPublicKey{}, err
	}
	if err := writeNewSecret(path, string(file)); err != nil {
		return crypto.SigningPublicKey{}, err
	}
	return pub, nil
}

// sameSigners reports whether every recipient has the same signing key
// in a and b.
func sameSigners(a, b roster.Roster) bool {
	for _, e := range b.Entries {
		for _, p := range a.Entries {
			if p.Recipient == e.Recipient && p.Signer != e.Signer {
				return false
			}
		}
	}
	return true
}

// ensureDevIdentity creates a dev identity and its recipients file unless
// they exist.
func ensureDevIdentity(idPath, pubPath string) error {
	if _, err := os.Stat(pubPath); err == nil {
		if _, err := os.Stat(idPath); err == nil {
			return nil
		}
	}
	file, recipient, err := crypto.NewIdentityFile(false, time.Now())
	if err != nil {
		return err
	}
	os.Remove(idPath)
	if err := writeNewSecret(idPath, "# DEVELOPMENT identity: never use for real reports.\n"+file); err != nil {
		return err
	}
	return os.WriteFile(pubPath, []byte(recipient+"\n"), 0o644)
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// devHandler is a dev case handler and its identity file.
type devHandler struct{ name, team, key string }

func handlerLines(hs []devHandler) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%-20s %-16s %s", h.name, h.team, h.key))
	}
	return out
}

// ensureDevHandlers registers one handler per team, "dev-TEAM", with an
// identity file of its own, so the whole handler loop runs locally.
func ensureDevHandlers(ctx context.Context, cfg config.Config, keyDir string) ([]devHandler, error) {
	db, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	cases, err := casework.NewService(db, cfg)
	if err != nil {
		return nil, err
	}
	var out []devHandler
	for _, t := range cfg.Teams {
		h := devHandler{name: "dev-" + t.Name, team: t.Name, key: filepath.Join(keyDir, "dev-"+t.Name+".key")}
		pub := strings.TrimSuffix(h.key, ".key") + ".pub"
		if err := ensureDevIdentity(h.key, pub); err != nil {
			return nil, err
		}
		recipient, err := os.ReadFile(pub)
		if err != nil {
			return nil, err
		}
		existing, err := db.HandlerByName(ctx, h.name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = db.AddHandler(ctx, store.Handler{Name: h.name, Team: t.Name, Recipient: strings.TrimSpace(string(recipient))},
				cases.OperatorAudit("dev", "handler.add", h.name+" team="+t.Name))
		case err == nil && existing.Recipient != strings.TrimSpace(string(recipient)):
			err = db.UpdateHandler(ctx, h.name, true, strings.TrimSpace(string(recipient)),
				cases.OperatorAudit("dev", "handler.set-recipient", h.name))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// ensureDevRosterKey reads the dev custodian's roster key, creating it
// first if needed.
func ensureDevRosterKey(path string) (roster.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		return roster.ParsePrivateKey(string(b))
	}
	k, err := roster.GenerateKey()
	if err != nil {
		return k, err
	}
	return k, writeNewSecret(path, k.String()+"\n")
}

// ensureDevRosters signs and publishes, for each team with a dev roster
// key, a roster of the team's configured keys and its dev handler's,
// unless the latest published roster already lists exactly those.
func ensureDevRosters(ctx context.Context, cfg config.Config, keys map[string]roster.PrivateKey, handlers []devHandler) error {
	db, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		return err
	}
	defer db.Close()
	cases, err := casework.NewService(db, cfg)
	if err != nil {
		return err
	}
	latest, err := db.LatestRosters(ctx)
	if err != nil {
		return err
	}
	for _, t := range cfg.Teams {
		k, ok := keys[t.Name]
		if !ok {
			continue
		}
		r := roster.Roster{Team: t.Name, Version: 1}
		for _, rec := range t.Keys() {
			r.Entries = append(r.Entries, roster.Entry{Recipient: rec.String(), Label: "team-key"})
		}
		for _, h := range handlers {
			if h.team != t.Name {
				continue
			}
			pub, err := os.ReadFile(strings.TrimSuffix(h.key, ".key") + ".pub")
			if err != nil {
				return err
			}
			signer, err := ensureDevSigningKey(h.key, strings.TrimSpace(string(pub)))
			if err != nil {
				return err
			}
			r.Entries = append(r.Entries, roster.Entry{Recipient: strings.TrimSpace(string(pub)), Label: h.name, Signer: signer.String()})
		}
		if cur, ok := latest[t.Name]; ok {
			prev, err := roster.Verify(cur, []roster.PublicKey{k.Public()}, 1)
			if err == nil {
				if added, removed := roster.Diff(prev, r); len(added) == 0 && len(removed) == 0 && sameSigners(prev, r) {
					continue
				}
			}
			p, perr := roster.Parse([]byte(cur.Roster))
			if perr != nil {
				return perr
			}
			r.Version = p.Version + 1
		}
		s, err := roster.Sign(r, k)
		if err != nil {
			return err
		}
		if err := db.PublishRoster(ctx, t.Name, r.Version, s, cases.OperatorAudit("dev", "roster.publish", fmt.Sprintf("team %s version %d", t.Name, r.Version))); err != nil {
			return err
		}
	}
	return nil
}

// ensureDevStaff creates a dev organisation with one staff account, unless
// it exists (with DATABASE_URL set), and returns fresh credentials for it.
func ensureDevStaff(ctx context.Context, cfg config.Config) (intermediary.Credentials, error) {
	db, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		return intermediary.Credentials{}, err
	}
	defer db.Close()
	svc := intermediary.New(db, cfg)
	if err := svc.AddOrganisation(ctx, "dev-nhri", "Development NHRI", "dev"); err != nil && !errors.Is(err, store.ErrDuplicate) {
		return intermediary.Credentials{}, err
	}
	c, err := svc.AddStaff(ctx, "dev-nhri", "dev-staff", "dev")
	if errors.Is(err, store.ErrDuplicate) {
		if c, err = svc.ResetPassword(ctx, "dev-staff", "dev"); err == nil {
			var t intermediary.Credentials
			t, err = svc.ResetTOTP(ctx, "dev-staff", "dev")
			c.TOTPSecret, c.TOTPURI = t.TOTPSecret, t.TOTPURI
		}
	}
	return c, err
}

// writeDevConfig writes the configuration dev runs with to dir/config.toml,
// its database URL to dir/database.url (0600), and returns the
// configuration file's absolute path: with it (-config, or
// REPRISALS_CONFIG) every operator command works against this dev server.
// Both are rewritten on each run (the throwaway database moves).
func writeDevConfig(dir string, cfg config.Config) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	urlFile := filepath.Join(abs, "database.url")
	os.Remove(urlFile)
	if err := writeNewSecret(urlFile, cfg.Database.URL.Reveal()+"\n"); err != nil {
		return "", err
	}
	c := cfg
	c.Database.URL, c.Database.URLFile = "", urlFile
	if c.Receipts.KeyFile != "" {
		if c.Receipts.KeyFile, err = filepath.Abs(c.Receipts.KeyFile); err != nil {
			return "", err
		}
	}
	c.Teams = slices.Clone(cfg.Teams)
	for i := range c.Teams {
		if f := c.Teams[i].RecipientsFile; f != "" {
			if c.Teams[i].RecipientsFile, err = filepath.Abs(f); err != nil {
				return "", err
			}
		}
	}
	dump := c.Dump()
	if strings.HasPrefix(dump, "# cannot encode") {
		return "", errors.New("dev: " + strings.TrimPrefix(dump, "# "))
	}
	path := filepath.Join(abs, "config.toml")
	text := "# Written by 'reprisals dev' on each start: the configuration it runs with, for\n" +
		"# the operator commands (export REPRISALS_CONFIG=" + path + ").\n" +
		"# DEVELOPMENT only. Secrets are in files beside it: database.url, receipt.key.\n\n" + dump
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return "", err
	}
	return path, nil
}
