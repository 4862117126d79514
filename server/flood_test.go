package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/notify"
)

// TestFloodOfReportsThroughHTTP: 500 reports posted at once to the JSON
// API (no per-client cap stops any: over Tor they would all share one
// address) make a bounded number of alert e-mails at a real SMTP server,
// every report is named in one of them, and every report is listed for the
// team's handlers through the handler API.
func TestFloodOfReportsThroughHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	relay := &notify.Sink{}
	addr, err := relay.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	cfg := e.teams.Config
	host, port, _ := net.SplitHostPort(addr)
	cfg.SMTP.Host, cfg.SMTP.TLS, cfg.SMTP.AllowInsecure = host, "none", true
	cfg.SMTP.Port, _ = strconv.Atoi(port)
	w, err := notify.NewWorker(e.db.DB, cfg, slog.New(slog.DiscardHandler), notify.NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	w.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })

	const n = 500
	body, _ := json.Marshal(intaketest.Report("hrc_session")) // routed to the reprisals team only
	refs := make(chan string, n)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				resp, err := http.Post(e.srv.URL+"/api/v1/reports", "application/json", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				var acc struct{ Reference string }
				json.NewDecoder(resp.Body).Decode(&acc)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("report %d: %d", i, resp.StatusCode)
					return
				}
				refs <- acc.Reference
			}
		})
	}
	wg.Wait()
	close(refs)
	if t.Failed() {
		t.FailNow()
	}

	// The worker runs through the flood's window and the next.
	runAll := func() {
		for {
			k, err := w.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				return
			}
		}
	}
	runAll()
	mu.Lock()
	now = now.Add(cfg.Alerts.FloodWindow.Duration)
	mu.Unlock()
	runAll()

	msgs := relay.Messages()
	if max := 2 * cfg.Alerts.FloodBudget; len(msgs) > max {
		t.Errorf("%d alert e-mails for %d reports, want at most %d", len(msgs), n, max)
	}
	var all strings.Builder
	for _, m := range msgs {
		all.Write(m.Data)
	}
	for ref := range refs {
		if !strings.Contains(all.String(), ref) {
			t.Errorf("report %s is named in no alert", ref)
		}
	}
	t.Logf("%d reports through HTTP: %d alert e-mails", n, len(msgs))

	// Every report is listed for the team's handlers.
	id := e.addHandler("flood-handler", "reprisals-team")
	tok := e.login("flood-handler", id)
	listed := map[string]bool{}
	for page := 1; page <= 6; page++ {
		var list handlerapi.CaseList
		if code := e.api(tok, "GET", fmt.Sprintf("/cases?per_page=100&page=%d", page), nil, &list); code != 200 {
			t.Fatalf("listing cases: %d", code)
		}
		for _, c := range list.Cases {
			listed[c.Reference] = true
		}
	}
	if len(listed) != n {
		t.Errorf("%d cases listed for handlers, want %d", len(listed), n)
	}
}
