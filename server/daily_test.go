package server

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// TestDailyCounter: a count shows only once its UTC day is over, so a
// scrape dates it to the day and no closer; counts add up across days.
func TestDailyCounter(t *testing.T) {
	now := time.Date(2026, 3, 4, 23, 59, 0, 0, time.FixedZone("east", 3*3600)) // 20:59 UTC
	d := newDailyCounter("test_total", "Test.", "route")
	d.now = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(d)
	scrape := func() string {
		fs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, f := range fs {
			expfmt.MetricFamilyToText(&b, f)
		}
		return b.String()
	}
	steps := []struct {
		advance time.Duration
		incs    []string
		want    string // a line of the scrape; "" for no sample
	}{
		{0, []string{"/report", "/report"}, ""},
		{2 * time.Hour, nil, ""},                                              // 22:59 UTC, still the same UTC day
		{2 * time.Hour, []string{"/report"}, `test_total{route="/report"} 2`}, // 00:59 UTC: the day is over
		{time.Hour, []string{"/return"}, `test_total{route="/report"} 2`},     // today's counts wait
		{24 * time.Hour, nil, `test_total{route="/report"} 3` + "\n" + `test_total{route="/return"} 1`},
		{48 * time.Hour, nil, `test_total{route="/report"} 3` + "\n" + `test_total{route="/return"} 1`},
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		for _, r := range st.incs {
			d.inc(r)
		}
		out := scrape()
		if st.want == "" {
			if strings.Contains(out, "test_total{") {
				t.Errorf("step %d (%s): a count of a day in progress shows:\n%s", i, now.UTC(), out)
			}
			continue
		}
		if !strings.Contains(out, st.want) {
			t.Errorf("step %d (%s): want %q in:\n%s", i, now.UTC(), st.want, out)
		}
	}
	var nilCounter *dailyCounter
	nilCounter.inc("x") // a server without metrics
}
