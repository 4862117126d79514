package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

var bin, casectl string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "reprisals-bin-")
	if err != nil {
		panic(err)
	}
	bin, casectl = filepath.Join(dir, "reprisals"), filepath.Join(dir, "casectl")
	for target, pkg := range map[string]string{bin: ".", casectl: "../casectl"} {
		if out, err := exec.Command("go", "build", "-o", target, pkg).CombinedOutput(); err != nil {
			os.Stderr.Write(out)
			panic(err)
		}
	}
	defer os.RemoveAll(dir)
	storetest.Main(m)
}

// cleanEnv is the environment without any of the service's variables.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REPRISALS_") && !strings.HasPrefix(kv, "DATABASE_URL") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func runBin(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// receiptKey makes a receipt key file, dir/receipt.key, with the real
// binary.
func receiptKey(t *testing.T, dir string) string {
	t.Helper()
	keyFile := filepath.Join(dir, "receipt.key")
	if _, stderr, err := runBin(t, cleanEnv(), "keygen", "-receipt-key", "-o", keyFile); err != nil {
		t.Fatalf("keygen -receipt-key: %v\n%s", err, stderr)
	}
	return keyFile
}

// serveEnv is what serve needs against dbURL: a new receipt key in dir,
// the teams' recipients, and extra settings.
func serveEnv(t *testing.T, dir, dbURL string, teams intaketest.Teams, extra ...string) []string {
	t.Helper()
	return cleanEnv(append([]string{
		"DATABASE_URL=" + dbURL,
		"REPRISALS_RECEIPT_KEY_FILE=" + receiptKey(t, dir),
		"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS=" + teams.UPR.Recipient().String(),
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS=" + teams.Reprisals.Recipient().String(),
	}, extra...)...)
}

func TestConfigRefusals(t *testing.T) {
	t.Parallel()
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	secret := id.String()
	tests := []struct {
		name  string
		env   []string
		words []string
	}{
		{"no recipients", nil, []string{"teams.upr-secretariat.recipients", "teams.reprisals-team.recipients", "no age recipient"}},
		{"identity instead of recipient", []string{
			"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS=" + secret,
			"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS=" + other.Recipient().String(),
		}, []string{"teams.upr-secretariat.recipients[0]", "private key"}},
		{"bad address", []string{
			"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS=" + id.Recipient().String(),
			"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS=" + other.Recipient().String(),
			"REPRISALS_TEAM_REPRISALS_TEAM_ADDRESS=not an address",
		}, []string{"teams.reprisals-team.address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cmd := range []string{"serve", "config", "migrate"} {
				_, stderr, err := runBin(t, cleanEnv(tt.env...), cmd)
				if err == nil {
					t.Fatalf("%s started with a bad configuration", cmd)
				}
				for _, w := range tt.words {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: error lacks %q:\n%s", cmd, w, stderr)
					}
				}
				if strings.Contains(stderr, strings.TrimPrefix(secret, "AGE-SECRET-KEY-1")) {
					t.Errorf("%s: the error repeats the private key", cmd)
				}
			}
		})
	}
}

func TestServeNeedsDatabaseReceiptKeyAndRelay(t *testing.T) {
	t.Parallel()
	teams := intaketest.NewTeams(t)
	env := cleanEnv(
		"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS="+teams.UPR.Recipient().String(),
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS="+teams.Reprisals.Recipient().String(),
	)
	_, stderr, err := runBin(t, env, "serve")
	if err == nil || !strings.Contains(stderr, "DATABASE_URL") || !strings.Contains(stderr, "receipts.key_file") || !strings.Contains(stderr, "smtp.host") {
		t.Errorf("serve without database, receipt key or relay: err %v\n%s", err, stderr)
	}
}

func TestMigrateAndServeSchemaCheck(t *testing.T) {
	t.Parallel()
	db := storetest.NewEmptyDB(t)
	teams := intaketest.NewTeams(t)
	dir := t.TempDir()
	env := serveEnv(t, dir, db.URL, teams, "REPRISALS_LISTEN=127.0.0.1:0", "REPRISALS_SMTP_HOST=smtp.example.org")
	keyFile := filepath.Join(dir, "receipt.key")
	// An empty database: serve refuses and says what to do.
	_, stderr, err := runBin(t, env, "serve")
	if err == nil || !strings.Contains(stderr, "reprisals migrate") {
		t.Fatalf("serve on an empty database: err %v\n%s", err, stderr)
	}
	out, stderr, err := runBin(t, env, "migrate")
	if err != nil || !strings.Contains(out, "applied 001_reports.sql") {
		t.Fatalf("migrate: %v\n%s%s", err, out, stderr)
	}
	out, _, err = runBin(t, env, "migrate")
	if err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	// The config dump redacts the database URL and never shows the key.
	out, stderr, err = runBin(t, env, "config")
	key, _ := os.ReadFile(keyFile)
	if err != nil || !strings.Contains(out, "[redacted]") || strings.Contains(out, strings.TrimSpace(string(key))) || strings.Contains(out, db.Name) {
		t.Errorf("config dump: %v\n%s%s", err, out, stderr)
	}
}

