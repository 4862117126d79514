package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/notify"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const (
	relayUser = "intake"
	relayPass = "relay-password"
)

// relay is a real SMTP server on loopback with STARTTLS and AUTH PLAIN,
// and the CA file a client needs to trust it.
type relay struct {
	*notify.Sink
	addr   string
	caFile string
}

func newRelay(t testing.TB, configure func(*notify.Sink)) *relay {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &notify.Sink{TLS: ts.TLS.Clone(), Username: relayUser, Password: relayPass}
	if configure != nil {
		configure(s)
	}
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &relay{Sink: s, addr: addr, caFile: caFile}
}

// setup is one test's database, teams, configuration and service.
type setup struct {
	t     testing.TB
	db    *storetest.DB
	teams intaketest.Teams
	cfg   config.Config
	svc   *intake.Service
	logs  *bytes.Buffer
	reg   *prometheus.Registry
	mu    sync.Mutex
}

func newSetup(t *testing.T, r *relay, edit func(*config.Config)) *setup {
	t.Helper()
	return newSetupOn(t, r, edit, storetest.NewDB(t))
}

func newSetupOn(t testing.TB, r *relay, edit func(*config.Config), db *storetest.DB) *setup {
	t.Helper()
	teams := intaketest.NewTeams(t)
	cfg := teams.Config
	host, port, _ := strings.Cut(r.addr, ":")
	cfg.SMTP.Host = host
	cfg.SMTP.Port = atoi(port)
	cfg.SMTP.CAFile = r.caFile
	cfg.SMTP.Username = relayUser
	cfg.SMTP.Password = relayPass
	cfg.SMTP.From = "Reprisals intake <noreply@report.example.org>"
	cfg.SMTP.EnvelopeFrom = "bounces@report.example.org"
	cfg.SMTP.CommandTimeout = config.Duration{Duration: 5 * time.Second}
	cfg.Alerts.RetryBase = config.Duration{Duration: 50 * time.Millisecond}
	cfg.Alerts.RetryMax = config.Duration{Duration: 200 * time.Millisecond}
	cfg.Alerts.Lease = config.Duration{Duration: 3 * time.Second}
	cfg.Alerts.Poll = config.Duration{Duration: 50 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &setup{t: t, db: db, teams: teams, cfg: cfg, svc: intake.NewService(db.DB, cfg, nil), logs: &bytes.Buffer{}, reg: prometheus.NewRegistry()}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func (s *setup) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Write(p)
}

func (s *setup) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// worker returns a worker with its own connection pool, as a separate
// server process would have.
func (s *setup) worker(metrics *notify.Metrics) *notify.Worker {
	s.t.Helper()
	db, err := store.Open(context.Background(), s.db.URL, 4)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(db.Close)
	if metrics == nil {
		metrics = notify.NewMetrics(prometheus.NewRegistry())
	}
	w, err := notify.NewWorker(db, s.cfg, slog.New(slog.NewJSONHandler(s, nil)), metrics)
	if err != nil {
		s.t.Fatal(err)
	}
	return w
}

func (s *setup) submit(r *intake.Report) intake.Accepted {
	s.t.Helper()
	acc, err := s.svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
	if err != nil {
		s.t.Fatal(err)
	}
	return acc
}

func (s *setup) runOnce(w *notify.Worker) int {
	s.t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *setup) alerts(state string) []store.AlertInfo {
	s.t.Helper()
	list, err := s.db.ListAlerts(context.Background(), state)
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// run starts w.Run until the test ends. The returned stop ends it and
// waits until it has returned.
func run(t testing.TB, w *notify.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// waitMessages waits, without polling, until the relay has accepted n
// messages, and returns them.
func waitMessages(t testing.TB, s *notify.Sink, n int) []notify.Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := s.Wait(ctx, n)
	if err != nil {
		t.Fatalf("%d messages, want %d: %v", len(msgs), n, err)
	}
	return msgs
}

// clock is a settable clock for the worker, so tests move time instead of
// sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(w *notify.Worker) *clock {
	c := &clock{t: time.Now()}
	w.SetClock(c.Now)
	return c
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// parsed is a received message, parsed.
type parsed struct {
	raw         []byte
	header      mail.Header
	body        string
	attachments map[string][]byte
}

func parse(t testing.TB, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an e-mail: %v", err)
	}
	p := parsed{raw: raw, header: m.Header, attachments: map[string][]byte{}}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(m.Body)
		p.body = string(b)
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		if part.FileName() != "" {
			p.attachments[part.FileName()] = b
		} else {
			p.body = string(b)
		}
	}
	return p
}

