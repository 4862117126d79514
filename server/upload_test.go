package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/server"
)

// uploadEnv is a server with the given options behind an http.Server with
// a short normal read timeout, as serve sets one (2 minutes there).
type uploadEnv struct {
	*env
	up   *httptest.Server
	logs *syncBuffer
}

func newUploadEnv(t *testing.T, opts server.Options, readTimeout time.Duration) *uploadEnv {
	t.Helper()
	return newUploadEnvOn(t, newEnv(t), opts, readTimeout)
}

// newUploadEnvOn is newUploadEnv on the database of an existing env.
func newUploadEnvOn(t *testing.T, e *env, opts server.Options, readTimeout time.Duration) *uploadEnv {
	t.Helper()
	logs := &syncBuffer{}
	cases, err := casework.NewService(e.db.DB, e.teams.Config)
	if err != nil {
		t.Fatal(err)
	}
	h, err := server.New(intake.NewService(e.db.DB, e.teams.Config, nil), cases, slog.New(slog.NewJSONHandler(logs, nil)), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = readTimeout, readTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	return &uploadEnv{env: e, up: srv, logs: logs}
}

// attachmentRows counts attachment rows and chunks, complete or not.
func (u *uploadEnv) attachmentRows() (rows, chunks int) {
	u.t.Helper()
	ctx := context.Background()
	if err := u.db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachments`).Scan(&rows); err != nil {
		u.t.Fatal(err)
	}
	if err := u.db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachment_chunks`).Scan(&chunks); err != nil {
		u.t.Fatal(err)
	}
	return rows, chunks
}

// rawUpload opens a connection and sends the head of an upload to path
// that declares a body of size bytes: the request header, then prefix
// (the start of a multipart body with the given boundary). The caller
// sends the rest, or does not.
func (u *uploadEnv) rawUpload(path, boundary string, size int, prefix []byte) net.Conn {
	u.t.Helper()
	conn, err := net.Dial("tcp", u.up.Listener.Addr().String())
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n", path, boundary, size)
	if _, err := conn.Write(prefix); err != nil {
		u.t.Fatal(err)
	}
	return conn
}

