package notify_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// BenchmarkAlerts measures alert delivery to a relay on loopback (with
// STARTTLS and AUTH, as in production) from a durable PostgreSQL:
//
//   - drain: alerts delivered per second when b.N alerts are waiting (say,
//     the relay just came back), one worker;
//
//   - live: b.N reports committed at a steady 100 a second (far above the
//     expected load) while one worker runs, and the delay from each
//     report's commit to the relay accepting its alert (p50, p99).
//
//     go test ./notify -run '^$' -bench Alerts -benchtime 2000x
func BenchmarkAlerts(b *testing.B) {
	r := newRelay(b, nil)
	// No flood coalescing: this measures one e-mail per alert.
	s := newSetupOn(b, r, func(c *config.Config) { c.Alerts.FloodBudget = 1 << 30 }, storetest.NewDurableDB(b))

	b.Run("drain", func(b *testing.B) {
		before := len(r.Messages())
		for range b.N {
			s.submit(intaketest.Report("hrc_session"))
		}
		b.ResetTimer()
		start := time.Now()
		run(b, s.worker(nil))
		waitMessages(b, r.Sink, before+b.N)
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "alerts/s")
	})

	b.Run("live", func(b *testing.B) {
		before := len(r.Messages())
		run(b, s.worker(nil))
		committed := map[string]time.Time{}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			<-tick.C
			acc := s.submit(intaketest.Report("hrc_session"))
			committed[acc.Reference] = time.Now()
		}
		waitMessages(b, r.Sink, before+b.N)
		elapsed := time.Since(start)
		b.StopTimer()

		var delays []time.Duration
		for _, m := range r.Messages()[before:] {
			id := parse(b, m.Data).header.Get("Message-Id") // <report-REF.team@domain>
			ref, _, _ := strings.Cut(strings.TrimPrefix(id, "<report-"), ".")
			at, ok := committed[ref]
			if !ok {
				b.Fatalf("alert %s matches no report", id)
			}
			delays = append(delays, m.At.Sub(at))
		}
		slices.Sort(delays)
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "alerts/s")
		b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(delays[min(len(delays)-1, len(delays)*99/100)].Microseconds())/1000, "p99-ms")
	})
}
