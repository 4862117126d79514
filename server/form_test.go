package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

func parseHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func findAll(n *html.Node, pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && pred(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == key })
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func byID(doc *html.Node, id string) *html.Node {
	nodes := findAll(doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(nodes) != 1 {
		return nil
	}
	return nodes[0]
}

// formState returns what the page's form would submit as it stands: the
// values a browser would send, except buttons.
func formState(doc *html.Node) url.Values {
	v := url.Values{}
	for _, n := range findAll(doc, func(n *html.Node) bool {
		return n.Data == "input" || n.Data == "textarea" || n.Data == "select"
	}) {
		name := attr(n, "name")
		switch {
		case name == "":
		case n.Data == "textarea":
			v.Add(name, strings.TrimPrefix(text(n), "\n"))
		case n.Data == "select":
			for _, o := range findAll(n, func(o *html.Node) bool { return o.Data == "option" && hasAttr(o, "selected") }) {
				v.Add(name, attr(o, "value"))
			}
		case attr(n, "type") == "radio" || attr(n, "type") == "checkbox":
			if hasAttr(n, "checked") {
				v.Add(name, attr(n, "value"))
			}
		default:
			v.Add(name, attr(n, "value"))
		}
	}
	return nonEmpty(v)
}

// nonEmpty drops empty values, the action button, the step, the page's
// language (ui) and the one-time submission token, and sorts the values
// of each name (check boxes come back in form order), for comparison.
func nonEmpty(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		for _, s := range vals {
			if s != "" && k != "action" && k != "submission" && k != "step" && k != "ui" {
				out.Add(k, s)
			}
		}
		slices.Sort(out[k])
	}
	return out
}

// TestFormHasEveryFieldLabelled walks every step of the form (with
// answers that bring up every follow-up question): together they ask for
// every field of a report, and every control has a label.
func TestFormHasEveryFieldLabelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := intaketest.Report("other")
	in.Cooperation.BodyOther = ""
	in.Victims[0].Status, in.Victims[0].Roles = "detained", []string{"other"}
	in.Incidents[0].Types = []string{"other"}
	in.Consent.GivenBy = "other"
	asked := map[string]bool{}
	for step := range 6 {
		v := formValues(in)
		v.Set("action", fmt.Sprintf("goto-%d", step))
		resp, b := e.postForm(v)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("step %d: status %d", step, resp.StatusCode)
		}
		doc := parseHTML(t, b)
		for _, n := range findAll(doc, func(n *html.Node) bool {
			return (n.Data == "input" && attr(n, "type") != "hidden") || n.Data == "select" || n.Data == "textarea"
		}) {
			asked[attr(n, "name")] = true
			id := attr(n, "id")
			if id == "" || len(findAll(doc, func(l *html.Node) bool { return l.Data == "label" && attr(l, "for") == id })) != 1 {
				t.Errorf("step %d: control %q has no label", step, attr(n, "name"))
			}
		}
		if len(findAll(doc, func(n *html.Node) bool { return n.Data == "script" })) != 0 {
			t.Errorf("step %d contains a script", step)
		}
		if ids := findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }); len(ids) != len(uniqueIDs(ids)) {
			t.Errorf("step %d has duplicate ids", step)
		}
	}
	for _, path := range leafPaths() {
		if !asked[path] {
			t.Errorf("no step asks for %q", path)
		}
	}
	_, b := e.do("GET", "/report", "", nil)
	if html := findAll(parseHTML(t, b), func(n *html.Node) bool { return n.Data == "html" }); attr(html[0], "lang") != "en" || attr(html[0], "dir") != "ltr" {
		t.Error("the page does not declare its language and direction")
	}
}

func uniqueIDs(nodes []*html.Node) map[string]bool {
	out := map[string]bool{}
	for _, n := range nodes {
		out[attr(n, "id")] = true
	}
	return out
}

func TestFormSubmitRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := intaketest.Report("upr")
	in.Victims = append(in.Victims, intake.Victim{Name: "Second", Kind: "group", Status: "in_exile"})
	in.Incidents[0].Narrative = "Line one.\nLine two, with <b>markup</b> & \"quotes\"."
	resp, b := e.postForm(formValues(in))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("confirmation page Cache-Control = %q, want no-store", cc)
	}
	doc := parseHTML(t, b)
	refNode, receiptNode := byID(doc, "reference"), byID(doc, "receipt")
	if refNode == nil || receiptNode == nil {
		t.Fatalf("confirmation page lacks reference or receipt:\n%s", b)
	}
	ref := text(refNode)
	receipt, err := crypto.ParseReceipt(text(receiptNode))
	if err != nil {
		t.Fatalf("receipt on the page does not parse: %v", err)
	}
	stored, err := e.db.ReportByReference(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var hash []byte
	if err := e.db.Pool().QueryRow(context.Background(), "SELECT receipt_hash FROM reports WHERE reference = $1", ref).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hash, receipt.LookupHash(e.teams.Config.ReceiptKey())) {
		t.Error("the receipt shown does not match the stored hash")
	}
	plain, err := crypto.Open(stored.Ciphertext, e.teams.UPR)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope.Case
	if err := json.Unmarshal(plain, &env); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*in, env.Report); diff != "" {
		t.Errorf("form round trip (-sent +stored):\n%s", diff)
	}
}

// TestFormErrorsShownAndInputKept sends a report with errors on three
// steps: the answer opens the earliest step with an error, at its error
// summary; Next on each later step shows that step's own errors. Every
// answer stays in the form throughout.
func TestFormErrorsShownAndInputKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := intaketest.Report("hrc_session")
	in.Victims[0].Name = ""                   // required
	in.Incidents[0].Date = "March"            // bad format
	in.Consent.RisksUnderstood = false        // must be checked
	in.Cooperation.Evidence = "Kept <intact>" // other input must survive
	sent := formValues(in)
	for _, c := range []struct {
		action, step string
		want         string // the only error shown
	}{
		{"submit", "5", "victims[0].name"},
		{"next", "2", "incidents[0].date"},
		{"next", "4", "consent.risks_understood"},
	} {
		v := cloneValues(sent)
		v.Set("action", c.action)
		v.Set("step", c.step)
		resp, b := e.postForm(v)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s on step %s: status %d", c.action, c.step, resp.StatusCode)
		}
		doc := parseHTML(t, b)
		summary := byID(doc, "error-summary")
		if summary == nil {
			t.Fatal("no error summary")
		}
		var targets []string
		for _, a := range findAll(summary, func(n *html.Node) bool { return n.Data == "a" }) {
			// Browsers percent-decode a fragment before matching it to an id.
			id, err := url.PathUnescape(strings.TrimPrefix(attr(a, "href"), "#"))
			if err != nil {
				t.Fatal(err)
			}
			targets = append(targets, id)
		}
		if diff := cmp.Diff([]string{c.want}, targets); diff != "" {
			t.Errorf("%s on step %s: summary links (-want +got):\n%s", c.action, c.step, diff)
		}
		field := byID(doc, c.want)
		if field == nil {
			t.Fatalf("summary links to #%s, which is not on the page", c.want)
		}
		if attr(field, "aria-invalid") != "true" || !strings.Contains(attr(field, "aria-describedby"), c.want+"-error") {
			t.Errorf("field %s is not marked invalid and described by its error", c.want)
		}
		if msg := byID(doc, c.want+"-error"); msg == nil || strings.TrimSpace(text(msg)) == "" {
			t.Errorf("no message next to %s", c.want)
		}
		// The page opens at the error summary.
		form := findAll(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "id") == "report-form" })
		if len(form) != 1 || !strings.HasSuffix(attr(form[0], "action"), "#error-summary") {
			t.Error("the form's action does not open the answer at the error summary")
		}
		if diff := cmp.Diff(nonEmpty(sent), formState(doc)); diff != "" {
			t.Errorf("input not kept (-sent +shown):\n%s", diff)
		}
	}
	if n := e.count(); n != 0 {
		t.Errorf("%d reports stored", n)
	}
}

func TestFormAddAndRemoveBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := intaketest.Report("upr")
	v := formValues(in)
	v.Set("action", "add-victim")
	v.Set("step", "1")
	resp, b := e.postForm(v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	if byID(doc, "victims[1].name") == nil {
		t.Fatal("no second victim block after add-victim")
	}
	if byID(doc, "error-summary") != nil {
		t.Error("adding a block showed errors")
	}
	if diff := cmp.Diff(nonEmpty(v), formState(doc)); diff != "" {
		t.Errorf("input not kept (-sent +shown):\n%s", diff)
	}

	v = formState(doc)
	v.Set("victims[1].name", "Second")
	v.Set("action", "remove-victim-0")
	v.Set("step", "1")
	_, b = e.postForm(v)
	doc = parseHTML(t, b)
	if got := attr(byID(doc, "victims[0].name"), "value"); got != "Second" || byID(doc, "victims[1].name") != nil {
		t.Errorf("after removing the first victim, victims[0].name = %q", got)
	}

	v = formState(doc)
	v.Set("action", "add-incident")
	v.Set("step", "2")
	_, b = e.postForm(v)
	if byID(parseHTML(t, b), "incidents[1].narrative") == nil {
		t.Error("no second incident after add-incident")
	}
	if n := e.count(); n != 0 {
		t.Errorf("%d reports stored by add/remove buttons", n)
	}
}

func TestFormDatabaseDownKeepsInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sent := formValues(intaketest.Report("upr"))
	e.db.SetReachable(t, false)
	resp, b := e.postForm(sent)
	e.db.SetReachable(t, true)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	banner := byID(doc, "banner")
	if banner == nil || !strings.Contains(text(banner), "not saved") || !strings.Contains(text(banner), "try again") {
		t.Fatalf("no 'not saved, try again' banner")
	}
	if diff := cmp.Diff(nonEmpty(sent), formState(doc)); diff != "" {
		t.Errorf("input not kept (-sent +shown):\n%s", diff)
	}
	if n := e.count(); n != 0 {
		t.Errorf("%d reports stored", n)
	}
}

func TestFormTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := formValues(intaketest.Report("upr"))
	v.Set("incidents[0].narrative", strings.Repeat("x", 4<<20))
	resp, b := e.postForm(v)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if !strings.Contains(string(b), "too large") || !strings.Contains(string(b), "not saved") {
		t.Errorf("413 page does not explain: %s", b)
	}
	if n := e.count(); n != 0 {
		t.Errorf("%d reports stored", n)
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := formValues(intaketest.Report("upr"))
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		resp, _ := e.postForm(v, h...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", h[0], resp.StatusCode)
		}
	}
	if resp, _ := e.postForm(v, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin post: status %d", resp.StatusCode)
	}
	if n := e.count(); n != 1 {
		t.Errorf("%d reports stored, want only the same-origin one", n)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type req struct{ method, path, ct, body string }
	for _, r := range []req{
		{"GET", "/report", "", ""},
		{"POST", "/report", "application/x-www-form-urlencoded", "language=en"},
		{"GET", "/nowhere", "", ""},
		{"GET", "/static/style.css", "", ""},
		{"POST", "/api/v1/reports", "application/json", "{}"},
		{"GET", "/api/v1/openapi.json", "", ""},
		{"GET", "/return", "", ""},
		{"POST", "/return", "application/x-www-form-urlencoded", "receipt=AAAAA-AAAAA-AAAAA-AAAAA-AAAAA"},
		{"POST", "/return/follow-up", "application/x-www-form-urlencoded", "visit=forged&text=x"},
		{"POST", "/attachments", "multipart/form-data; boundary=x", "--x--"},
		{"GET", "/report?lang=ar", "", ""},
	} {
		resp, _ := e.do(r.method, r.path, r.ct, strings.NewReader(r.body))
		h := resp.Header
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s %s: %s = %q, want %q", r.method, r.path, name, got, want)
			}
		}
		wantCache := "no-store"
		if strings.HasPrefix(r.path, "/static/") {
			wantCache = "public, max-age=3600"
		}
		if got := h.Get("Cache-Control"); got != wantCache {
			t.Errorf("%s %s: Cache-Control = %q, want %q", r.method, r.path, got, wantCache)
		}
		if h.Get("Set-Cookie") != "" {
			t.Errorf("%s %s sets a cookie", r.method, r.path)
		}
	}
}
