package server_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/server"
)

// TestCanaryOnFailingPaths plants a unique string in what reporters send
// on paths that fail: the names and content of files whose upload is
// refused, cut off or meets the database down, follow-ups with the
// database down, malformed JSON (duplicate keys, bytes that are not UTF-8,
// the wrong content type), and URLs. Nothing of it may reach the server's
// log or the database.
func TestCanaryOnFailingPaths(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{Attach: intake.AttachLimits{MaxFiles: 20, MaxFileBytes: 1 << 20}}, 10*time.Second)
	canary := "CANARY" + strings.ToUpper(hex.EncodeToString(randBytes(12)))
	_, token := u.uploadToken("hrc_session")
	id := u.addHandler("omar", "reprisals-team")
	tok := u.login("omar", id)

	post := func(path, ct string, body []byte, want int) {
		t.Helper()
		resp, b := u.doRaw("POST", u.up.URL+path, ct, bytes.NewReader(body))
		if resp.StatusCode != want {
			t.Errorf("POST %s: status %d, want %d: %.300s", path, resp.StatusCode, want, b)
		}
	}
	// A file too large, and one cut off in the middle.
	ct, body := multipartBody(token, map[string][]byte{canary + ".mp4": bytes.Repeat([]byte(canary), 1<<20/len(canary)+1)})
	post("/attachments", ct, body.Bytes(), http.StatusRequestEntityTooLarge)
	boundary, head := multipartHead(token, canary+"-cut.mp4")
	conn := u.rawUpload("/attachments", boundary, len(head)+(4<<20), append(head, bytes.Repeat([]byte(canary), 20000)...))
	conn.(interface{ CloseWrite() error }).CloseWrite()
	readResponse(t, conn, 5*time.Second)
	// Malformed JSON, and the wrong content type.
	good, _ := json.Marshal(intaketestReport("hrc_session"))
	dup := bytes.Replace(good, []byte(`{`), []byte(`{"`+canary+`":1,"`+canary+`":2,`), 1)
	post("/api/v1/reports", "application/json", dup, http.StatusBadRequest)
	post("/api/v1/reports", "application/json", append([]byte(`{"language":"`+canary+"\xff"), '"', '}'), http.StatusBadRequest)
	post("/api/v1/reports", "text/plain", good, http.StatusUnsupportedMediaType)
	post("/api/v1/reports", "application/json", []byte(`{"`+canary+`":1}`), http.StatusBadRequest)
	// URLs.
	for _, p := range []string{"/api/v1/handler/cases/" + canary, "/" + canary, "/report?" + canary + "=%00"} {
		u.doRaw("GET", u.up.URL+p, "", strings.NewReader(""), "Authorization", "Bearer "+tok)
	}
	// The database down: an upload, a follow-up.
	u.db.SetReachable(t, false)
	ct, body = multipartBody(token, map[string][]byte{canary + "-down.jpg": []byte(canary)})
	post("/api/v1/attachments", ct, body.Bytes(), http.StatusServiceUnavailable)
	post("/return/follow-up", "application/x-www-form-urlencoded", []byte("visit="+token+"&text="+canary), http.StatusServiceUnavailable)
	u.db.SetReachable(t, true)

	logs := u.logs.String()
	if !strings.Contains(logs, `"status":503`) {
		t.Fatalf("nothing was logged for the database being down, so the log check proves nothing:\n%s", logs)
	}
	for _, n := range []string{canary, strings.ToLower(canary)} {
		if strings.Contains(logs, n) {
			t.Errorf("the canary is in the server's log:\n%s", logs)
		}
		if bytes.Contains(u.db.Dump(t), []byte(n)) || bytes.Contains(u.db.Dump(t), []byte(hex.EncodeToString([]byte(n)))) {
			t.Error("the canary is in the pg_dump")
		}
	}
	if rows, chunks := u.attachmentRows(); rows != 0 || chunks != 0 {
		t.Errorf("failed uploads left %d attachment rows and %d chunks", rows, chunks)
	}
}

// TestUploadDatabaseDownMidFile: the database goes away while a file
// streams in. The reporter is told to retry (503 with Retry-After), and
// neither the file's name nor its content reaches the log.
func TestUploadDatabaseDownMidFile(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	canary := "CANARY" + strings.ToUpper(hex.EncodeToString(randBytes(12)))
	_, token := u.uploadToken("hrc_session")
	boundary, head := multipartHead(token, canary+".mp4")
	conn := u.rawUpload("/api/v1/attachments", boundary, 100<<20, append(head, bytes.Repeat([]byte(canary), 600<<10/len(canary)+1)...))
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, chunks := u.attachmentRows(); chunks >= 1 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the upload never stored a chunk")
		}
	}
	u.db.SetReachable(t, false)
	conn.Write(bytes.Repeat([]byte(canary), 600<<10/len(canary)+1)) // the next chunk cannot be stored
	resp, body := readResponse(t, conn, 10*time.Second)
	u.db.SetReachable(t, true)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q, want 503 asking to retry: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	logs := u.logs.String()
	if !strings.Contains(logs, `"status":503`) {
		t.Fatalf("nothing logged for the database being down, so the check proves nothing:\n%s", logs)
	}
	if strings.Contains(logs, canary) || strings.Contains(logs, strings.ToLower(canary)) {
		t.Errorf("the canary is in the log:\n%s", logs)
	}
}
