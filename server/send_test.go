package server_test

import (
	"bytes"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

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

// TestFilesWithReportOverLimit: a file over the limit is refused, but the
// report, already stored, is confirmed with its receipt and the failure
// is explained.
func TestFilesWithReportOverLimit(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, storetest.NewDB(t), server.Options{Attach: intake.AttachLimits{MaxFiles: 20, MaxFileBytes: 1 << 20}})
	v := formValues(intaketest.Report("upr"))
	v.Set("action", "submit")
	v.Set("submission", e.submissionToken())
	ct, body := reportWithFiles(v, map[string][]byte{"a-small.txt": []byte("ok"), "b-big.bin": make([]byte, 2<<20)})
	resp, b := e.do("POST", "/report", ct, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	if byID(doc, "receipt") == nil || byID(doc, "files-failed") == nil || !strings.Contains(text(byID(doc, "received-files")), "a-small.txt") {
		t.Errorf("the confirmation should show the receipt, the stored file and the failure:\n%s", b)
	}
	if e.count() != 1 {
		t.Errorf("%d reports", e.count())
	}
}
