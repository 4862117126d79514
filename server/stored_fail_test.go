package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
)

// metricsText is the text exposition of everything in reg.
func metricsText(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		expfmt.MetricFamilyToText(&b, f)
	}
	return b.String()
}

// waitFor waits, at most 10 s, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestNoLogLineAfterAStoredReport: when the database goes away after a
// first file of an upload was stored, the failure of the file that
// follows is neither logged (a line's time would date what was stored to
// the second) nor counted in a live metric: it is counted by day only.
// Files sent with a report are staged and committed with the report, so
// there the same failure stores nothing at all: the form comes back with
// every answer, and the failure may be logged, as nothing is dated by it;
// what was staged, which could not be deleted while the database was
// away, is removed by the sweep once its lease is over.
func TestNoLogLineAfterAStoredReport(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	u := newUploadEnv(t, server.Options{Metrics: reg, UploadLease: time.Second}, 20*time.Second)
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 600<<10/16)

	// 1. Files sent with the report: the database goes away during the
	// file, before anything is committed.
	_, form := get(t, client(), u.up.URL+"/report")
	m := regexp.MustCompile(`name="submission" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatal("the form carries no submission token")
	}
	v := formValues(intaketest.Report("hrc_session"))
	v.Set("submission", m[1])
	v.Set("action", "submit")
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	for k, vals := range v {
		for _, s := range vals {
			w.WriteField(k, s)
		}
	}
	w.CreateFormFile("files", "statement.mp4")
	conn := u.rawUpload("/report", w.Boundary(), 100<<20, append(head.Bytes(), chunk...))
	waitStaged(t, u.env, 1) // the file under way, staged, nothing committed
	u.db.SetReachable(t, false)
	// The next chunk cannot be stored. More follows, as a browser sends
	// the rest of the form, until the server answers and closes.
	go func() {
		for range 4 {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	resp, page := readResponse(t, conn, 15*time.Second)
	u.db.SetReachable(t, true)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(page, `id="receipt"`) || !strings.Contains(page, `id="banner"`) {
		t.Fatalf("status %d, want 503 with the form and its banner, no receipt: %.500s", resp.StatusCode, page)
	}
	waitFor(t, "the database is back", func() bool { return u.db.Pool().Ping(t.Context()) == nil })
	sweep := intake.NewService(u.db.DB, u.teams.Config, nil)
	waitFor(t, "the sweep removes what was staged", func() bool {
		sweep.CleanUp(t.Context())
		rows, _ := u.attachmentRows()
		return rows == 0
	})
	assertNothingStored(t, u.env)
	if l := u.logs.String(); strings.Contains(l, "statement.mp4") {
		t.Errorf("a file name was logged:\n%s", l)
	}
	logged := len(u.logs.String())

	// 2. An upload of two files: the first is stored, then the database
	// goes away during the second.
	_, token := u.uploadToken("hrc_session")
	var b bytes.Buffer
	w = multipart.NewWriter(&b)
	w.WriteField("visit", token)
	p, _ := w.CreateFormFile("files", "first.txt")
	p.Write([]byte("the first file"))
	w.CreateFormFile("files", "second.mp4")
	rows0, _ := u.attachmentRows()
	conn = u.rawUpload("/attachments", w.Boundary(), 100<<20, append(b.Bytes(), chunk...))
	waitFor(t, "the first file and a chunk of the second are stored", func() bool { rows, _ := u.attachmentRows(); return rows >= rows0+2 })
	u.db.SetReachable(t, false)
	conn.Write(chunk)
	resp, page = readResponse(t, conn, 15*time.Second)
	u.db.SetReachable(t, true)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %.500s", resp.StatusCode, page)
	}

	if l := u.logs.String()[logged:]; l != "" {
		t.Errorf("log lines after a stored file (their time dates it):\n%s", l)
	}
	out := metricsText(t, reg)
	// The failed /report stored nothing, so its live count dates nothing.
	for _, route := range []string{`route="/attachments"`} {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, route) {
				t.Errorf("a live (or today's) metric of a stored report or file: %s", line)
			}
		}
	}
}
