package server_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// reportWithFiles encodes the last step of the report form as a browser
// sends it: the fields first (in form order), then the files.
func reportWithFiles(v url.Values, files map[string][]byte) (string, *bytes.Buffer) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vals := range v {
		for _, s := range vals {
			w.WriteField(k, s)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p, _ := w.CreateFormFile("files", name)
		p.Write(files[name])
	}
	w.Close()
	return w.FormDataContentType(), &b
}

// TestFilesSentWithTheReport sends a report and two files in one form:
// the report is stored, then the files, which the confirmation lists and
// a handler decrypts.
func TestFilesSentWithTheReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := formValues(intaketest.Report("hrc_session"))
	v.Set("submission", e.submissionToken())
	v.Set("action", "submit")
	files := map[string][]byte{"photo.jpg": bytes.Repeat([]byte("jpeg "), 50000), "statement.txt": []byte("I saw it.")}
	ct, body := reportWithFiles(v, files)
	resp, b := e.do("POST", "/report", ct, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	doc := parseHTML(t, b)
	listed := byID(doc, "received-files")
	if listed == nil || !strings.Contains(text(listed), "photo.jpg") || !strings.Contains(text(listed), "statement.txt") {
		t.Fatalf("the confirmation does not list the files:\n%s", b)
	}
	if byID(doc, "receipt") == nil || byID(doc, "files-failed") != nil {
		t.Error("no receipt, or a failure shown")
	}
	ref := text(byID(doc, "reference"))
	id := e.addHandler("amal", "reprisals-team")
	got := e.fetchAttachments(ref, e.teams.Reprisals, e.login("amal", id))
	for name, want := range files {
		if !bytes.Equal(got[name], want) {
			t.Errorf("%s does not decrypt to what was sent", name)
		}
	}
	if strings.Contains(e.logs.String(), "photo.jpg") {
		t.Error("a file name was logged")
	}
}

// TestFilesWithInvalidReportAreNotStored: a form with errors stores
// neither the report nor its files, and shows the step with the error.
func TestFilesWithInvalidReportAreNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := intaketest.Report("upr")
	in.Incidents[0].Narrative = ""
	v := formValues(in)
	v.Set("action", "submit")
	v.Set("submission", e.submissionToken())
	ct, body := reportWithFiles(v, map[string][]byte{"a.txt": []byte("evidence")})
	resp, b := e.do("POST", "/report", ct, body)
	if resp.StatusCode != http.StatusUnprocessableEntity || byID(parseHTML(t, b), "incidents[0].narrative-error") == nil {
		t.Fatalf("status %d, want 422 with the narrative's error", resp.StatusCode)
	}
	var n int
	e.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM attachments`).Scan(&n)
	if n != 0 || e.count() != 0 {
		t.Errorf("%d attachments and %d reports stored", n, e.count())
	}
}

// TestFilesWithReportOverLimit: a file over the limit refuses the whole
// report, so nothing is stored and the answer says why, with every answer
// kept; the same form, sent again without the big file, is then stored
// once with its file and confirmed with a receipt.
func TestFilesWithReportOverLimit(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, storetest.NewDB(t), server.Options{Attach: intake.AttachLimits{MaxFiles: 20, MaxFileBytes: 1 << 20}})
	v := formValues(intaketest.Report("upr"))
	v.Set("action", "submit")
	v.Set("submission", e.submissionToken())
	ct, body := reportWithFiles(v, map[string][]byte{"a-small.txt": []byte("ok"), "b-big.bin": make([]byte, 2<<20)})
	resp, b := e.do("POST", "/report", ct, body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	if banner := byID(doc, "banner"); banner == nil || !strings.Contains(text(banner), "Nothing was sent") {
		t.Errorf("no banner saying nothing was sent:\n%s", b)
	}
	if byID(doc, "receipt") != nil {
		t.Error("a receipt shown for a report that was not stored")
	}
	if got := tokenOf(doc); got != v.Get("submission") {
		t.Error("the form lost its submission token")
	}
	assertNothingStored(t, e)

	ct, body = reportWithFiles(v, map[string][]byte{"a-small.txt": []byte("ok")})
	resp, b = e.do("POST", "/report", ct, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sent again: status %d", resp.StatusCode)
	}
	doc = parseHTML(t, b)
	if byID(doc, "receipt") == nil || !strings.Contains(text(byID(doc, "received-files")), "a-small.txt") {
		t.Errorf("the confirmation should show the receipt and the file:\n%s", b)
	}
	if n := e.count(); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
}

// tokenOf returns the submission token the page's form carries.
func tokenOf(doc *html.Node) string {
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "submission" }) {
		return attr(n, "value")
	}
	return ""
}

// assertNothingStored fails unless the database holds no report, token
// use, alert, attachment or chunk.
func assertNothingStored(t *testing.T, e *env) {
	t.Helper()
	for _, table := range []string{"reports", "alerts", "attachments", "attachment_chunks"} {
		var n int
		if err := e.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows in %s, want none", n, table)
		}
	}
}

// reportHead is the start of a report form with files, as a browser
// streams it: every field, then the header of a file part and some of
// the file's bytes, but not the rest.
func reportHead(v url.Values, name string, some int) (boundary string, head []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vals := range v {
		for _, s := range vals {
			w.WriteField(k, s)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename=%q`, name))
	h.Set("Content-Type", "video/mp4")
	w.CreatePart(h)
	b.Write(make([]byte, some))
	return w.Boundary(), b.Bytes()
}

