package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
)

// attachTo adds a file to case ref as a reporter's return visit would,
// and returns its id.
func (w *world) attachTo(ref, name string, body []byte) string {
	w.t.Helper()
	ctx := context.Background()
	var id string
	w.db.Pool().QueryRow(ctx, `SELECT id FROM reports WHERE reference = $1`, ref).Scan(&id)
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	visit, err := svc.CaseByID(ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	ids := func() map[string]bool {
		out := map[string]bool{}
		rows, err := w.db.Pool().Query(ctx, `SELECT id::text FROM attachments WHERE report_id = $1`, id)
		if err != nil {
			w.t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out[s] = true
		}
		return out
	}
	before := ids()
	if _, err := svc.Attach(ctx, visit, name, "text/plain", bytes.NewReader(body), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		w.t.Fatal(err)
	}
	for fid := range ids() {
		if !before[fid] {
			return fid
		}
	}
	w.t.Fatal("no new attachment")
	return ""
}

// manifestSwapServer is a hostile reverse proxy in front of the real
// server. For case a it lists file x with the manifest of file from (of
// a or of another case), or, when body is set, serves the content of
// file from as x's.
func (w *world) manifestSwapServer(a, x, from string, body bool, manifests map[string][]byte) string {
	w.t.Helper()
	target, _ := url.Parse(w.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	list := handlerapi.Prefix + "/cases/" + a + "/attachments"
	proxy.Director = func(r *http.Request) {
		director(r)
		r.Header.Del("Accept-Encoding")
		if body && r.URL.Path == list+"/"+x {
			r.URL.Path = list + "/" + from
			r.URL.RawPath = ""
		}
	}
	proxy.ModifyResponse = func(resp *http.Response) error {
		if body || resp.Request.URL.Path != list {
			return nil
		}
		var l handlerapi.AttachmentList
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(b, &l); err != nil {
			w.t.Errorf("listing: %v", err)
		}
		for i := range l.Attachments {
			if l.Attachments[i].ID == x {
				l.Attachments[i].Manifest = manifests[from]
			}
		}
		b, _ = json.Marshal(l)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return nil
	}
	front := httptest.NewServer(proxy)
	w.t.Cleanup(front.Close)
	return front.URL
}

// TestSwappedManifestIsRefused plays a server that swaps an attachment's
// sealed manifest with another attachment's (of the same case, and of
// another case), and one that serves another file's content: casectl
// export refuses the file and writes none of it.
func TestSwappedManifestIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	a, b := w.submit("hrc_session"), w.submit("treaty_body")
	x := w.attachTo(a, "x.txt", []byte("the content of x"))
	y := w.attachTo(a, "y.txt", []byte("the content of y, longer"))
	z := w.attachTo(b, "z.txt", []byte("the content of z"))
	manifests := map[string][]byte{}
	rows, err := w.db.Pool().Query(context.Background(), `SELECT id::text, manifest FROM attachments`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var m []byte
		rows.Scan(&id, &m)
		manifests[id] = m
	}
	rows.Close()
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	real := w.url

	for _, tc := range []struct {
		name string
		from string
		body bool
		// refusal is what export says ("" : it skips the file, which
		// show does not list as A's).
		refusal string
	}{
		{"manifest of the same case", y, false, "does not decrypt with the key in its manifest"},
		{"manifest of another case", z, false, ""},
		{"content of another file", y, true, "does not decrypt with the key in its manifest"},
	} {
		w.useServer("omar", w.manifestSwapServer(a, x, tc.from, tc.body, manifests))
		dir := filepath.Join(w.dir, "export-"+strings.ReplaceAll(tc.name, " ", "-"))
		out, err := w.as("omar", "", "export", "-i", omarKey, "-out", dir, a)
		if tc.refusal != "" && (err == nil || !strings.Contains(out, tc.refusal)) {
			t.Errorf("%s: err %v, want a refusal saying %q:\n%s", tc.name, err, tc.refusal, out)
		}
		if shown, _ := w.as("omar", "", "show", "-i", omarKey, a); strings.Contains(shown, "z.txt") {
			t.Errorf("%s: show lists another case's file as %s's:\n%s", tc.name, a, shown)
		}
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return nil
			}
			got, _ := os.ReadFile(p)
			if bytes.Contains(got, []byte("the content of")) && !strings.Contains(p, "y.txt") {
				t.Errorf("%s: export wrote %s with %q", tc.name, p, got)
			}
			if strings.Contains(p, "x.txt") || strings.Contains(p, "z.txt") {
				t.Errorf("%s: export wrote %s", tc.name, p)
			}
			return nil
		})
	}
	w.useServer("omar", real)
}