func received(t *testing.T, r *relay) []parsed {
	var out []parsed
	for _, m := range r.Messages() {
		out = append(out, parse(t, m.Data))
	}
	return out
}

func TestOneAlertPerRoutedTeam(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, nil)
	w := s.worker(nil)

	upr := s.submit(intaketest.Report("upr"))
	other := s.submit(intaketest.Report("special_procedures"))
	urgentReport := intaketest.Report("treaty_body")
	urgentReport.Risk.ImmediateDanger = "yes"
	urgent := s.submit(urgentReport)
	if n := s.runOnce(w); n != 4 {
		t.Fatalf("claimed %d alerts, want 4 (2 + 1 + 1)", n)
	}
	got := map[string][]string{} // reference -> addresses
	for i, m := range received(t, r) {
		id := m.header.Get("Message-Id")
		for _, ref := range []string{upr.Reference, other.Reference, urgent.Reference} {
			if strings.Contains(id, ref) {
				got[ref] = append(got[ref], m.header.Get("To"))
			}
		}
		if !r.Messages()[i].TLS {
			t.Errorf("message %s was not sent over TLS", id)
		}
		if r.Messages()[i].From != "bounces@report.example.org" || !strings.Contains(m.header.Get("From"), "noreply@report.example.org") {
			t.Errorf("senders: envelope %q, header %q", r.Messages()[i].From, m.header.Get("From"))
		}
	}
	want := map[string][]string{
		upr.Reference:    {"reprisals@ohchr.org", "uprreprisals@ohchr.org"},
		other.Reference:  {"reprisals@ohchr.org"},
		urgent.Reference: {"reprisals@ohchr.org"},
	}
	for ref, addrs := range want {
		slices.Sort(got[ref])
		if !slices.Equal(addrs, got[ref]) {
			t.Errorf("report %s alerted %v, want %v", ref, got[ref], addrs)
		}
	}
	if left := s.alerts(""); len(left) != 0 {
		t.Errorf("%d alerts left after delivery", len(left))
	}

	// The alert says what a handler needs, and marks urgency.
	for _, m := range received(t, r) {
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.header.Get("Subject"))
		isUrgent := strings.Contains(m.header.Get("Message-Id"), urgent.Reference)
		if isUrgent != strings.HasPrefix(subject, "[URGENT]") || isUrgent != (m.header.Get("Importance") == "high") ||
			isUrgent != strings.Contains(m.body, "immediate danger") {
			t.Errorf("urgency marking wrong in %q:\n%s", subject, m.body)
		}
		for _, want := range []string{"Submitted on:", "(UTC)", "casectl show", "Routed to:"} {
			if !strings.Contains(m.body, want) {
				t.Errorf("body lacks %q:\n%s", want, m.body)
			}
		}
	}
	// The Message-ID is stable per report and team.
	for _, m := range received(t, r) {
		id := m.header.Get("Message-Id")
		if !strings.HasPrefix(id, "<report-") || !strings.HasSuffix(id, "@report.example.org>") {
			t.Errorf("Message-ID %s", id)
		}
	}
}

func TestAlertsCarryNoContent(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) {
		for i := range c.Teams {
			c.Teams[i].AttachCiphertext = true
		}
	})
	w := s.worker(nil)
	canary := "CANARY" + strings.ToUpper(hex.EncodeToString(randBytes(10)))
	for _, body := range []string{"upr", "hrc_session"} {
		rep := intaketest.Report(body)
		rep.Risk.ImmediateDanger = "yes"
		if n := intaketest.PlantCanary(rep, canary); n < 25 {
			t.Fatalf("planted in %d fields only", n)
		}
		s.submit(rep)
	}
	s.runOnce(w)
	msgs := r.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for _, m := range msgs {
		for _, needle := range []string{canary, strings.ToLower(canary), "Amina", "Examplestan", "Capital City", "stakeholder"} {
			if bytes.Contains(m.Data, []byte(needle)) {
				t.Errorf("an alert contains %q", needle)
			}
		}
		if len(parse(t, m.Data).attachments) != 1 {
			t.Errorf("no attachment, so the check above proved little")
		}
	}
	if strings.Contains(s.logText(), canary) {
		t.Error("the worker logged report content")
	}
}

