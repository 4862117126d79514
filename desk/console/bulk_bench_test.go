package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// BenchmarkBulkClose closes 1,000 cases as "not a report" from the
// console, end to end against the real server (PostgreSQL, HTTP on
// loopback): the bulk form posted with "all that match", the review page,
// the confirmation, each case's PATCH with its audit entry, and the
// result page. Each iteration first submits 1,000 new reports and loads
// them into the console, outside the timer.
//
//	go test ./desk/console -run '^$' -bench BulkClose -benchtime 3x
func BenchmarkBulkClose(b *testing.B) {
	const n = 1000
	e := newEnv(b)
	id := e.handler("omar", "reprisals-team")
	con, src, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	seed := func() {
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range 4 {
			wg.Go(func() {
				for i := range jobs {
					r := intaketest.Report("hrc_session")
					r.Incidents[0].Narrative = fmt.Sprintf("%s %d", junkText, i)
					if _, err := e.svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic}); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		if err := src.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := src.WaitLoaded(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	// The console's 4 requests at a time, and one at a time for
	// comparison, in the same run.
	for _, workers := range []int{4, 1} {
		b.Run(fmt.Sprintf("workers-%d", workers), func(b *testing.B) {
			defer console.SetBulkWorkers(console.SetBulkWorkers(workers))
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				seed()
				b.StartTimer()
				start := time.Now()
				_, result := bulkRun(b, hc, con, url.Values{"action": {"close"}, "all": {"1"}, "filter": {"status=received"}})
				total += time.Since(start)
				if !strings.Contains(result, fmt.Sprintf("%d cases were changed", n)) {
					b.Fatalf("not every case was closed:\n%.2000s", result)
				}
			}
			getPage(b, hc, base+"/")
			b.ReportMetric(total.Seconds()/float64(b.N), "s/1000-cases")
		})
	}
}
