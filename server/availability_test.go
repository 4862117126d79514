package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// answer is one timed request's outcome.
type answer struct {
	status int
	body   string
	took   time.Duration
	err    error
}

// timedDo sends a request with its own client (so that nothing is shared
// with the slow clients) and times the answer. It never fails the test
// itself: it may run in a goroutine.
func timedDo(method, u, contentType string, body []byte, header ...string) answer {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{status: resp.StatusCode, body: string(b), took: time.Since(start), err: err}
}

var (
	receiptOnPage   = regexp.MustCompile(`<code id="receipt"`)
	referenceOnPage = regexp.MustCompile(`id="reference"[^>]*>\s*([0-9A-Z]{4}-[0-9A-Z]{4})`)
)

// slowReport starts a report form with a file of size bytes on a raw
// connection, sends its fields and the file's header at once and the
// file at about rate bytes per second, in a goroutine; the answer comes
// on the returned channel.
func slowReport(t *testing.T, u *uploadEnv, v url.Values, size, rate int) <-chan answer {
	t.Helper()
	boundary, head := reportHead(v, "video.mp4", 0)
	tail := []byte("\r\n--" + boundary + "--\r\n")
	conn := u.rawUpload("/report?lang=en", boundary, len(head)+size+len(tail), head)
	out := make(chan answer, 1)
	go func() {
		start := time.Now()
		piece := make([]byte, rate/4)
		for sent := 0; sent < size; sent += len(piece) {
			time.Sleep(250 * time.Millisecond) // the client's pace
			if _, err := conn.Write(piece[:min(len(piece), size-sent)]); err != nil {
				out <- answer{err: err}
				return
			}
		}
		conn.Write(tail)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			out <- answer{err: err, took: time.Since(start)}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := answer{status: resp.StatusCode, body: string(b), took: time.Since(start), err: err}
		out <- a
	}()
	return out
}

// storedReferences lists the references of every stored report.
func storedReferences(t *testing.T, e *env) []string {
	t.Helper()
	rows, err := e.db.Pool().Query(t.Context(), `SELECT reference FROM reports ORDER BY reference`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var refs []string
	for rows.Next() {
		var r string
		rows.Scan(&r)
		refs = append(refs, r)
	}
	return refs
}

// waitUploading waits until an upload is under way: a file staged (or,
// on a server that holds a transaction while a client sends, one open).
func waitUploading(t *testing.T, e *env, want int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d uploads under way", want), func() bool {
		var n int
		e.db.Pool().QueryRow(t.Context(), `SELECT (SELECT count(*) FROM attachments WHERE NOT complete)
			+ (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%')`).Scan(&n)
		return n >= want
	})
}