// multipartHead is the visit token part (if token is not empty) and the
// header of a file part called name, as a client streaming a file sends
// them before the file's bytes.
func multipartHead(token, name string) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if token != "" {
		w.WriteField("visit", token)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename=%q`, name))
	h.Set("Content-Type", "video/mp4")
	w.CreatePart(h)
	return w.Boundary(), b.Bytes()
}

// readResponse reads the response on conn, failing after limit.
func readResponse(t *testing.T, conn net.Conn, limit time.Duration) (*http.Response, string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(limit))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", limit, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestSlowUnauthenticatedUploadIsCut: an upload that has not yet sent a
// valid visit token is held to the server's normal read timeout, not to
// the long deadline of a real upload.
func TestSlowUnauthenticatedUploadIsCut(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 500*time.Millisecond)
	boundary, _ := multipartHead("", "x")
	// The start of the token part, then nothing more.
	conn := u.rawUpload("/attachments", boundary, 10<<20, []byte("--"+boundary+"\r\nContent-Disposition: form-data; name=\"visit\"\r\n\r\nv1."))
	// The server's write timeout has run out too, so it cannot answer: it
	// closes the connection.
	start := time.Now()
	conn.SetReadDeadline(start.Add(5 * time.Second))
	_, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the slow unauthenticated upload was still open after 5s")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the slow request was cut after %v, want about the 500ms read timeout", d)
	}
	if rows, _ := u.attachmentRows(); rows != 0 {
		t.Errorf("%d attachment rows", rows)
	}
}

// TestUploadInterrupted: a client that stops in the middle of a file
// (routine over Tor) gets 400 with a page saying so; the unfinished file
// is deleted at once, and neither its name nor a 500 reaches the log.
func TestUploadInterrupted(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{}, 10*time.Second)
	_, token := u.uploadToken("hrc_session")
	const name = "INTERRUPTED-secret-meeting-with-rapporteur.mp4"
	boundary, head := multipartHead(token, name)
	body := append(head, bytes.Repeat([]byte("v"), 700<<10)...) // more than one stored chunk
	conn := u.rawUpload("/attachments", boundary, len(body)+(10<<20), body)
	conn.(*net.TCPConn).CloseWrite() // the client's side ends early
	resp, page := readResponse(t, conn, 5*time.Second)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Your upload was interrupted") || !strings.Contains(page, "Please try again") {
		t.Errorf("status %d, want 400 with the interrupted page:\n%s", resp.StatusCode, page)
	}
	if rows, chunks := u.attachmentRows(); rows != 0 || chunks != 0 {
		t.Errorf("the interrupted upload left %d attachment rows and %d chunks", rows, chunks)
	}
	logs := u.logs.String()
	if strings.Contains(logs, "INTERRUPTED") || strings.Contains(logs, `"status":500`) || strings.Contains(logs, "rapporteur") {
		t.Errorf("the log names the file or records a 500:\n%s", logs)
	}
}

// TestUploadTooSlow: an authorised upload that trickles below the minimum
// rate is stopped with 408, and nothing of it is kept.
func TestUploadTooSlow(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{Uploads: server.UploadLimits{MinRate: 1 << 20, Window: 300 * time.Millisecond}}, 10*time.Second)
	_, token := u.uploadToken("hrc_session")
	boundary, head := multipartHead(token, "slow.mp4")
	conn := u.rawUpload("/api/v1/attachments", boundary, 10<<20, head)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a few bytes every 50 ms: far below 1 MiB/s
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("trickle")); err != nil {
					return
				}
			}
		}
	}()
	resp, body := readResponse(t, conn, 5*time.Second)
	close(stop)
	wg.Wait()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, `"upload_too_slow"`) {
		t.Errorf("status %d, want 408 upload_too_slow: %s", resp.StatusCode, body)
	}
	if rows, chunks := u.attachmentRows(); rows != 0 || chunks != 0 {
		t.Errorf("the slow upload left %d attachment rows and %d chunks", rows, chunks)
	}
}

// TestUploadConcurrencyCap: with one upload slot taken, the next upload
// is refused at once with a retryable 503.
func TestUploadConcurrencyCap(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{Uploads: server.UploadLimits{MaxConcurrent: 1}}, 10*time.Second)
	_, token := u.uploadToken("hrc_session")
	boundary, head := multipartHead(token, "first.mp4")
	conn := u.rawUpload("/api/v1/attachments", boundary, 10<<20, head)
	// The first upload holds its slot once its attachment row exists.
	for start := time.Now(); ; {
		if rows, _ := u.attachmentRows(); rows == 1 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the first upload never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ct, body := multipartBody(token, map[string][]byte{"second.txt": []byte("second")})
	resp, err := http.Post(u.up.URL+"/api/v1/attachments", ct, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), `"busy"`) {
		t.Errorf("second upload: status %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	conn.Close()
}

// TestParallelUploadsKeepTheFileLimit: 30 uploads at once to one case
// with a limit of 20 files store exactly 20; the others are refused.
func TestParallelUploadsKeepTheFileLimit(t *testing.T) {
	t.Parallel()
	u := newUploadEnv(t, server.Options{Attach: intake.AttachLimits{MaxFiles: 20, MaxFileBytes: 1 << 20}}, 30*time.Second)
	_, token := u.uploadToken("hrc_session")
	const n = 30
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct, body := multipartBody(token, map[string][]byte{fmt.Sprintf("f%02d.txt", i): []byte("content")})
			<-start
			resp, err := http.Post(u.up.URL+"/api/v1/attachments", ct, body)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	stored, refused := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			stored++
		case http.StatusUnprocessableEntity:
			refused++
		}
	}
	var rows, counter int
	u.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM attachments WHERE complete`).Scan(&rows)
	u.db.Pool().QueryRow(context.Background(), `SELECT attachment_count FROM reports`).Scan(&counter)
	if stored != 20 || refused != 10 || rows != 20 || counter != 20 {
		t.Errorf("%d stored, %d refused, %d rows, counter %d; want 20, 10, 20, 20 (codes %v)", stored, refused, rows, counter, codes)
	}
}

// TestEndUploads: closing Options.EndUploads (what serve does when a
// graceful stop's grace period is over) stops an upload under way: the
// client is told to retry (503, Retry-After) and the unfinished file is
// gone at once.
func TestEndUploads(t *testing.T) {
	t.Parallel()
	end := make(chan struct{})
	u := newUploadEnv(t, server.Options{EndUploads: end}, 10*time.Second)
	_, token := u.uploadToken("hrc_session")
	boundary, head := multipartHead(token, "long-video.mp4")
	body := append(head, bytes.Repeat([]byte("v"), 600<<10)...)
	conn := u.rawUpload("/attachments", boundary, 100<<20, body)
	for start := time.Now(); ; {
		if _, chunks := u.attachmentRows(); chunks >= 1 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the upload never stored a chunk")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(end)
	resp, page := readResponse(t, conn, 5*time.Second)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(page, "send it again") {
		t.Errorf("status %d, Retry-After %q, want 503 asking to retry:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), page)
	}
	if rows, chunks := u.attachmentRows(); rows != 0 || chunks != 0 {
		t.Errorf("the stopped upload left %d attachment rows and %d chunks", rows, chunks)
	}
}
