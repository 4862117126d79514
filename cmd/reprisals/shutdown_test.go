package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestServeSIGTERMDuringUpload stops a real 'reprisals serve' (SIGTERM)
// while a reporter's upload is under way. After the grace period the
// upload is ended cleanly: the client gets a retryable answer (503 with
// Retry-After), no attachment row or chunk is left behind, and the
// process exits on its own, its database pool closed last. A canary
// planted in the report, the file's name and its content is nowhere in
// what serve logged, and no line dates the report's arrival.
func TestServeSIGTERMDuringUpload(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	dir := t.TempDir()
	configFile := filepath.Join(dir, "reprisals.toml")
	os.WriteFile(configFile, []byte(`
listen = "127.0.0.1:0"
shutdown_grace = "1s"
[smtp]
host = "127.0.0.1"
port = 9
tls = "none"
allow_insecure = true
`), 0o600)
	env := serveEnv(t, dir, db.URL, teams)
	srv := startServe(t, env, configFile)

	canary := fmt.Sprintf("CANARY%dSERVE", time.Now().UnixNano())
	rep := intaketest.Report("hrc_session")
	intaketest.PlantCanary(rep, canary)
	body, _ := json.Marshal(rep)
	resp, err := http.Post("http://"+srv.addr+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var acc struct {
		UploadToken string `json:"upload_token"`
	}
	json.NewDecoder(resp.Body).Decode(&acc)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit: status %d", resp.StatusCode)
	}

	// An upload that sends the token and the first 600 KiB of a large
	// file, then waits, as a slow connection would.
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	w.WriteField("visit", acc.UploadToken)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="files"; filename="`+canary+`.mp4"`)
	w.CreatePart(h)
	head.Write(bytes.Repeat([]byte(canary), 600<<10/len(canary)+1))
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/attachments HTTP/1.1\r\nHost: test\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", w.FormDataContentType(), 200<<20)
	conn.Write(head.Bytes())
	count := func(table string) (n int) {
		if err := db.Pool().QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for start := time.Now(); count("attachment_chunks") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the upload never stored a chunk")
		}
	}

	srv.cmd.Process.Signal(syscall.SIGTERM)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the upload after SIGTERM: %v", err)
	}
	answer, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(string(answer), `"upload_stopped"`) {
		t.Errorf("upload after SIGTERM: status %d, Retry-After %q: %s", r.StatusCode, r.Header.Get("Retry-After"), answer)
	}
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit within 30 s of SIGTERM")
	}
	if a, c := count("attachments"), count("attachment_chunks"); a != 0 || c != 0 {
		t.Errorf("after the stop: %d attachment rows and %d chunks, want none", a, c)
	}
	logs := srv.log.String()
	if !strings.Contains(logs, `"msg":"shutting down"`) {
		t.Fatalf("serve's log lacks its shutdown, so the checks below prove nothing:\n%s", logs)
	}
	if strings.Contains(logs, canary) || strings.Contains(logs, "/api/v1/reports") || strings.Contains(logs, "/api/v1/attachments") {
		t.Errorf("serve's log holds the canary or a line for a report or upload:\n%s", logs)
	}
}