// TestSlowUploadAndResendsDoNotStopTheService: one report with a file sent
// at about 1 KiB/s, and its form sent again nine times (same token) while
// it arrives, as a reporter on a bad connection does. Meanwhile another
// reporter sends a text report and comes back with its receipt, a handler
// lists cases, and /readyz is polled: every one of those, and every
// resend, is answered within 5 seconds (a resend: "still being received",
// never by waiting for the first), and every report stored was answered
// with its receipt.
func TestSlowUploadAndResendsDoNotStopTheService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := newUploadEnvOn(t, e, server.Options{Ready: e.db.Ready, Uploads: server.UploadLimits{MinRate: 256, Window: 3 * time.Second}}, 30*time.Second)
	handler := e.addHandler("amal", "reprisals-team")
	token := e.login("amal", handler)
	const within = 5 * time.Second

	v := formValues(intaketest.Report("upr"))
	v.Set("action", "submit")
	v.Set("submission", e.submissionToken())
	slow := slowReport(t, u, v, 7<<10, 1<<10)
	waitUploading(t, e, 1)

	var mu sync.Mutex
	var answers []string // what was answered, with how long it took
	var receipts []string
	var wg sync.WaitGroup
	check := func(what string, a answer, ok func(answer) bool) {
		mu.Lock()
		defer mu.Unlock()
		answers = append(answers, fmt.Sprintf("%s: %d in %v", what, a.status, a.took.Round(time.Millisecond)))
		switch {
		case a.err != nil:
			t.Errorf("%s: %v", what, a.err)
		case a.took > within:
			t.Errorf("%s answered after %v, want within %v", what, a.took.Round(time.Millisecond), within)
		case !ok(a):
			t.Errorf("%s: status %d: %.300s", what, a.status, a.body)
		}
	}
	for i := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := timedDo("POST", u.up.URL+"/report?lang=en", "application/x-www-form-urlencoded", []byte(v.Encode()))
			check(fmt.Sprintf("resend %d", i+1), a, func(a answer) bool {
				return a.status == http.StatusConflict && !receiptOnPage.MatchString(a.body) &&
					strings.Contains(a.body, "This report is still being received")
			})
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		body, _ := json.Marshal(intaketest.Report("hrc_session"))
		a := timedDo("POST", u.up.URL+"/api/v1/reports", "application/json", body)
		var acc struct{ Receipt string }
		json.Unmarshal([]byte(a.body), &acc)
		check("text report", a, func(a answer) bool { return a.status == http.StatusCreated && acc.Receipt != "" })
		if acc.Receipt == "" {
			return
		}
		mu.Lock()
		receipts = append(receipts, acc.Receipt)
		mu.Unlock()
		a = timedDo("POST", u.up.URL+"/return", "application/x-www-form-urlencoded", []byte(url.Values{"receipt": {acc.Receipt}}.Encode()))
		check("return visit", a, func(a answer) bool { return a.status == http.StatusOK })
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a := timedDo("GET", u.up.URL+"/api/v1/handler/cases", "", nil, "Authorization", "Bearer "+token)
		check("handler's case list", a, func(a answer) bool { return a.status == http.StatusOK })
	}()
	stopPolling := make(chan struct{})
	var polled sync.WaitGroup
	polled.Add(1)
	go func() {
		defer polled.Done()
		for n := 1; ; n++ {
			a := timedDo("GET", u.up.URL+"/readyz", "", nil)
			check(fmt.Sprintf("/readyz %d", n), a, func(a answer) bool { return a.status == http.StatusOK })
			select {
			case <-stopPolling:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	wg.Wait()

	first := <-slow
	close(stopPolling)
	polled.Wait()
	if first.err != nil || first.status != http.StatusOK {
		t.Fatalf("the slow report: status %d, %v: %.500s", first.status, first.err, first.body)
	}
	m := referenceOnPage.FindStringSubmatch(first.body)
	if m == nil || !receiptOnPage.MatchString(first.body) {
		t.Fatalf("the slow report's answer shows no reference and receipt: %.2000s", first.body)
	}
	answered := []string{m[1]}
	for _, r := range receipts {
		var ref string
		e.db.Pool().QueryRow(t.Context(), `SELECT reference FROM reports WHERE receipt_hash = $1`, receiptHash(t, e, r)).Scan(&ref)
		answered = append(answered, ref)
	}
	slices.Sort(answered)
	if stored := storedReferences(t, e); !slices.Equal(stored, answered) {
		t.Errorf("stored reports %v, but answered with a receipt: %v", stored, answered)
	}
	if t.Failed() {
		t.Logf("answers:\n%s", strings.Join(answers, "\n"))
	}
}

// receiptHash is the stored hash of a receipt.
func receiptHash(t *testing.T, e *env, receipt string) []byte {
	t.Helper()
	r, err := crypto.ParseReceipt(receipt)
	if err != nil {
		t.Fatal(err)
	}
	return r.LookupHash(e.teams.Config.ReceiptKey())
}

// slowAttachment starts an upload of a file to /attachments on a raw
// connection and sends a first piece of it; the caller closes conn.
func slowAttachment(t *testing.T, u *uploadEnv, visit string) net.Conn {
	t.Helper()
	boundary, head := multipartHead(visit, "video.mp4")
	return u.rawUpload("/attachments", boundary, len(head)+(10<<20), append(head, make([]byte, 1<<10)...))
}

// TestTextReportsGetThroughWhileUploadsAreBusy: 40 slow uploads at once
// (20 reports with a file, 20 files added to a case), more than there are
// upload slots: every slot is used, by reports with files as much as by
// other uploads (none of them holds a database connection, so their
// number does not depend on the pool's), the uploads over the limit are
// refused at once, and while every slot is taken a text report, a
// follow-up, a return visit, the handler API and /readyz are answered in
// normal time. When the slow clients go, nothing of their uploads is left.
func TestTextReportsGetThroughWhileUploadsAreBusy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const slots = 32 // the default; the test pool has 8 connections
	u := newUploadEnvOn(t, e, server.Options{Ready: e.db.Ready}, 30*time.Second)
	handler := e.addHandler("amal", "reprisals-team")
	token := e.login("amal", handler)
	_, visit := e.uploadToken("hrc_session")

	var conns []net.Conn
	for i := range 40 {
		if i%2 == 0 {
			v := formValues(intaketest.Report("upr"))
			v.Set("action", "submit")
			v.Set("submission", e.submissionToken())
			boundary, head := reportHead(v, "video.mp4", 1<<10)
			conns = append(conns, u.rawUpload("/report?lang=en", boundary, len(head)+(10<<20), head))
		} else {
			conns = append(conns, slowAttachment(t, u, visit))
		}
	}
	waitUploading(t, e, slots)

	const normal = 3 * time.Second
	body, _ := json.Marshal(intaketest.Report("hrc_session"))
	var receipt string
	for _, c := range []struct {
		what string
		do   func() answer
		want int
	}{
		{"text report (API)", func() answer {
			a := timedDo("POST", u.up.URL+"/api/v1/reports", "application/json", body)
			var out struct{ Receipt string }
			json.Unmarshal([]byte(a.body), &out)
			receipt = out.Receipt
			return a
		}, http.StatusCreated},
		{"text report (form)", func() answer {
			v := formValues(intaketest.Report("upr"))
			v.Set("action", "submit")
			v.Set("submission", e.submissionToken())
			return timedDo("POST", u.up.URL+"/report?lang=en", "application/x-www-form-urlencoded", []byte(v.Encode()))
		}, http.StatusOK},
		{"return visit", func() answer {
			return timedDo("POST", u.up.URL+"/return", "application/x-www-form-urlencoded", []byte(url.Values{"receipt": {receipt}}.Encode()))
		}, http.StatusOK},
		{"follow-up", func() answer {
			return timedDo("POST", u.up.URL+"/return/follow-up", "application/x-www-form-urlencoded",
				[]byte(url.Values{"visit": {visit}, "text": {"More information."}, "language": {"en"}}.Encode()))
		}, http.StatusOK},
		{"handler's case list", func() answer {
			return timedDo("GET", u.up.URL+"/api/v1/handler/cases", "", nil, "Authorization", "Bearer "+token)
		}, http.StatusOK},
		{"/readyz", func() answer { return timedDo("GET", u.up.URL+"/readyz", "", nil) }, http.StatusOK},
		{"one upload more", func() answer {
			ct, b := multipartBody(visit, map[string][]byte{"a.txt": []byte("evidence")})
			return timedDo("POST", u.up.URL+"/api/v1/attachments", ct, b.Bytes())
		}, http.StatusServiceUnavailable},
	} {
		a := c.do()
		if a.err != nil || a.status != c.want || a.took > normal {
			t.Errorf("%s while every upload slot is taken: status %d in %v (%v), want %d within %v: %.300s",
				c.what, a.status, a.took.Round(time.Millisecond), a.err, c.want, normal, a.body)
		}
	}

	for _, c := range conns {
		c.Close()
	}
	waitFor(t, "nothing is left of the uploads cut off", func() bool {
		var n int
		e.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM attachments WHERE NOT complete`).Scan(&n)
		return n == 0
	})
	var chunks int
	e.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM attachment_chunks c JOIN attachments a ON a.id = c.attachment_id WHERE NOT a.complete`).Scan(&chunks)
	if chunks != 0 {
		t.Errorf("%d chunks of unfinished uploads left", chunks)
	}
}

// TestSpoolFull: an upload that would pass the spool's quota (the bytes of
// uploads still arriving) is refused with 503 and Retry-After, and
// nothing of it is kept, as a report with a file over it is refused whole
// with its answers kept; a text report still goes through meanwhile, and
// once the spool is free again a small upload is stored.
func TestSpoolFull(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, storetest.NewDB(t), server.Options{}, func(c *config.Config) { c.Attachments.SpoolBytes = 1 << 20 })
	_, visit := e.uploadToken("hrc_session")
	big := bytes.Repeat([]byte("video "), (2<<20)/6)

	ct, body := multipartBody(visit, map[string][]byte{"big.mp4": big})
	resp, b := e.do("POST", "/api/v1/attachments", ct, body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("upload over the spool: status %d (Retry-After %q), want 503 with Retry-After: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	v := formValues(intaketest.Report("upr"))
	v.Set("action", "submit")
	v.Set("submission", e.submissionToken())
	ct, body = reportWithFiles(v, map[string][]byte{"big.mp4": big})
	resp, b = e.do("POST", "/report?lang=en", ct, body)
	if doc := parseHTML(t, b); resp.StatusCode != http.StatusServiceUnavailable || byID(doc, "banner") == nil || tokenOf(doc) != v.Get("submission") {
		t.Errorf("report with a file over the spool: status %d, want 503 with the form, its banner and its token", resp.StatusCode)
	}
	var left int
	e.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM attachments`).Scan(&left)
	if left != 0 {
		t.Errorf("%d attachment rows left of refused uploads", left)
	}
	if resp, b := e.postJSON(intaketest.Report("hrc_session")); resp.StatusCode != http.StatusCreated {
		t.Errorf("text report: status %d: %s", resp.StatusCode, b)
	}
	ct, body = multipartBody(visit, map[string][]byte{"small.txt": []byte("evidence")})
	if resp, b := e.do("POST", "/api/v1/attachments", ct, body); resp.StatusCode != http.StatusCreated {
		t.Errorf("small upload after the refusals: status %d: %s (the spool was not given back)", resp.StatusCode, b)
	}
}