func TestAttachmentDecryptsOnlyForRoutedTeam(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) {
		c.Teams[1].AttachCiphertext = true // reprisals-team only
	})
	w := s.worker(nil)
	uprRep := s.submit(intaketest.Report("upr"))
	otherRep := s.submit(intaketest.Report("hrc_session"))
	s.runOnce(w)

	open := func(file []byte, id age.Identity) (envelope.Case, error) {
		dec, err := age.Decrypt(armor.NewReader(bytes.NewReader(file)), id)
		if err != nil {
			return envelope.Case{}, err
		}
		var env envelope.Case
		b, _ := io.ReadAll(dec)
		return env, json.Unmarshal(b, &env)
	}
	seen := 0
	for _, m := range received(t, r) {
		to := m.header.Get("To")
		switch to {
		case "uprreprisals@ohchr.org":
			if len(m.attachments) != 0 {
				t.Errorf("the UPR team did not ask for attachments but got %d", len(m.attachments))
			}
		case "reprisals@ohchr.org":
			for name, file := range m.attachments {
				seen++
				ref := strings.TrimSuffix(name, ".age")
				if !bytes.HasPrefix(file, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
					t.Errorf("%s is not ASCII-armoured", name)
				}
				env, err := open(file, s.teams.Reprisals)
				if err != nil || env.Reference != ref {
					t.Errorf("%s: reprisals team cannot decrypt: %v (reference %q)", name, err, env.Reference)
				}
				_, err = open(file, s.teams.UPR)
				var nm *age.NoIdentityMatchError
				switch ref {
				case uprRep.Reference:
					if err != nil {
						t.Errorf("UPR report %s: the UPR team cannot decrypt it: %v", ref, err)
					}
				case otherRep.Reference:
					if !errors.As(err, &nm) {
						t.Errorf("non-UPR report %s: UPR identity gave %v, want NoIdentityMatchError", ref, err)
					}
				default:
					t.Errorf("unexpected attachment %s", name)
				}
			}
		default:
			t.Errorf("mail to %s", to)
		}
	}
	if seen != 2 {
		t.Errorf("%d attachments to the reprisals team, want 2", seen)
	}
}

func TestTemporaryFailureThenSuccess(t *testing.T) {
	var fails atomic.Int32
	fails.Store(1)
	r := newRelay(t, func(s *notify.Sink) {
		s.Fault = func(stage string) error {
			if stage == "rcpt" && fails.Add(-1) >= 0 {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "<reprisals@ohchr.org> greylisted, try later"}
			}
			return nil
		}
	})
	s := newSetup(t, r, nil)
	metrics := notify.NewMetrics(s.reg)
	w := s.worker(metrics)
	clock := newClock(w)
	s.submit(intaketest.Report("hrc_session"))
	s.runOnce(w)
	if n := len(r.Messages()); n != 0 {
		t.Fatalf("%d messages after a 451", n)
	}
	pending := s.alerts("pending")
	if len(pending) != 1 || pending[0].Attempts != 1 || pending[0].DueAt == nil ||
		!strings.Contains(pending[0].LastError, "451") || strings.Contains(pending[0].LastError, "ohchr.org") {
		t.Fatalf("after a 451: %+v", pending)
	}
	if s.runOnce(w) != 0 {
		t.Error("the alert was retried before its backoff")
	}
	clock.Advance(s.cfg.Alerts.RetryMax.Duration)
	s.runOnce(w)
	if n := len(r.Messages()); n != 1 {
		t.Fatalf("%d messages after the retry, want 1", n)
	}
	if got := testutil.ToFloat64(metrics.Failures("reprisals-team", "temporary")); got != 1 {
		t.Errorf("temporary failure counter = %v, want 1", got)
	}
	if got := testutil.ToFloat64(metrics.Sent("reprisals-team")); got != 1 {
		t.Errorf("sent counter = %v, want 1", got)
	}
	if logs := s.logText(); !strings.Contains(logs, "will retry") || strings.Contains(logs, "ohchr.org") {
		t.Errorf("failure log missing or names an address:\n%s", logs)
	}
}

