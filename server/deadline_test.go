package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// lockReports holds an exclusive lock on the reports table from a
// connection of its own, as a long transaction elsewhere would, until
// the returned function is called.
func lockReports(t *testing.T, db *storetest.DB) (release func()) {
	t.Helper()
	tx, err := db.Pool().Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), `LOCK TABLE reports IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			tx.Rollback(context.Background())
		}
	}
	t.Cleanup(release)
	return release
}

// TestReportNotStoredPastItsDeadline: a lock held elsewhere makes the
// insert of a report wait past the answer deadline. The reporter is told
// at once (within the deadline) that nothing was saved, the report is not
// stored once the lock goes (no report the reporter never saw the receipt
// of), and sending again then works. Once with lock_timeout longer than
// the deadline (the deadline rolls back), once with the default pool
// timeouts and a long deadline (lock_timeout ends the wait).
func TestReportNotStoredPastItsDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		pool     store.Pool
		deadline time.Duration
		within   time.Duration
	}{
		{"deadline", store.Pool{MaxConns: 8, LockTimeout: 30 * time.Second, StatementTimeout: 30 * time.Second}, time.Second, 4 * time.Second},
		{"lock_timeout", storetest.Pool(8), 20 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := storetest.NewDB(t)
			pool, err := store.OpenPool(context.Background(), base.URL, tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			e := newEnvWith(t, &storetest.DB{DB: pool, Name: base.Name, URL: base.URL}, server.Options{AnswerDeadline: tc.deadline})

			release := lockReports(t, base)
			start := time.Now()
			resp, body := e.postJSON(intaketest.Report("upr"))
			took := time.Since(start)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("JSON report under a lock: status %d (Retry-After %q), want 503 with Retry-After: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			var out map[string]any
			if err := json.Unmarshal(body, &out); err != nil || !strings.Contains(strings.ToLower(body2s(body)), "not saved") {
				t.Errorf("the answer should say plainly that nothing was saved: %s", body)
			}
			if took > tc.within {
				t.Errorf("answered after %v, want within %v", took.Round(time.Millisecond), tc.within)
			}

			v := formValues(intaketest.Report("upr"))
			v.Set("action", "submit")
			v.Set("submission", e.submissionToken())
			start = time.Now()
			resp, body = e.postForm(v, "Accept-Language", "en")
			took = time.Since(start)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("form under a lock: status %d, want 503", resp.StatusCode)
			}
			if doc := parseHTML(t, body); byID(doc, "banner") == nil || tokenOf(doc) != v.Get("submission") {
				t.Errorf("the form should come back with its answers, its token and a banner:\n%s", body)
			}
			if took > tc.within {
				t.Errorf("form answered after %v, want within %v", took.Round(time.Millisecond), tc.within)
			}

			release()
			if n := e.count(); n != 0 {
				t.Fatalf("%d reports stored after the lock went, want none: their senders were told nothing was saved", n)
			}
			if resp, body := e.postJSON(intaketest.Report("upr")); resp.StatusCode != http.StatusCreated {
				t.Fatalf("sent again: status %d: %s", resp.StatusCode, body)
			}
			if resp, body := e.postForm(v, "Accept-Language", "en"); resp.StatusCode != http.StatusOK || byID(parseHTML(t, body), "receipt") == nil {
				t.Fatalf("form sent again: status %d, want its receipt", resp.StatusCode)
			}
			if n := e.count(); n != 2 {
				t.Errorf("%d reports, want 2", n)
			}
		})
	}
}

func body2s(b []byte) string { return string(b) }
