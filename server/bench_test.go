package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// benchResult is one path's figures.
type benchResult struct {
	rps      float64
	p50, p99 time.Duration
}

// BenchmarkSubmit measures reports per second and latency through the real
// HTTP handler into a durable PostgreSQL (validation, sealing, storage), beside a
// bare handler that reads the same body and inserts the same number of
// bytes with no validation or encryption, in one run. The target is the
// full path at 70% or more of the bare path's throughput.
//
//	go test ./server -run '^$' -bench Submit -benchtime 4s
func BenchmarkSubmit(b *testing.B) {
	e := newEnvOn(b, storetest.NewDurableDB(b))
	report := intaketest.Report("upr")
	body, err := json.Marshal(report)
	if err != nil {
		b.Fatal(err)
	}
	// Learn the size the full path stores for this report.
	if resp, out := e.postJSON(report); resp.StatusCode != http.StatusCreated {
		b.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	var stored int
	if err := e.db.Pool().QueryRow(context.Background(), "SELECT octet_length(ciphertext) FROM reports LIMIT 1").Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.Pool().Exec(context.Background(), "CREATE TABLE bare (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), data bytea NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	// The bare handler sits behind the same middleware as the real one, so
	// the difference is validation, sealing and the clear metadata only.
	e.echo.POST("/bench/bare", func(c echo.Context) error {
		in, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
		if err != nil {
			return err
		}
		data := make([]byte, stored)
		copy(data, in)
		if _, err := e.db.Pool().Exec(c.Request().Context(), "INSERT INTO bare (data) VALUES ($1)", data); err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]string{"reference": "XXXX-XXXX"})
	})
	oneTeam, err := json.Marshal(intaketest.Report("hrc_session"))
	if err != nil {
		b.Fatal(err)
	}

	results := map[string]benchResult{}
	for _, path := range []struct {
		name, url string
		body      []byte
	}{
		{"full-upr-2teams", e.srv.URL + "/api/v1/reports", body},
		{"full-other-1team", e.srv.URL + "/api/v1/reports", oneTeam},
		{"bare", e.srv.URL + "/bench/bare", body},
	} {
		b.Run(path.name, func(b *testing.B) {
			results[path.name] = runLoad(b, path.url, path.body)
		})
	}
	bareRes := results["bare"]
	for _, name := range []string{"full-upr-2teams", "full-other-1team"} {
		if full := results[name]; bareRes.rps > 0 && full.rps > 0 {
			b.Logf("%s: %.0f req/s (p50 %v, p99 %v) vs bare %.0f req/s (p50 %v, p99 %v), %d bytes stored: full/bare = %.0f%% (target >= 70%%)",
				name, full.rps, full.p50, full.p99, bareRes.rps, bareRes.p50, bareRes.p99, stored, 100*full.rps/bareRes.rps)
		}
	}
}

// runLoad posts body to url b.N times from 8 concurrent clients.
func runLoad(b *testing.B, url string, body []byte) benchResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4) // 4 x GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return benchResult{}
	}
	slices.Sort(lat)
	r := benchResult{
		rps: float64(len(lat)) / elapsed.Seconds(),
		p50: lat[len(lat)*50/100],
		p99: lat[min(len(lat)-1, len(lat)*99/100)],
	}
	b.ReportMetric(r.rps, "req/s")
	b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99-ms")
	return r
}