func TestPermanentFailureListedAndRetried(t *testing.T) {
	var reject atomic.Bool
	reject.Store(true)
	r := newRelay(t, func(s *notify.Sink) {
		s.Fault = func(stage string) error {
			if stage == "rcpt" && reject.Load() {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<reprisals@ohchr.org>: mailbox unavailable"}
			}
			return nil
		}
	})
	s := newSetup(t, r, nil)
	metrics := notify.NewMetrics(s.reg)
	w := s.worker(metrics)
	acc := s.submit(intaketest.Report("hrc_session"))
	s.runOnce(w)
	failed := s.alerts("failed")
	if len(failed) != 1 || failed[0].Reference != acc.Reference || failed[0].Team != "reprisals-team" ||
		!strings.Contains(failed[0].LastError, "550 5.1.1") || !strings.Contains(failed[0].LastError, "<address>") ||
		strings.Contains(failed[0].LastError, "ohchr.org") {
		t.Fatalf("failed alerts: %+v", failed)
	}
	if s.runOnce(w) != 0 {
		t.Error("a failed alert was claimed again without an operator")
	}
	if got := testutil.ToFloat64(metrics.Failures("reprisals-team", "permanent")); got != 1 {
		t.Errorf("permanent failure counter = %v", got)
	}
	if !strings.Contains(s.logText(), "marked failed") {
		t.Errorf("no log line for the failure:\n%s", s.logText())
	}

	reject.Store(false)
	n, err := s.db.RetryFailedAlerts(context.Background(), nil)
	if err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	s.runOnce(w)
	if len(r.Messages()) != 1 || len(s.alerts("")) != 0 {
		t.Fatalf("after the operator's retry: %d messages, %d alerts left", len(r.Messages()), len(s.alerts("")))
	}
}

// TestRelayBackAfterLongOutage: the relay is away for days; once it is
// back, every waiting alert goes out within a minute (of the worker's
// clock), urgent ones first, each once.
func TestRelayBackAfterLongOutage(t *testing.T) {
	r := newRelay(t, nil)
	addr := r.addr
	s := newSetup(t, r, func(c *config.Config) {
		// The shipped retry settings, not the test's quick ones.
		c.Alerts.RetryBase, c.Alerts.RetryMax = config.Default().Alerts.RetryBase, config.Default().Alerts.RetryMax
	})
	r.Close() // the relay goes down
	w := s.worker(nil)
	clock := newClock(w)
	for _, body := range []string{"upr", "hrc_session", "treaty_body"} {
		s.submit(intaketest.Report(body)) // 4 alerts, not urgent
	}
	var urgent []string
	for range 2 {
		rep := intaketest.Report("hrc_session")
		rep.Risk.ImmediateDanger = "yes"
		urgent = append(urgent, s.submit(rep).Reference)
	}
	// Three days of outage, the worker trying whenever alerts are due.
	for range 36 {
		for s.runOnce(w) > 0 {
		}
		clock.Advance(2 * time.Hour)
	}
	for _, a := range s.alerts("pending") {
		if a.Attempts < 30 {
			t.Fatalf("alert %d tried %d times during the outage", a.ID, a.Attempts)
		}
	}
	if !strings.Contains(s.logText(), "connection refused") {
		t.Errorf("the outage was not logged:\n%s", s.logText())
	}

	// The relay comes back on the same address; a minute later at most,
	// everything has gone.
	back := &notify.Sink{TLS: r.TLS, Username: relayUser, Password: relayPass}
	if _, err := back.Start(addr); err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	clock.Advance(time.Minute)
	for range 5 {
		if s.runOnce(w) == 0 {
			break
		}
	}
	msgs := back.Messages()
	if len(msgs) != 6 {
		t.Fatalf("%d messages within a minute of the relay's return, want 6", len(msgs))
	}
	ids := map[string]int{}
	for i, m := range msgs {
		p := parse(t, m.Data)
		ids[p.header.Get("Message-Id")]++
		isUrgent := strings.Contains(p.header.Get("Subject"), "URGENT")
		if isUrgent != (i < 2) {
			t.Errorf("message %d (urgent: %v) is out of order: urgent alerts go first", i, isUrgent)
		}
	}
	if len(ids) != 6 {
		t.Errorf("deliveries by Message-ID: %v", ids)
	}
	if left := s.alerts(""); len(left) != 0 {
		t.Errorf("%d alerts left", len(left))
	}
	if !strings.Contains(s.logText(), "the relay is back") {
		t.Errorf("the return was not logged:\n%s", s.logText())
	}
}

