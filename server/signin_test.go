package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intermediary"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// staffLock reads an account's failure count and whether it is locked now.
func (w *orgWorld) staffLock(t *testing.T, username string) (failed int, locked bool) {
	t.Helper()
	err := w.e.db.Pool().QueryRow(context.Background(),
		`SELECT failed_attempts, coalesce(locked_until > now(), false) FROM staff WHERE username = $1`, username).Scan(&failed, &locked)
	if err != nil {
		t.Fatal(err)
	}
	return failed, locked
}

// wrongCode returns a six-digit code that is not the account's code for
// any step the server would accept around now.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now()
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", i)
		if c != code(t, secret, now.Add(-30*time.Second)) && c != code(t, secret, now) && c != code(t, secret, now.Add(30*time.Second)) {
			return c
		}
	}
}

// lockAccount makes MaxFailures attempts with the right password and a
// wrong code, which locks the account.
func (w *orgWorld) lockAccount(t *testing.T, username string) {
	t.Helper()
	cr := w.creds[username]
	for range intermediary.MaxFailures {
		w.signIn(t, client(), username, cr.Password, wrongCode(t, cr.TOTPSecret))
	}
	if _, locked := w.staffLock(t, username); !locked {
		t.Fatalf("%d wrong codes did not lock %s", intermediary.MaxFailures, username)
	}
}

// TestParallelSignInsNeverExceedTheLimit races sign-ins with the right
// password and wrong codes for one account (someone who has the password
// guessing the second factor): however many arrive at once, at most
// MaxFailures are admitted and checked before the account locks.
func TestParallelSignInsNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	const n = 15
	cr := w.creds["staff-nhri-a"]
	wrong := wrongCode(t, cr.TOTPSecret)
	var wg sync.WaitGroup
	codes := make(chan int, n)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			resp, err := client().PostForm(w.srv.URL+"/org/login", url.Values{"username": {"staff-nhri-a"}, "password": {cr.Password}, "code": {wrong}})
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusUnauthorized {
			t.Errorf("parallel wrong sign-in: %d, want 401", c)
		}
	}
	failed, locked := w.staffLock(t, "staff-nhri-a")
	if failed != intermediary.MaxFailures || !locked {
		t.Errorf("after %d parallel wrong sign-ins: failed_attempts = %d, locked = %v; want %d, true", n, failed, locked, intermediary.MaxFailures)
	}
	if r := w.signIn(t, client(), "staff-nhri-a", cr.Password, code(t, cr.TOTPSecret, time.Now())); r.StatusCode != 401 {
		t.Errorf("the right credentials on a locked account: %d, want 401", r.StatusCode)
	}
}

