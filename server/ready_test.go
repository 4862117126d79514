package server_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/server"
)

func TestReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	cases, _ := casework.NewService(e.db.DB, e.teams.Config)
	h, err := server.New(intake.NewService(e.db.DB, e.teams.Config, nil), cases, slog.New(slog.DiscardHandler),
		server.Options{Ready: e.db.Ready, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if code := get("/readyz"); code != 200 {
		t.Fatalf("ready: %d", code)
	}
	e.db.SetReachable(t, false)
	if code := get("/readyz"); code != 503 {
		t.Errorf("with the database down: %d, want 503", code)
	}
	if code := get("/healthz"); code != 200 {
		t.Errorf("healthz while the database is down: %d (the process is alive)", code)
	}
	e.db.SetReachable(t, true)
	if code := get("/readyz"); code != 200 {
		t.Errorf("after the database came back: %d", code)
	}
	e.db.Pool().Exec(t.Context(), `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`)
	if code := get("/readyz"); code != 503 {
		t.Errorf("with migrations behind: %d, want 503", code)
	}

	// Requests that carry a reference, a receipt and an address: none of
	// them may become a label.
	acc := e.submitted("hrc_session")
	get("/report")
	get("/nowhere-" + acc.Reference)
	http.PostForm(srv.URL+"/return", url.Values{"receipt": {acc.Receipt.String()}})
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/handler/cases/"+acc.Reference, nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.77")
	http.DefaultClient.Do(req)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, f := range families {
		expfmt.MetricFamilyToText(&text, f)
	}
	out := text.String()
	if !strings.Contains(out, `reprisals_http_request_duration_seconds_count{code="200",method="GET",route="/healthz"}`) ||
		!strings.Contains(out, `route="/api/v1/handler/cases/:ref"`) {
		t.Fatalf("request metrics missing:\n%s", out)
	}
	// Reporter routes that succeeded are counted by day only: a scrape
	// today shows nothing of them.
	if strings.Contains(out, `route="/report"`) || strings.Contains(out, `route="/return"`) {
		t.Errorf("today's requests on reporter routes are in the metrics:\n%s", out)
	}
	for _, leak := range []string{acc.Reference, acc.Receipt.String(), "198.51.100.77", "127.0.0.1", "@"} {
		if strings.Contains(out, leak) {
			t.Errorf("metrics contain %q", leak)
		}
	}
}