func TestTwoWorkersDeliverEachAlertOnce(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) { c.Alerts.FloodBudget = 1000 })
	stop1 := run(t, s.worker(nil))
	stop2 := run(t, s.worker(nil))
	want := 0
	for i := range 30 {
		body := "hrc_session"
		if i%3 == 0 {
			body = "upr"
			want++
		}
		want++
		s.submit(intaketest.Report(body))
	}
	waitMessages(t, r.Sink, want)
	stop1() // once both have stopped, no duplicate can still arrive
	stop2()
	ids := map[string]int{}
	for _, m := range r.Messages() {
		ids[parse(t, m.Data).header.Get("Message-Id")]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if len(ids) != want || len(r.Messages()) != want {
		t.Errorf("%d messages, %d distinct, want %d", len(r.Messages()), len(ids), want)
	}
}

// TestStoppedWorkerHandsOver stops a worker while the relay is holding
// its first message: that message is finished, the others are handed back,
// and a new worker (a restarted process) delivers them, each once.
func TestStoppedWorkerHandsOver(t *testing.T) {
	hold := make(chan struct{})
	holding := make(chan struct{})
	var held atomic.Bool
	r := newRelay(t, func(s *notify.Sink) {
		s.Fault = func(stage string) error {
			if stage == "data" && held.CompareAndSwap(false, true) {
				close(holding)
				<-hold
			}
			return nil
		}
	})
	s := newSetup(t, r, nil)
	for range 5 {
		s.submit(intaketest.Report("hrc_session"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.worker(nil).Run(ctx); close(done) }()
	select {
	case <-holding:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay never got a message to hold")
	}
	cancel()
	close(hold)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not stop")
	}
	if n := len(r.Messages()); n != 1 {
		t.Fatalf("%d messages from the stopped worker, want the 1 in flight", n)
	}
	if left := s.alerts("pending"); len(left) != 4 {
		t.Fatalf("%d pending alerts after the stop, want 4", len(left))
	}
	run(t, s.worker(nil))
	waitMessages(t, r.Sink, 5)
	ids := map[string]bool{}
	for _, m := range r.Messages() {
		ids[parse(t, m.Data).header.Get("Message-Id")] = true
	}
	if len(ids) != 5 {
		t.Errorf("%d distinct messages, want 5", len(ids))
	}
}

func TestStartTLSRequired(t *testing.T) {
	var mails atomic.Int32
	r := newRelay(t, func(s *notify.Sink) {
		s.TLS = nil // a relay without STARTTLS
		s.Fault = func(stage string) error {
			if stage == "mail" {
				mails.Add(1)
			}
			return nil
		}
	})
	s := newSetup(t, r, nil)
	s.submit(intaketest.Report("hrc_session"))
	s.runOnce(s.worker(nil))
	if mails.Load() != 0 || len(r.Messages()) != 0 {
		t.Fatalf("the worker talked to a relay without STARTTLS: %d MAIL commands", mails.Load())
	}
	pending := s.alerts("pending")
	if len(pending) != 1 || !strings.Contains(pending[0].LastError, "STARTTLS") {
		t.Fatalf("pending: %+v", pending)
	}
}

func TestImplicitTLS(t *testing.T) {
	r := newRelay(t, func(s *notify.Sink) { s.Implicit = true })
	s := newSetup(t, r, func(c *config.Config) { c.SMTP.TLS = "implicit" })
	s.submit(intaketest.Report("hrc_session"))
	s.runOnce(s.worker(nil))
	if m := r.Messages(); len(m) != 1 || !m[0].TLS {
		t.Fatalf("implicit TLS: %d messages", len(m))
	}
}

func TestWrongPasswordIsAFailureNotASilence(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) { c.SMTP.Password = "wrong" })
	s.submit(intaketest.Report("hrc_session"))
	s.runOnce(s.worker(nil))
	if len(r.Messages()) != 0 {
		t.Fatal("delivered with a wrong password")
	}
	list := s.alerts("")
	if len(list) != 1 || !strings.Contains(list[0].LastError, "535") {
		t.Fatalf("alerts: %+v", list)
	}
}

