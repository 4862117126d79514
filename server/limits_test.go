package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// floodRequests is how many requests each flood sends, floodWorkers how
// many at once.
const (
	floodRequests = 1000
	floodWorkers  = 50
)

// flood sends floodRequests requests, floodWorkers at a time, each made by
// req(i), and counts the answers by status. started is closed once a tenth
// of them have been answered, so a test can let a real user in while the
// flood is running.
func flood(t *testing.T, req func(i int) *http.Request) (statuses map[int]int, started <-chan struct{}, wait func()) {
	t.Helper()
	var mu sync.Mutex
	statuses = map[int]int{}
	st := make(chan struct{})
	var once sync.Once
	var next, answered atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: floodWorkers}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	for range floodWorkers {
		wg.Go(func() {
			defer once.Do(func() { close(st) }) // never leave the test waiting
			for {
				i := int(next.Add(1)) - 1
				if i >= floodRequests {
					return
				}
				resp, err := hc.Do(req(i))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
				if answered.Add(1) == floodRequests/10 {
					once.Do(func() { close(st) })
				}
			}
		})
	}
	return statuses, st, wg.Wait
}

// shared and many are the two kinds of flood: every request from one
// address (as every Tor user reaches the onion service from 127.0.0.1, or
// an office behind NAT), and from 50 addresses (told apart through a
// trusted proxy's X-Forwarded-For).
var floodSources = []struct {
	name string
	addr func(i int) string // "" for the connection's own address
}{
	{"one shared address", func(int) string { return "" }},
	{"50 addresses", func(i int) string { return fmt.Sprintf("198.51.100.%d", 1+i%50) }},
}

// TestChallengeFloodsCannotLockOutAHandler: 1,000 login challenges from
// one shared address, and 1,000 from 50 addresses, for real and unknown
// names, are all answered, and a real handler logs in with the casework
// client and a real age identity while each flood runs, in well under a
// minute. No challenge is stored when it is issued.
func TestChallengeFloodsCannotLockOutAHandler(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, storetest.NewDB(t), server.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	id := e.addHandler("amal", "reprisals-team")
	for _, src := range floodSources {
		t.Run(src.name, func(t *testing.T) {
			statuses, started, wait := flood(t, func(i int) *http.Request {
				name := []string{"amal", "nobody", fmt.Sprintf("u%04d", i)}[i%3]
				req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/handler/login/challenge", strings.NewReader(`{"handler":"`+name+`"}`))
				req.Header.Set("Content-Type", "application/json")
				if a := src.addr(i); a != "" {
					req.Header.Set("X-Forwarded-For", a)
				}
				return req
			})
			<-started
			c, err := handlerapi.New(e.srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := c.Login(ctx, "amal", id)
			took := time.Since(begin)
			if err != nil || res.Handler != "amal" {
				t.Errorf("the handler's login during the flood: %v", err)
			} else if _, err := c.Team(ctx); err != nil {
				t.Errorf("the handler's session: %v", err)
			} else {
				t.Logf("the handler got in after %v, during the flood", took.Round(time.Millisecond))
			}
			wait()
			if statuses[200] != floodRequests {
				t.Errorf("flood answers %v, want %d × 200 (no limit to trip)", statuses, floodRequests)
			}
		})
	}
	var spent int
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM spent_challenges`).Scan(&spent); err != nil {
		t.Fatal(err)
	}
	if spent != len(floodSources) {
		t.Errorf("%d challenges recorded after %d floods and %d logins, want %d (only answered ones)", spent, len(floodSources), len(floodSources), len(floodSources))
	}
}

// TestSignInFloodsCannotLockOutStaff: 1,000 wrong sign-ins from one shared
// address, and 1,000 from 50 addresses, for the account itself and for
// unknown names, are all refused as wrong (never "too many"), and the
// account's owner signs in with the right password and code while each
// flood runs, in well under a minute. Nothing is counted against the
// account.
func TestSignInFloodsCannotLockOutStaff(t *testing.T) {
	t.Parallel()
	w := newOrgWorldWith(t, server.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	// One account per flood: a TOTP code signs in once.
	for k, src := range floodSources {
		user := []string{"staff-nhri-a", "staff-ngo-b"}[k]
		cr := w.creds[user]
		t.Run(src.name, func(t *testing.T) {
			statuses, started, wait := flood(t, func(i int) *http.Request {
				f := url.Values{"username": {user}, "password": {fmt.Sprintf("wrong-%04d", i)}, "code": {"000000"}}
				switch i % 4 {
				case 1:
					f.Set("username", fmt.Sprintf("staff-%04d", i))
				case 2:
					// A password one character off the right one.
					f.Set("password", cr.Password[:len(cr.Password)-1]+"0")
					if f.Get("password") == cr.Password {
						f.Set("password", cr.Password[:len(cr.Password)-1]+"1")
					}
				}
				req, _ := http.NewRequest("POST", w.srv.URL+"/org/login", strings.NewReader(f.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if a := src.addr(i); a != "" {
					req.Header.Set("X-Forwarded-For", a)
				}
				return req
			})
			<-started
			begin := time.Now()
			r := w.signIn(t, client(), user, cr.Password, code(t, cr.TOTPSecret, time.Now()))
			took := time.Since(begin)
			if r.StatusCode != http.StatusSeeOther || took > time.Minute {
				t.Errorf("the right password and code during the flood: %d after %v, want 303 within a minute", r.StatusCode, took)
			} else {
				t.Logf("the staff member got in after %v, during the flood", took.Round(time.Millisecond))
			}
			wait()
			if statuses[http.StatusUnauthorized] != floodRequests {
				t.Errorf("flood answers %v, want %d × 401 (no limit to trip)", statuses, floodRequests)
			}
			if failed, locked := w.staffLock(t, user); failed != 0 || locked {
				t.Errorf("after the flood: failed_attempts = %d, locked = %v; want 0, false", failed, locked)
			}
		})
	}
}

// TestParallelAnswersSpendAChallengeOnce races 20 right answers to one
// challenge: exactly one logs in, and exactly one record is kept.
func TestParallelAnswersSpendAChallengeOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("amal", "reprisals-team")
	ch := e.challenge("amal")
	right, err := e.answer("amal", ch, id)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	body := `{"challenge_id":"` + ch.ChallengeID + `","answer":"` + right + `"}`
	start := make(chan struct{})
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			resp, err := http.Post(e.srv.URL+"/api/v1/handler/login", "application/json", strings.NewReader(body))
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
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[200] != 1 || got[401] != n-1 {
		t.Errorf("%d parallel right answers to one challenge: %v, want 1 × 200 and %d × 401", n, got, n-1)
	}
	var spent, sessions int
	pool := e.db.Pool()
	pool.QueryRow(context.Background(), `SELECT count(*) FROM spent_challenges`).Scan(&spent)
	pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions`).Scan(&sessions)
	if spent != 1 || sessions != 1 {
		t.Errorf("spent_challenges = %d, sessions = %d; want 1, 1", spent, sessions)
	}
}
