package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// devServer is a running 'reprisals dev', as the README starts it.
type devServer struct {
	addr, dir, config string
	banner            string
}

// startDev runs 'reprisals dev' in a new folder and waits for its
// start-up lines; it is stopped with Ctrl-C when the test ends.
func startDev(t *testing.T) devServer {
	t.Helper()
	d := devServer{addr: freePort(t), dir: filepath.Join(t.TempDir(), "dev")}
	cmd := exec.Command(bin, "dev", "-listen", d.addr, "-dir", d.dir)
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
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	})
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
	go func() { // keep the pipe drained
		for sc.Scan() {
		}
	}()
	d.banner = banner.String()
	m := regexp.MustCompile(`(?m)^\s+export REPRISALS_CONFIG=(\S+)$`).FindStringSubmatch(d.banner)
	if m == nil {
		t.Fatalf("dev prints no 'export REPRISALS_CONFIG=' line:\n%s\nstderr:\n%s", d.banner, stderr.String())
	}
	d.config = m[1]
	return d
}

// operatorEnv is an operator's environment against dev: nothing but the
// one line dev printed.
func (d devServer) operatorEnv() []string { return cleanEnv("REPRISALS_CONFIG=" + d.config) }

// submit sends a report that only the reprisals team receives, through
// the JSON API, and returns its reference.
func (d devServer) submit(t *testing.T) string {
	t.Helper()
	body, _ := json.Marshal(intaketest.Report("special_procedures"))
	resp, err := http.Post("http://"+d.addr+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acc struct{ Reference string }
	json.NewDecoder(resp.Body).Decode(&acc)
	if resp.StatusCode != http.StatusCreated || acc.Reference == "" {
		t.Fatalf("POST a report to dev: status %d", resp.StatusCode)
	}
	return acc.Reference
}

// TestDevOperatorCommands runs the operator commands against a running
// dev with nothing but the line it prints (export REPRISALS_CONFIG=...).
func TestDevOperatorCommands(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	d.submit(t)
	staffOut, stderr, err := runBin(t, d.operatorEnv(), "staff", "add", "-org", "dev-nhri", "-username", "nour")
	if err != nil || !strings.Contains(staffOut, "Password: ") {
		t.Fatalf("staff add against dev: %v\n%s%s", err, staffOut, stderr)
	}
	keyOut, keyErr, err := runBin(t, cleanEnv(), "keygen")
	pub := regexp.MustCompile(`age1[0-9a-z]+`).FindString(keyErr)
	if err != nil || pub == "" {
		t.Fatalf("keygen: %v\n%s%s", err, keyOut, keyErr)
	}
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"handler", "list"}, "dev-reprisals-team"},
		{[]string{"handler", "add", "-name", "amal", "-team", "reprisals-team", "-recipient", pub}, "Registered amal (reprisals-team) for login"},
		{[]string{"handler", "disable", "amal"}, "Disabled amal"},
		{[]string{"audit", "verify"}, "The audit log verifies"},
		{[]string{"alerts", "list"}, ""},
		{[]string{"alerts", "list", "-state", "failed"}, "No undelivered alerts."},
		{[]string{"alerts", "retry", "-all"}, "0 failed alerts queued again."},
		{[]string{"staff", "unlock", "nour"}, "Done: unlock nour"},
		{[]string{"staff", "unlock", "-username", "nour"}, "Done: unlock nour"},
		{[]string{"staff", "reset-password", "nour"}, "Password: "},
		{[]string{"retention", "-dry-run"}, "Would purge 0 cases."},
		{[]string{"verify-receipt", "-print-key"}, "ed25519:"},
		{[]string{"config"}, "[redacted]"},
	} {
		out, stderr, err := runBin(t, d.operatorEnv(), step.args...)
		if err != nil || !strings.Contains(out, step.want) {
			t.Errorf("reprisals %s against dev: %v\n%s%s", strings.Join(step.args, " "), err, out, stderr)
		}
	}
}

