package server

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dailyCounter is a Prometheus counter whose scraped value holds only
// what was counted on UTC days that are over: a count made today first
// shows at the first scrape after midnight. So a scrape, however
// frequent, places what it counts to its day and no closer, like the clear
// record of a report. It counts what happens on reporter routes. Counts
// of the day in progress are lost on a restart.
type dailyCounter struct {
	desc *prometheus.Desc
	now  func() time.Time

	mu     sync.Mutex
	day    string              // the UTC day of the counts in today
	shown  map[string]float64  // by label values joined with "\x00"
	today  map[string]float64  // not shown until the day is over
	labels map[string][]string // label values by key
}

func newDailyCounter(name, help string, labels ...string) *dailyCounter {
	return &dailyCounter{
		desc: prometheus.NewDesc(name, help+" Counts only UTC days that are over.", labels, nil),
		now:  time.Now, shown: map[string]float64{}, today: map[string]float64{}, labels: map[string][]string{},
	}
}

// inc counts one event with the given label values.
func (d *dailyCounter) inc(values ...string) {
	if d == nil {
		return
	}
	k := strings.Join(values, "\x00")
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roll()
	d.today[k]++
	if _, ok := d.labels[k]; !ok {
		d.labels[k] = values // a series appears only once its day is over
	}
}

// roll moves the counts of a day that is over into those shown. d.mu is
// held.
func (d *dailyCounter) roll() {
	day := d.now().UTC().Format(time.DateOnly)
	if day == d.day {
		return
	}
	for k, v := range d.today {
		d.shown[k] += v
	}
	clear(d.today)
	d.day = day
}

// Describe implements prometheus.Collector.
func (d *dailyCounter) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

// Collect implements prometheus.Collector.
func (d *dailyCounter) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roll()
	for k, v := range d.shown {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, v, d.labels[k]...)
	}
}
