package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/notify"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// server is a running 'reprisals serve' process.
type server struct {
	cmd  *exec.Cmd
	addr string
	log  *serveLog // everything it wrote to standard error
}

// serveLog keeps what serve writes to standard error and reports the
// address of its "listening" line.
type serveLog struct {
	mu    sync.Mutex
	b     bytes.Buffer
	done  int // bytes of b already looked at for the address
	addrc chan string
}

func (l *serveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	for {
		rest := l.b.Bytes()[l.done:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return len(p), nil
		}
		var line struct{ Msg, Addr string }
		if json.Unmarshal(rest[:i], &line) == nil && line.Msg == "listening" {
			select {
			case l.addrc <- line.Addr:
			default:
			}
		}
		l.done += i + 1
	}
}

// String returns everything written so far.
func (l *serveLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs the real binary and waits for its listening address.
func startServe(t *testing.T, env []string, configFile string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-config", configFile)
	cmd.Env = env
	log := &serveLog{addrc: make(chan string, 1)}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrc := log.addrc
	select {
	case addr := <-addrc:
		return &server{cmd: cmd, addr: addr, log: log}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
		return nil
	}
}

// TestServeKilledMidSendThenRestarted kills a server process (SIGKILL, no
// chance to clean up) while the relay is holding one of its alerts, then
// starts another: once the dead process's lease expires, the new one
// delivers every alert, each exactly once.
func TestServeKilledMidSendThenRestarted(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	dir := t.TempDir()

	var holding atomic.Bool
	release := make(chan struct{})
	sink := &notify.Sink{Fault: func(stage string) error {
		if stage == "rcpt" && holding.CompareAndSwap(false, true) {
			<-release // the first delivery hangs until the process is dead
			return io.ErrUnexpectedEOF
		}
		return nil
	}}
	relayAddr, err := sink.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	host, port, _ := net.SplitHostPort(relayAddr)

	configFile := filepath.Join(dir, "reprisals.toml")
	os.WriteFile(configFile, []byte(fmt.Sprintf(`
listen = "127.0.0.1:0"
[smtp]
host = %q
port = %s
tls = "none"
allow_insecure = true
[alerts]
lease = "2s"
poll = "100ms"
retry_base = "100ms"
retry_max = "1s"
`, host, port)), 0o600)
	env := serveEnv(t, dir, db.URL, teams)

	first := startServe(t, env, configFile)
	body, _ := json.Marshal(intaketest.Report("upr"))
	resp, err := http.Post("http://"+first.addr+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for start := time.Now(); !holding.Load(); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the first server never tried to deliver")
		}
	}
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	close(release)
	if n := len(sink.Messages()); n != 0 {
		t.Fatalf("%d messages delivered before the crash, want 0", n)
	}

	second := startServe(t, env, configFile)
	// A delivered alert's row is deleted after the relay took it, so once
	// no row is left no process will send an alert again.
	left := func() int {
		var n int
		if err := db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM alerts`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for start := time.Now(); len(sink.Messages()) < 2 || left() > 0; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("after the restart only %d of 2 alerts arrived, %d not yet delivered", len(sink.Messages()), left())
		}
	}
	// A send still in flight (a duplicate from a lease taken twice) ends
	// with the process: stop the only server and wait for it to exit,
	// so that nothing can arrive after the count below.
	second.cmd.Process.Signal(syscall.SIGTERM)
	second.cmd.Wait()
	ids := map[string]int{}
	for _, m := range sink.Messages() {
		for _, line := range strings.Split(string(m.Data), "\r\n") {
			if strings.HasPrefix(line, "Message-ID: ") {
				ids[line]++
			}
		}
	}
	if len(ids) != 2 || len(sink.Messages()) != 2 {
		t.Errorf("deliveries: %v (%d messages), want 2 alerts once each", ids, len(sink.Messages()))
	}
	out, _, err := runBin(t, env, "alerts", "list", "-config", configFile)
	if err != nil || !strings.Contains(out, "No undelivered alerts") {
		t.Errorf("alerts list after delivery: %v\n%s", err, out)
	}
}

// TestAlertsCommands lists a failed alert and queues it again.
func TestAlertsCommands(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	svcTeams := teams.Config
	acc := submitDirect(t, db, svcTeams)
	if _, err := db.Pool().Exec(t.Context(), `UPDATE alerts SET state = 'failed', attempts = 1, last_error = 'SMTP 550 5.1.1 <address>: mailbox unavailable'`); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv(
		"DATABASE_URL="+db.URL,
		"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS="+teams.UPR.Recipient().String(),
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS="+teams.Reprisals.Recipient().String(),
	)
	out, stderr, err := runBin(t, env, "alerts", "list", "-state", "failed")
	if err != nil || !strings.Contains(out, acc) || !strings.Contains(out, "550 5.1.1") || !strings.Contains(out, "needs 'alerts retry'") {
		t.Fatalf("alerts list: %v\n%s%s", err, out, stderr)
	}
	if _, _, err := runBin(t, env, "alerts", "retry"); err == nil {
		t.Error("alerts retry without IDs or -all succeeded")
	}
	out, _, err = runBin(t, env, "alerts", "retry", "-all")
	if err != nil || !strings.Contains(out, "2 failed alerts queued again") {
		t.Fatalf("alerts retry -all: %v\n%s", err, out)
	}
	out, _, _ = runBin(t, env, "alerts", "list", "-state", "failed")
	if !strings.Contains(out, "No undelivered alerts") {
		t.Errorf("still failed after retry:\n%s", out)
	}
}