func TestDigest(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) {
		c.Teams[1].Digest = config.Duration{Duration: 2 * time.Second}
	})
	// A fixed clock just after a boundary, so the three reports share a digest.
	now := time.Now().Truncate(2 * time.Second).Add(time.Millisecond)
	s.svc = intake.NewService(s.db.DB, s.cfg, func() time.Time { return now })
	var refs []string
	for range 3 {
		refs = append(refs, s.submit(intaketest.Report("hrc_session")).Reference)
	}
	urgentRep := intaketest.Report("hrc_session")
	urgentRep.Risk.ImmediateDanger = "yes"
	urgent := s.submit(urgentRep)
	w := s.worker(nil)
	clock := newClock(w)
	clock.t = now

	// Before the boundary: the urgent alert only.
	for s.runOnce(w) > 0 {
	}
	if n := len(r.Messages()); n != 1 {
		t.Fatalf("%d messages before the digest boundary, want the urgent alert", n)
	}
	first := parse(t, r.Messages()[0].Data)
	if !strings.Contains(first.header.Get("Message-Id"), urgent.Reference) {
		t.Fatalf("first message is not the urgent alert: %s", first.header.Get("Message-Id"))
	}
	clock.Advance(2 * time.Second)
	for s.runOnce(w) > 0 {
	}
	if n := len(r.Messages()); n != 2 {
		t.Fatalf("%d messages, want the urgent alert and one digest", n)
	}
	digest := parse(t, r.Messages()[1].Data)
	subject := digest.header.Get("Subject")
	if !strings.Contains(subject, "Digest: 3 new reports") || !strings.HasPrefix(digest.header.Get("Message-Id"), "<digest-") {
		t.Errorf("digest subject %q, id %s", subject, digest.header.Get("Message-Id"))
	}
	for _, ref := range refs {
		if !strings.Contains(digest.body, ref) {
			t.Errorf("digest lacks %s:\n%s", ref, digest.body)
		}
	}
}

func TestMetricsHaveNoReferencesOrAddresses(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, nil)
	w := s.worker(notify.NewMetrics(s.reg))
	acc := s.submit(intaketest.Report("upr"))
	s.runOnce(w)
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, f := range families {
		text.WriteString(f.String())
	}
	if !strings.Contains(text.String(), "reprisals_alerts_sent_total") {
		t.Fatalf("no sent counter: %s", text.String())
	}
	if strings.Contains(text.String(), acc.Reference) || strings.Contains(text.String(), "@") {
		t.Errorf("metrics name a reference or an address: %s", text.String())
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestCommitWakesWorker sets a poll interval of an hour: only the
// notification sent when a report commits can wake the worker in time.
func TestCommitWakesWorker(t *testing.T) {
	r := newRelay(t, nil)
	s := newSetup(t, r, func(c *config.Config) { c.Alerts.Poll = config.Duration{Duration: time.Hour} })
	w := s.worker(nil)
	run(t, w)
	select {
	case <-w.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never listened")
	}
	start := time.Now()
	s.submit(intaketest.Report("hrc_session"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := r.Wait(ctx, 1); err != nil {
		t.Fatalf("the alert was not sent within 3 s of the commit (the poll is an hour): %v", err)
	}
	t.Logf("commit to relay acceptance: %v", time.Since(start))
}
