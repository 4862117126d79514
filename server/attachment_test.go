package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/server"
)

// multipartBody builds an upload: the visit token first, then the files.
func multipartBody(token string, files map[string][]byte) (string, *bytes.Buffer) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("visit", token)
	for name, data := range files {
		p, _ := w.CreateFormFile("files", name)
		p.Write(data)
	}
	w.Close()
	return w.FormDataContentType(), &b
}

// uploadToken submits a report through the API and returns its token.
func (e *env) uploadToken(body string) (string, string) {
	e.t.Helper()
	resp, b := e.postJSON(intaketestReport(body))
	if resp.StatusCode != 201 {
		e.t.Fatalf("submit: %d", resp.StatusCode)
	}
	var acc struct {
		Reference   string `json:"reference"`
		UploadToken string `json:"upload_token"`
	}
	json.Unmarshal(b, &acc)
	return acc.Reference, acc.UploadToken
}

// fetchAttachments downloads and decrypts every attachment of ref as a
// handler of the reprisals team would.
func (e *env) fetchAttachments(ref string, id age.Identity, tok string) map[string][]byte {
	e.t.Helper()
	var list struct {
		Attachments []struct {
			ID       string `json:"id"`
			Manifest []byte `json:"manifest"`
		}
	}
	e.api(tok, "GET", "/cases/"+ref+"/attachments", nil, &list)
	out := map[string][]byte{}
	for _, a := range list.Attachments {
		plain, err := crypto.Open(a.Manifest, id)
		if err != nil {
			e.t.Fatalf("manifest: %v", err)
		}
		var m envelope.Manifest
		json.Unmarshal(plain, &m)
		key, err := age.ParseX25519Identity(m.Key)
		if err != nil {
			e.t.Fatal(err)
		}
		resp, ct := e.do("GET", "/api/v1/handler/cases/"+ref+"/attachments/"+a.ID, "", nil, "Authorization", "Bearer "+tok)
		if resp.StatusCode != 200 {
			e.t.Fatalf("download: %d", resp.StatusCode)
		}
		r, err := age.Decrypt(bytes.NewReader(ct), key)
		if err != nil {
			e.t.Fatal(err)
		}
		content, _ := io.ReadAll(r)
		if int64(len(content)) != crypto.PadmeSize(m.Size) {
			e.t.Errorf("%s: stored %d bytes, want the padded size %d", m.Name, len(content), crypto.PadmeSize(m.Size))
		}
		content = content[:m.Size]
		if sum := sha256.Sum256(content); m.SHA256 != hexString(sum[:]) {
			e.t.Errorf("%s: the SHA-256 in the manifest does not match", m.Name)
		}
		out[m.Name] = content
	}
	return out
}

func TestAttachmentRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("omar", "reprisals-team")
	ref, token := e.uploadToken("hrc_session")
	photo := bytes.Repeat([]byte("\xff\xd8 jpeg bytes "), 50_000) // about 700 KB
	doc := []byte("%PDF-1.7 a small document")
	ct, body := multipartBody(token, map[string][]byte{"photo of the arrest.jpg": photo, "summons.pdf": doc})
	resp, b := e.do("POST", "/api/v1/attachments", ct, body)
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}

	// Names, types and sizes are nowhere in clear; sizes are padded.
	dump := e.db.Dump(t)
	for _, needle := range []string{"photo of the arrest", "summons.pdf", "jpeg bytes", "%PDF"} {
		if bytes.Contains(dump, []byte(needle)) {
			t.Errorf("%q is in the pg_dump", needle)
		}
	}
	var buckets []int64
	rows, _ := e.db.Pool().Query(context.Background(), `SELECT size_bucket FROM attachments ORDER BY size_bucket`)
	for rows.Next() {
		var n int64
		rows.Scan(&n)
		buckets = append(buckets, n)
	}
	rows.Close()
	if len(buckets) != 2 || buckets[0] != crypto.PadmeSize(int64(len(doc))) || buckets[1] != crypto.PadmeSize(int64(len(photo))) {
		t.Errorf("size buckets %v", buckets)
	}

	got := e.fetchAttachments(ref, id, e.login("omar", id))
	if !bytes.Equal(got["photo of the arrest.jpg"], photo) || !bytes.Equal(got["summons.pdf"], doc) {
		t.Errorf("round trip lost bytes: %d files", len(got))
	}
	// The UPR team cannot open a non-UPR case's manifests.
	var m []byte
	e.db.Pool().QueryRow(context.Background(), `SELECT manifest FROM attachments LIMIT 1`).Scan(&m)
	if _, err := crypto.Open(m, e.teams.UPR); err == nil {
		t.Error("the UPR team opened a manifest of a non-UPR case")
	}
	var alerts int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM alerts WHERE kind = 'followup'`).Scan(&alerts)
	if alerts != 1 {
		t.Errorf("%d alerts for the new files, want 1", alerts)
	}
}

func TestAttachmentLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases, _ := casework.NewService(e.db.DB, e.teams.Config)
	h, _ := server.New(intake.NewService(e.db.DB, e.teams.Config, nil), cases, slog.New(slog.DiscardHandler),
		server.Options{Attach: intake.AttachLimits{MaxFiles: 2, MaxFileBytes: 1 << 20}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, token := e.uploadToken("hrc_session")
	count := func() (n int) {
		e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM attachments`).Scan(&n)
		return n
	}
	post := func(path string, files map[string][]byte, tok string) (int, string) {
		ct, body := multipartBody(tok, files)
		resp, err := http.Post(srv.URL+path, ct, body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}

	// Too large: 413 with a clear page, nothing stored.
	code, page := post("/attachments", map[string][]byte{"video.mp4": make([]byte, 1<<20+1)}, token)
	if code != 413 || !strings.Contains(page, "too large") || !strings.Contains(page, "video.mp4") {
		t.Errorf("too large: %d\n%s", code, page)
	}
	var chunks int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM attachment_chunks`).Scan(&chunks)
	if count() != 0 || chunks != 0 {
		t.Errorf("a refused file left %d attachments and %d chunks", count(), chunks)
	}

	// The per-case count, across requests.
	if code, _ := post("/api/v1/attachments", map[string][]byte{"a.txt": []byte("a"), "b.txt": []byte("b")}, token); code != 201 {
		t.Fatalf("two files: %d", code)
	}
	if code, _ := post("/api/v1/attachments", map[string][]byte{"c.txt": []byte("c")}, token); code != 422 {
		t.Errorf("third file: %d, want 422", code)
	}
	// A forged token, no token first, no file, the wrong type.
	if code, _ := post("/attachments", map[string][]byte{"x": []byte("x")}, forge(token)); code != 403 {
		t.Errorf("forged token: %d, want 403", code)
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	p, _ := w.CreateFormFile("files", "first.txt")
	p.Write([]byte("file before token"))
	w.Close()
	if resp, err := http.Post(srv.URL+"/api/v1/attachments", w.FormDataContentType(), &b); err != nil || resp.StatusCode != 400 {
		t.Errorf("file before the token: %v %d, want 400", err, resp.StatusCode)
	}
	if code, _ := post("/api/v1/attachments", nil, token); code != 400 {
		t.Errorf("no file: %d, want 400", code)
	}
	if resp, _ := http.Post(srv.URL+"/attachments", "application/x-www-form-urlencoded", strings.NewReader("visit=x")); resp.StatusCode != 415 {
		t.Errorf("urlencoded upload: %d, want 415", resp.StatusCode)
	}
	if count() != 2 {
		t.Errorf("%d attachments, want 2", count())
	}
}

func TestAbandonedUploadsAreCleanedUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	acc, _ := intake.NewService(e.db.DB, e.teams.Config, nil).Submit(ctx, intake.Submission{Report: intaketestReport("hrc_session"), Channel: intake.ChannelPublic})
	// An upload that never finished (its process died), long ago, and one
	// still under way.
	old, _ := e.db.BeginAttachment(ctx, acc.ID, 20, mustTime(t, "2026-01-01T00:00:00Z"))
	w := e.db.NewChunkWriter(ctx, old)
	w.Write(make([]byte, 600<<10))
	w.Close()
	fresh, _ := e.db.BeginAttachment(ctx, acc.ID, 20, mustTime(t, "2099-01-01T00:00:00Z"))
	n, err := intake.NewService(e.db.DB, e.teams.Config, nil).CleanUp(ctx)
	if err != nil || n != 1 {
		t.Fatalf("cleaned %d (%v), want 1", n, err)
	}
	var left []string
	rows, _ := e.db.Pool().Query(ctx, `SELECT id::text FROM attachments`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		left = append(left, s)
	}
	rows.Close()
	var chunks int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachment_chunks`).Scan(&chunks)
	if len(left) != 1 || left[0] != fresh || chunks != 0 {
		t.Errorf("left %v with %d chunks; want only the upload under way", left, chunks)
	}
}