// lifecycleBlocks returns the README's key lifecycle sequences: the
// fenced blocks marked "sh lifecycle=NAME", by name.
func lifecycleBlocks(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string][]string{}
	name := ""
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh lifecycle="):
			name = strings.TrimPrefix(line, "```sh lifecycle=")
			blocks[name] = []string{}
		case strings.HasPrefix(line, "```"):
			name = ""
		case name != "":
			blocks[name] = append(blocks[name], line)
		}
	}
	return blocks
}

// person is one of the people the README's sequences name, with a home
// folder of their own (their ~/.config/reprisals).
type person struct{ home string }

func newPerson(t *testing.T) person {
	p := person{home: t.TempDir()}
	os.MkdirAll(filepath.Join(p.home, ".config", "reprisals"), 0o700)
	return p
}

func (p person) file(rel string) string { return filepath.Join(p.home, filepath.FromSlash(rel)) }

// run runs one shell line as p, in their home folder, with both binaries
// on PATH and "yes" to every question.
func (p person) run(env []string, line string) (string, error) {
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = p.home
	cmd.Env = append(env, "HOME="+p.home, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	cmd.Stdin = strings.NewReader(strings.Repeat("yes\n", 50))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestReadmeKeyLifecycle runs the README's joining, leaving, loss and
// rotation sequences, as written, with the real binaries against a
// running dev (real server and PostgreSQL), and checks afterwards who can
// open the cases that came before and after.
func TestReadmeKeyLifecycle(t *testing.T) {
	t.Parallel()
	blocks := lifecycleBlocks(t)
	for _, name := range []string{"joining", "leaving", "loss", "rotation"} {
		if len(blocks[name]) < 3 {
			t.Fatalf("README has no lifecycle=%s sequence", name)
		}
	}
	d := startDev(t)
	server := "http://" + d.addr
	pins := regexp.MustCompile(`casectl roster pin -team (\S+) -key (\S+)`).FindAllStringSubmatch(d.banner, -1)
	if len(pins) != 2 {
		t.Fatalf("dev printed %d roster pins, want 2:\n%s", len(pins), d.banner)
	}
	// A colleague (dev's handler of the reprisals team) and the key
	// custodian (who holds dev's roster key, and logs in as a handler of
	// the team to fetch and publish): logged in and pinned, as the quick
	// start says.
	colleague, custodian := newPerson(t), newPerson(t)
	devKey := filepath.Join(d.dir, "keys", "dev-reprisals-team.key")
	for _, p := range []person{colleague, custodian} {
		copyFile(t, devKey, p.file(".config/reprisals/identity.key"))
		setup := []string{"casectl login -server " + server + " -handler dev-reprisals-team -i ~/.config/reprisals/identity.key"}
		for _, pin := range pins {
			setup = append(setup, "casectl roster pin -team "+pin[1]+" -key "+pin[2])
		}
		for _, line := range setup {
			if out, err := p.run(cleanEnv(), line); err != nil {
				t.Fatalf("%s: %v\n%s", line, err, out)
			}
		}
	}
	copyFile(t, filepath.Join(d.dir, "keys", "reprisals-team.rosterkey"), custodian.file("custodian.key"))

	// opens reports whether identity opens the case ref (fetched with the
	// colleague's session).
	opens := func(identity, ref string) bool {
		out, err := colleague.run(cleanEnv(), "casectl show -i "+identity+" "+ref)
		return err == nil && strings.Contains(out, ref)
	}
	keyRE := regexp.MustCompile(`Public key[^:]*: (age1[0-9a-z]+)`)
	signingRE := regexp.MustCompile(`Signing key \(give[^:]*: (reprisals-signing-key-ed25519:\S+)`)
	// play runs a README block for the handler called handler, whose home
	// is amal; it returns the keys her keygen lines printed.
	play := func(t *testing.T, block, handler string, amal person, keys map[string]string) {
		t.Helper()
		actor := person{}
		for _, line := range blocks[block] {
			if c, ok := strings.CutPrefix(line, "# "); ok {
				who, _, _ := strings.Cut(c, ":")
				switch {
				case strings.Contains(who, "operator"):
					actor = person{home: t.TempDir()}
				case strings.Contains(who, "custodian"):
					actor = custodian
				case strings.Contains(who, "colleague"):
					actor = colleague
				case strings.HasPrefix(who, "amal"):
					actor = amal
				default:
					t.Fatalf("README lifecycle=%s: who is %q?", block, who)
				}
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if actor.home == "" {
				t.Fatalf("README lifecycle=%s: %q has no '# who:' line before it", block, line)
			}
			line = regexp.MustCompile(`\bamal\b`).ReplaceAllString(line, handler)
			line = strings.NewReplacer("AMAL_NEW_SIGNING_KEY", keys["AMAL_NEW_SIGNING_KEY"], "AMAL_SIGNING_KEY", keys["AMAL_SIGNING_KEY"],
				"AMAL_NEW_KEY", keys["AMAL_NEW_KEY"], "AMAL_KEY", keys["AMAL_KEY"], "SERVER", server).Replace(line)
			env := cleanEnv()
			if strings.HasPrefix(line, "reprisals ") && !strings.HasPrefix(line, "reprisals keygen") {
				env = d.operatorEnv()
			}
			out, err := actor.run(env, line)
			if err != nil {
				t.Fatalf("README lifecycle=%s: %s: %v\n%s", block, line, err, out)
			}
			if strings.HasPrefix(line, "reprisals keygen") {
				m := keyRE.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("%s printed no public key:\n%s", line, out)
				}
				prefix := map[bool]string{true: "AMAL_NEW_", false: "AMAL_"}[strings.Contains(line, "new-identity")]
				keys[prefix+"KEY"] = m[1]
				s := signingRE.FindStringSubmatch(out)
				if s == nil {
					t.Fatalf("%s printed no signing key:\n%s", line, out)
				}
				keys[prefix+"SIGNING_KEY"] = s[1]
			}
		}
	}
	oldKey, newKey := "~/.config/reprisals/identity.key", "~/.config/reprisals/new-identity.key"
	check := func(t *testing.T, amal person, key string, want bool, refs ...string) {
		t.Helper()
		for _, ref := range refs {
			if got := opens(amal.file(strings.TrimPrefix(key, "~/")), ref); got != want {
				t.Errorf("%s opens case %s: %t, want %t", filepath.Base(key), ref, got, want)
			}
		}
	}

	// The sequences run one after another (each changes the team's
	// roster), each for a handler of its own.
	t.Run("joining", func(t *testing.T) {
		amal, keys := newPerson(t), map[string]string{}
		old := d.submit(t)
		play(t, "joining", "amal", amal, keys)
		check(t, amal, oldKey, true, old, d.submit(t))
	})
	for i, seq := range []string{"leaving", "loss", "rotation"} {
		t.Run(seq, func(t *testing.T) {
			amal, keys, handler := newPerson(t), map[string]string{}, fmt.Sprintf("amal%d", i+2)
			play(t, "joining", handler, amal, keys)
			old := d.submit(t)
			check(t, amal, oldKey, true, old)
			play(t, seq, handler, amal, keys)
			cur := d.submit(t)
			check(t, amal, oldKey, false, old, cur)
			switch seq {
			case "leaving":
				if out, err := amal.run(cleanEnv(), "casectl login -server "+server+" -handler "+handler+" -i "+oldKey); err == nil {
					t.Errorf("%s logged in after leaving:\n%s", handler, out)
				}
			default:
				check(t, amal, newKey, true, old, cur)
				if out, err := amal.run(cleanEnv(), "casectl login -server "+server+" -handler "+handler+" -i "+newKey); err != nil {
					t.Errorf("%s cannot log in with the new key: %v\n%s", handler, err, out)
				}
			}
			// The colleague still opens everything.
			check(t, colleague, oldKey, true, old, cur)
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