// TestWrongPasswordsNeverLock: someone who knows only a username cannot
// lock the account, however many wrong passwords they send at once; the
// right credentials still work afterwards.
func TestWrongPasswordsNeverLock(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	var wg sync.WaitGroup
	for range 3 * intermediary.MaxFailures {
		wg.Go(func() {
			resp, err := client().PostForm(w.srv.URL+"/org/login", url.Values{"username": {"staff-nhri-a"}, "password": {"wrong"}, "code": {"000000"}})
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("wrong password: %d, want 401", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if failed, locked := w.staffLock(t, "staff-nhri-a"); failed != 0 || locked {
		t.Errorf("after %d wrong passwords: failed_attempts = %d, locked = %v; want 0, false", 3*intermediary.MaxFailures, failed, locked)
	}
	cr := w.creds["staff-nhri-a"]
	if r := w.signIn(t, client(), "staff-nhri-a", cr.Password, code(t, cr.TOTPSecret, time.Now())); r.StatusCode != 303 {
		t.Errorf("the right credentials after a flood of wrong passwords: %d, want 303", r.StatusCode)
	}
}

// TestExpiredLockDoesNotRelock: once a lock has expired, one wrong try is
// one failure, not a new lock, and the right credentials then work.
func TestExpiredLockDoesNotRelock(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	w.lockAccount(t, "staff-nhri-a")
	cr := w.creds["staff-nhri-a"]
	// Let the lock expire.
	if _, err := w.e.db.Pool().Exec(context.Background(), `UPDATE staff SET locked_until = now() - interval '1 second' WHERE username = 'staff-nhri-a'`); err != nil {
		t.Fatal(err)
	}
	if r := w.signIn(t, client(), "staff-nhri-a", cr.Password, wrongCode(t, cr.TOTPSecret)); r.StatusCode != 401 {
		t.Fatalf("one wrong try after the lock expired: %d", r.StatusCode)
	}
	if failed, locked := w.staffLock(t, "staff-nhri-a"); failed != 1 || locked {
		t.Errorf("after the lock expired and one failure: failed_attempts = %d, locked = %v; want 1, false", failed, locked)
	}
	if r := w.signIn(t, client(), "staff-nhri-a", cr.Password, code(t, cr.TOTPSecret, time.Now())); r.StatusCode != 303 {
		t.Errorf("the right credentials after one failure: %d, want 303", r.StatusCode)
	}
	if failed, _ := w.staffLock(t, "staff-nhri-a"); failed != 0 {
		t.Errorf("a success left failed_attempts = %d", failed)
	}
}

// TestUnknownAndLockedAnswerAlike: a locked account, an unknown name and a
// wrong password get the same status and page, so usernames cannot be
// told apart.
func TestUnknownAndLockedAnswerAlike(t *testing.T) {
	t.Parallel()
	w := newOrgWorld(t)
	w.lockAccount(t, "staff-ngo-b")
	b := w.creds["staff-ngo-b"]
	answer := func(user, password, totp string) (int, string) {
		resp, err := client().PostForm(w.srv.URL+"/org/login", url.Values{"username": {user}, "password": {password}, "code": {totp}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The page echoes the username back; compare the rest.
		return resp.StatusCode, strings.ReplaceAll(string(body), user, "USER")
	}
	lockedStatus, lockedPage := answer("staff-ngo-b", b.Password, code(t, b.TOTPSecret, time.Now()))
	unknownStatus, unknownPage := answer("staff-ngo-x", b.Password, code(t, b.TOTPSecret, time.Now()))
	wrongStatus, wrongPage := answer("staff-nhri-a", "wrong", "000000")
	if lockedStatus != 401 || unknownStatus != 401 || wrongStatus != 401 {
		t.Errorf("statuses: locked %d, unknown %d, wrong password %d; want 401 for all", lockedStatus, unknownStatus, wrongStatus)
	}
	if lockedPage != unknownPage || wrongPage != unknownPage {
		t.Error("a locked account, an unknown name and a wrong password get different pages")
	}
	if !strings.Contains(unknownPage, "locked for 15 minutes") {
		t.Error("the answer does not say that accounts lock after failures")
	}
}

// TestSignInsLimitedPerClient: one client gets 429 after its budget, with
// Retry-After; another client (told apart through a trusted proxy) is not
// affected.
func TestSignInsLimitedPerClient(t *testing.T) {
	t.Parallel()
	w := newOrgWorldWith(t, server.Options{SignInsPerClient: 3, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	cr := w.creds["staff-nhri-a"]
	wrong := wrongCode(t, cr.TOTPSecret)
	from := func(addr string) *http.Response {
		req, _ := http.NewRequest("POST", w.srv.URL+"/org/login",
			strings.NewReader(url.Values{"username": {"staff-nhri-a"}, "password": {cr.Password}, "code": {wrong}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", addr)
		resp, err := client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := range 3 {
		if r := from("198.51.100.1"); r.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i+1, r.StatusCode)
		}
	}
	r := from("198.51.100.1")
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("over the per-client limit: %d, Retry-After %q; want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := from("198.51.100.2"); r.StatusCode != 401 {
		t.Errorf("another client: %d, want 401", r.StatusCode)
	}
	// The refused attempt was not counted against the account.
	if failed, _ := w.staffLock(t, "staff-nhri-a"); failed != 4 {
		t.Errorf("failed_attempts = %d, want 4", failed)
	}
}

// TestChallengeFloodsAreLimited: login challenges get a clear 429 (JSON,
// with Retry-After) beyond the per-client limit, and beyond the global
// limit whatever the client.
func TestChallengeFloodsAreLimited(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, storetest.NewDB(t), server.Options{ChallengesPerClient: 4, ChallengesGlobal: 10,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	ask := func(addr string) (*http.Response, []byte) {
		return e.do("POST", "/api/v1/handler/login/challenge", "application/json", strings.NewReader(`{"handler":"nobody"}`), "X-Forwarded-For", addr)
	}
	for i := range 4 {
		if r, _ := ask("198.51.100.1"); r.StatusCode != 200 {
			t.Fatalf("challenge %d: %d", i+1, r.StatusCode)
		}
	}
	r, body := ask("198.51.100.1")
	var apiErr struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(body, &apiErr)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || apiErr.Error.Code != "too_many_requests" || !strings.Contains(apiErr.Error.Message, "wait") {
		t.Errorf("over the per-client limit: %d %s (Retry-After %q)", r.StatusCode, body, r.Header.Get("Retry-After"))
	}
	// Other clients share the global budget: 6 more, then 429 for all.
	for i := range 6 {
		if r, _ := ask("198.51.100." + string(rune('2'+i))); r.StatusCode != 200 {
			t.Fatalf("client %d within the global limit: %d", i+2, r.StatusCode)
		}
	}
	if r, _ := ask("203.0.113.9"); r.StatusCode != 429 {
		t.Errorf("over the global limit: %d, want 429", r.StatusCode)
	}
	var stored int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM challenges`).Scan(&stored)
	if stored != 10 {
		t.Errorf("%d challenges stored, want 10 (the global limit)", stored)
	}
}

// TestUnusedChallengesArePruned: expired and answered challenges are
// deleted when the next one is made.
func TestUnusedChallengesArePruned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 5 {
		if r, _ := e.do("POST", "/api/v1/handler/login/challenge", "application/json", strings.NewReader(`{"handler":"nobody"}`)); r.StatusCode != 200 {
			t.Fatalf("challenge: %d", r.StatusCode)
		}
	}
	pool := e.db.Pool()
	ctx := context.Background()
	pool.Exec(ctx, `UPDATE challenges SET expires_at = now() - interval '1 second' WHERE id IN (SELECT id FROM challenges LIMIT 3)`)
	pool.Exec(ctx, `UPDATE challenges SET used = true WHERE expires_at > now()`)
	if r, _ := e.do("POST", "/api/v1/handler/login/challenge", "application/json", strings.NewReader(`{"handler":"nobody"}`)); r.StatusCode != 200 {
		t.Fatalf("challenge: %d", r.StatusCode)
	}
	var left int
	pool.QueryRow(ctx, `SELECT count(*) FROM challenges`).Scan(&left)
	if left != 1 {
		t.Errorf("%d challenges left, want 1 (expired and used ones pruned)", left)
	}
}