// waitStaged waits until as many files of reports still arriving are
// staged as want (a file of a report under way, its client paused), and
// checks that no transaction is open meanwhile: nothing holds a
// connection or a lock while a client sends.
func waitStaged(t *testing.T, e *env, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n, tx int
		err := e.db.Pool().QueryRow(t.Context(), `SELECT (SELECT count(*) FROM attachments WHERE report_id IS NULL),
			(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%')`).Scan(&n, &tx)
		if err != nil {
			t.Fatal(err)
		}
		if tx != 0 {
			t.Fatalf("%d transactions open while a client sends", tx)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d files staged after 20s, want %d", n, want)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not a synchronisation guess
	}
}

// TestReportCutMidFileStoresNothing: the connection breaks while a file
// sent with the report is arriving (routine over Tor). Nothing is stored:
// no report, no use of the form's token, no alert, no attachment. The
// same form sent again then stores one report with its file and shows the
// receipt.
func TestReportCutMidFileStoresNothing(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 30*time.Second)
	v := formValues(intaketest.Report("upr"))
	v.Set("action", "submit")
	v.Set("submission", u.submissionToken())
	boundary, head := reportHead(v, "video.mp4", 100<<10)
	conn := u.rawUpload("/report?lang=en", boundary, len(head)+(10<<20), head)
	waitStaged(t, u.env, 1) // the file half sent, staged
	conn.Close()
	waitStaged(t, u.env, 0) // the server saw the cut and deleted it at once
	assertNothingStored(t, u.env)

	video := bytes.Repeat([]byte("frame "), 100000)
	ct, body := reportWithFiles(v, map[string][]byte{"video.mp4": video})
	resp, err := http.Post(u.up.URL+"/report?lang=en", ct, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sent again: status %d, want 200 (the first send must have left no trace)", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	if byID(doc, "receipt") == nil || !strings.Contains(text(byID(doc, "received-files")), "video.mp4") {
		t.Fatalf("the confirmation should show the receipt and the file:\n%s", b)
	}
	if n := u.count(); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
	if rows, _ := u.attachmentRows(); rows != 1 {
		t.Errorf("%d attachments, want 1", rows)
	}
	var followups int
	u.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM alerts WHERE kind <> 'report'`).Scan(&followups)
	if followups != 0 {
		t.Errorf("%d alerts other than the report's: a file sent with the report is part of it", followups)
	}
	id := u.addHandler("amal", "reprisals-team")
	got := u.fetchAttachments(text(byID(doc, "reference")), u.teams.Reprisals, u.login("amal", id))
	if !bytes.Equal(got["video.mp4"], video) {
		t.Error("the file does not decrypt to what was sent")
	}
}

// TestReportWithFilesWhenBusy: with every upload slot taken, a report
// sent with files is refused whole (503, Retry-After, answers kept,
// nothing stored), while a report without files is still stored.
func TestReportWithFilesWhenBusy(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{Uploads: server.UploadLimits{MaxConcurrent: 1}}, 30*time.Second)
	first := formValues(intaketest.Report("upr"))
	first.Set("action", "submit")
	first.Set("submission", u.submissionToken())
	boundary, head := reportHead(first, "video.mp4", 10<<10)
	conn := u.rawUpload("/report?lang=en", boundary, len(head)+(10<<20), head)
	waitStaged(t, u.env, 1) // holds the only slot

	v := formValues(intaketest.Report("upr"))
	v.Set("action", "submit")
	v.Set("submission", u.submissionToken())
	ct, body := reportWithFiles(v, map[string][]byte{"a.txt": []byte("evidence")})
	resp, err := http.Post(u.up.URL+"/report?lang=en", ct, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	doc := parseHTML(t, b)
	if byID(doc, "banner") == nil || tokenOf(doc) != v.Get("submission") {
		t.Errorf("the refusal should explain itself and keep the form:\n%s", b)
	}

	conn.Close()
	waitStaged(t, u.env, 0)
	assertNothingStored(t, u.env)
	v.Set("submission", u.submissionToken())
	resp, err = http.PostForm(u.up.URL+"/report?lang=en", v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a report without files: status %d, want 200", resp.StatusCode)
	}
}