func TestKeygen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, pq := range []bool{false, true} {
		path := filepath.Join(dir, map[bool]string{false: "x25519.key", true: "pq.key"}[pq])
		args := []string{"keygen", "-o", path}
		if pq {
			args = []string{"keygen", "-pq", "-o", path}
		}
		_, stderr, err := runBin(t, cleanEnv(), args...)
		if err != nil {
			t.Fatalf("keygen: %v\n%s", err, stderr)
		}
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("identity file %v mode %v, want 0600", err, info.Mode())
		}
		f, _ := os.Open(path)
		ids, err := age.ParseIdentities(f)
		f.Close()
		if err != nil || len(ids) != 1 {
			t.Fatalf("identity file does not parse: %v", err)
		}
		pub := regexp.MustCompile(`age1[0-9a-z]+`).FindString(stderr)
		if pub == "" {
			t.Fatalf("keygen did not print the public key: %s", stderr)
		}
		if _, _, err := runBin(t, cleanEnv(), "keygen", "-o", path); err == nil {
			t.Error("keygen overwrote an existing identity file")
		}
	}
}

// TestKeygenSavesBeforePrinting: keygen -o creates the identity's folder
// (0700) and saves the identity before it prints the public key, and
// never prints a public key it could not save.
func TestKeygenSavesBeforePrinting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config", "reprisals", "identity.key")
	_, stderr, err := runBin(t, cleanEnv(), "keygen", "-o", path)
	if err != nil {
		t.Fatalf("keygen -o into a new folder: %v\n%s", err, stderr)
	}
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		info, err := os.Stat(p)
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", p, err, info.Mode().Perm(), want)
		}
	}
	f, _ := os.Open(path)
	ids, err := age.ParseIdentities(f)
	f.Close()
	pub := regexp.MustCompile(`age1[0-9a-z]+`).FindString(stderr)
	if err != nil || len(ids) != 1 || pub == "" || ids[0].(*age.X25519Identity).Recipient().String() != pub {
		t.Fatalf("the printed public key %q is not the saved identity's (%v)", pub, err)
	}
	if strings.Index(stderr, "saved") > strings.Index(stderr, pub) {
		t.Errorf("the public key came before the identity was saved:\n%s", stderr)
	}
	// A folder that cannot be made: nothing printed but the error.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	_, stderr, err = runBin(t, cleanEnv(), "keygen", "-o", filepath.Join(blocker, "identity.key"))
	if err == nil || strings.Contains(stderr, "age1") || !strings.Contains(stderr, "nothing was saved") {
		t.Errorf("keygen into an impossible folder: err %v, printed:\n%s", err, stderr)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestDev runs 'reprisals dev' as a new user would, with no DATABASE_URL:
// it starts its own PostgreSQL, makes dev identities, serves, accepts a
// report that the printed identity decrypts, and on Ctrl-C stops leaving
// no PostgreSQL running and no database files behind.
func TestDev(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	devDir := filepath.Join(t.TempDir(), "dev")
	cmd := exec.Command(bin, "dev", "-listen", addr, "-dir", devDir)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(90*time.Second, func() { cmd.Process.Kill() })
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	deadline.Stop()
	out := banner.String()
	for _, want := range []string{"http://" + addr + "/report", "/api/v1/reports", "age -d -i", "casectl show", "throwaway PostgreSQL", "Alert e-mails    " + filepath.Join(devDir, "mail"),
		"Dev handlers     dev-upr-secretariat", "NHRI staff       http://" + addr + "/org/login as dev-staff", "casectl login -server http://" + addr + " -handler dev-reprisals-team -i " + filepath.Join(devDir, "keys", "dev-reprisals-team.key")} {
		if !strings.Contains(out, want) {
			t.Fatalf("start-up lines lack %q:\n%s\nstderr:\n%s", want, out, stderr.String())
		}
	}
	pgDir := regexp.MustCompile(`throwaway PostgreSQL in (\S+)`).FindStringSubmatch(out)
	if pgDir == nil {
		t.Fatalf("no database directory in:\n%s", out)
	}

	// A report with a canary in every text field: it must not reach dev's
	// log (checked at the end).
	canary := fmt.Sprintf("CANARY%dDEV", time.Now().UnixNano())
	rep := intaketest.Report("upr")
	intaketest.PlantCanary(rep, canary)
	body, _ := json.Marshal(rep)
	resp, err := http.Post("http://"+addr+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var accepted struct{ Reference string }
	json.NewDecoder(resp.Body).Decode(&accepted)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST a report to dev: status %d", resp.StatusCode)
	}

	// The printed NHRI staff account signs in.
	creds := regexp.MustCompile(`as dev-staff, password (\S+);\s+code: go run ./cmd/reprisals staff code (\S+)`).FindStringSubmatch(out)
	if creds == nil {
		t.Fatalf("no staff credentials in:\n%s", out)
	}
	code, err := intermediary.Code(creds[2], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.PostForm("http://"+addr+"/org/login", url.Values{"username": {"dev-staff"}, "password": {strings.TrimSuffix(creds[1], ";")}, "code": {code}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dev staff sign-in: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()

	// The printed handler quick start works: log in, list, decrypt.
	handlerKey := filepath.Join(devDir, "keys", "dev-reprisals-team.key")
	session := filepath.Join(t.TempDir(), "session.json")
	// The printed pin commands, then a note encrypted to the dev roster.
	var pinSteps [][]string
	for _, line := range strings.Split(out, "\n") {
		if _, cmd, ok := strings.Cut(line, "go run ./cmd/casectl roster pin "); ok {
			pinSteps = append(pinSteps, append([]string{"roster", "pin"}, strings.Fields(cmd)...))
		}
	}
	if len(pinSteps) != 2 {
		t.Fatalf("dev prints %d roster pin commands, want 2:\n%s", len(pinSteps), out)
	}
	steps := [][]string{
		{"login", "-server", "http://" + addr, "-handler", "dev-reprisals-team", "-i", handlerKey},
		{"cases"},
		{"show", "-i", handlerKey, accepted.Reference},
	}
	steps = append(steps, pinSteps...)
	steps = append(steps, []string{"note", accepted.Reference, "-m", "first note"})
	for _, step := range steps {
		c := exec.Command(casectl, step...)
		c.Env = append(cleanEnv(), "CASECTL_SESSION="+session)
		c.Stdin = strings.NewReader("yes\n")
		out, err := c.CombinedOutput()
		want := map[string]string{"login": "Logged in", "cases": accepted.Reference, "show": "Reference:   " + accepted.Reference, "roster": "Pinned", "note": "Added note"}[step[0]]
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("casectl %v against dev: %v\n%s", step, err, out)
		}
	}
	for _, team := range []string{"upr-secretariat", "reprisals-team"} {
		if info, err := os.Stat(filepath.Join(devDir, "keys", team+".key")); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("dev identity for %s: %v", team, err)
		}
	}

	// The alerts reach the dev mail sink as .eml files, one per routed team.
	var emls []string
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(100 * time.Millisecond) {
		if emls, _ = filepath.Glob(filepath.Join(devDir, "mail", "*.eml")); len(emls) == 2 {
			break
		}
	}
	if len(emls) != 2 {
		t.Errorf("%d alert e-mails in the dev mail sink, want 2 (a UPR report alerts both teams)", len(emls))
	}
	for _, f := range emls {
		if b, _ := os.ReadFile(f); !bytes.Contains(b, []byte("Subject: [Reprisals] New report")) {
			t.Errorf("%s is not an alert:\n%s", f, b)
		}
	}

	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev exited with %v after Ctrl-C\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop within 30 s of Ctrl-C")
	}
	if _, err := os.Stat(pgDir[1]); !os.IsNotExist(err) {
		t.Errorf("the throwaway database directory %s is still there", pgDir[1])
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(pgDir[1])) {
			t.Errorf("a process still runs with the dev database: %s", strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	logs := stderr.String()
	// Requests are logged, except on the routes reports arrive by (a
	// line's time would place a report more precisely than its day).
	if !strings.Contains(logs, "route=/api/v1/handler/cases") || strings.Contains(logs, "Go-http-client") || strings.Contains(logs, "remote") {
		t.Errorf("dev's request log is missing, or names the client:\n%s", logs)
	}
	if strings.Contains(logs, canary) {
		t.Errorf("dev's log holds the canary planted in a report:\n%s", logs)
	}
	if strings.Contains(logs, "route=/api/v1/reports") {
		t.Errorf("dev logged a line for a report's arrival:\n%s", logs)
	}
}

// submitDirect stores a UPR report (two alerts) through the intake service
// and returns its reference.
func submitDirect(t *testing.T, db *storetest.DB, cfg config.Config) string {
	t.Helper()
	acc, err := intake.NewService(db.DB, cfg, nil).Submit(t.Context(), intake.Submission{Report: intaketest.Report("upr"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	return acc.Reference
}
