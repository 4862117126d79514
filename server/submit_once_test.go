package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestFormSentTwiceMakesOneReport sends the same form twice, as a reload or
// a double click does: one report, and the second answer names it without
// a receipt.
func TestFormSentTwiceMakesOneReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := formValues(intaketest.Report("upr"))
	v.Set("submission", e.submissionToken())
	resp, b := e.postForm(v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first send: status %d", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	ref := text(byID(doc, "reference"))
	if byID(doc, "receipt") == nil {
		t.Fatal("the first answer shows no receipt")
	}

	resp, b = e.postForm(v)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second send: status %d, want 409", resp.StatusCode)
	}
	doc = parseHTML(t, b)
	if byID(doc, "already") == nil || text(byID(doc, "reference")) != ref {
		t.Errorf("the second answer does not say the report %s was already received:\n%s", ref, b)
	}
	if byID(doc, "receipt") != nil || strings.Contains(string(b), "receipt\" ") {
		t.Error("the second answer shows a receipt")
	}
	if !strings.Contains(text(doc), "shown once") {
		t.Error("the second answer does not say why the receipt is not shown again")
	}
	if n := e.count(); n != 1 {
		t.Fatalf("%d reports stored, want 1", n)
	}
	var alerts int
	e.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM alerts`).Scan(&alerts)
	if alerts != 2 { // a UPR report alerts both teams, once
		t.Errorf("%d alerts, want 2", alerts)
	}
}

// TestFormSentConcurrentlyMakesOneReport races sends of one form: the
// unique key decides in the insert statement itself.
func TestFormSentConcurrentlyMakesOneReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := formValues(intaketest.Report("hrc_session"))
	v.Set("submission", e.submissionToken())
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, _ := e.postForm(v)
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	ok, again := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			again++
		}
	}
	if ok != 1 || again != n-1 {
		t.Errorf("statuses %v: want one 200 and %d 409", statuses, n-1)
	}
	if c := e.count(); c != 1 {
		t.Fatalf("%d reports stored, want 1", c)
	}
}

// TestFormBadTokenKeepsInput: a forged, expired or missing token stores
// nothing and shows the form again, filled in, with a valid token.
func TestFormBadTokenKeepsInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tok := range []string{"", "forged", e.submissionToken()[:20]} {
		sent := formValues(intaketest.Report("upr"))
		sent.Set("submission", tok)
		resp, b := e.postForm(sent)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token %q: status %d", tok, resp.StatusCode)
		}
		doc := parseHTML(t, b)
		if byID(doc, "banner") == nil {
			t.Errorf("token %q: no banner asking to send again", tok)
		}
		state := formState(doc)
		var fresh string
		for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "submission" }) {
			fresh = attr(n, "value")
		}
		if fresh == "" || fresh == tok {
			t.Errorf("token %q: the form was not given a new token", tok)
		}
		if state.Get("incidents[0].narrative") != sent.Get("incidents[0].narrative") {
			t.Errorf("token %q: input lost", tok)
		}
	}
	if n := e.count(); n != 0 {
		t.Errorf("%d reports stored", n)
	}
}

// TestAPIIdempotencyKey: API requests repeated with the same
// Idempotency-Key (also at once) store one report; the repeats are 409
// with its reference and no receipt; a malformed key is refused.
func TestAPIIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body, _ := json.Marshal(intaketest.Report("upr"))
	const key = "5f0c6d7e-8a9b-4c1d-9e2f-3a4b5c6d7e8f"
	const n = 6
	statuses := make([]int, n)
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, b := e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(body), "Idempotency-Key", key)
			statuses[i], bodies[i] = resp.StatusCode, b
		})
	}
	wg.Wait()
	var ref string
	created := 0
	for i, s := range statuses {
		if s == http.StatusCreated {
			created++
			var acc struct{ Reference string }
			json.Unmarshal(bodies[i], &acc)
			ref = acc.Reference
		}
	}
	if created != 1 || e.count() != 1 {
		t.Fatalf("statuses %v, %d reports: want one 201 and one report", statuses, e.count())
	}
	for i, s := range statuses {
		if s == http.StatusCreated {
			continue
		}
		if s != http.StatusConflict || !strings.Contains(string(bodies[i]), "already_received") || !strings.Contains(string(bodies[i]), ref) || strings.Contains(string(bodies[i]), `"receipt"`) {
			t.Errorf("repeat: %d %s", s, bodies[i])
		}
	}
	// Another key, or none, is another report; a malformed key is refused.
	if resp, _ := e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(body), "Idempotency-Key", key+"-2"); resp.StatusCode != http.StatusCreated {
		t.Errorf("another key: %d", resp.StatusCode)
	}
	for _, bad := range []string{"short", strings.Repeat("a", 129), "has spaces in it here", "ключ-ключ-ключ-ключ"} {
		if resp, _ := e.do("POST", "/api/v1/reports", "application/json", bytes.NewReader(body), "Idempotency-Key", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("key %q: %d, want 400", bad, resp.StatusCode)
		}
	}
	if c := e.count(); c != 2 {
		t.Errorf("%d reports, want 2", c)
	}
}
