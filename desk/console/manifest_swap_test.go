package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// attach adds a file to case ref as a reporter's return visit would, and
// returns its id and its sealed manifest as stored.
func (e *env) attach(ref, name string, body []byte) (id string, manifest []byte) {
	e.t.Helper()
	ctx := context.Background()
	var rid string
	if err := e.db.Pool().QueryRow(ctx, `SELECT id FROM reports WHERE reference = $1`, ref).Scan(&rid); err != nil {
		e.t.Fatal(err)
	}
	visit, err := e.svc.CaseByID(ctx, rid)
	if err != nil {
		e.t.Fatal(err)
	}
	files := func() map[string][]byte {
		out := map[string][]byte{}
		rows, err := e.db.Pool().Query(ctx, `SELECT id::text, manifest FROM attachments WHERE report_id = $1 AND complete`, rid)
		if err != nil {
			e.t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var fid string
			var m []byte
			if err := rows.Scan(&fid, &m); err != nil {
				e.t.Fatal(err)
			}
			out[fid] = m
		}
		return out
	}
	before := files()
	if _, err := e.svc.Attach(ctx, visit, name, "text/plain", bytes.NewReader(body), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		e.t.Fatal(err)
	}
	for fid, m := range files() {
		if _, ok := before[fid]; !ok {
			id, manifest = fid, m
		}
	}
	if id == "" {
		e.t.Fatal("no new attachment")
	}
	return id, manifest
}

// swapProxy is a hostile reverse proxy in front of the real server. For
// case a it lists file x with the sealed manifest given, or, when
// manifest is nil, serves file from's content as x's.
func (e *env) swapProxy(a, x string, manifest []byte, from string) string {
	e.t.Helper()
	target, _ := url.Parse(e.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	list := handlerapi.Prefix + "/cases/" + a + "/attachments"
	proxy.Director = func(r *http.Request) {
		director(r)
		r.Header.Del("Accept-Encoding")
		if manifest == nil && r.URL.Path == list+"/"+x {
			r.URL.Path, r.URL.RawPath = list+"/"+from, ""
		}
	}
	proxy.ModifyResponse = func(resp *http.Response) error {
		if manifest == nil || resp.Request.URL.Path != list || resp.StatusCode != http.StatusOK {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var l handlerapi.AttachmentList
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		for i := range l.Attachments {
			if l.Attachments[i].ID == x {
				l.Attachments[i].Manifest = manifest
			}
		}
		b, _ = json.Marshal(l)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	front := httptest.NewServer(proxy)
	e.t.Cleanup(front.Close)
	return front.URL
}

// consoleAt starts a console for handler name whose server is at server
// (logged in at the real one), opened and loaded.
func (e *env) consoleAt(server, name string, id age.Identity) (*console.Console, *http.Client) {
	e.t.Helper()
	api, err := handlerapi.New(server, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	api.SetToken(e.login(name, id).Token())
	src := console.NewSource(api, []age.Identity{id}, e.pins())
	tpl, err := console.LoadTemplates("")
	if err != nil {
		e.t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { con.Close() })
	hc := openConsole(e.t, con)
	if err := src.WaitLoaded(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return con, hc
}

// TestConsoleRefusesSwappedManifests plays a server (a proxy in front of
// the real one) that lists case A's file x with the sealed manifest of
// another file of A, or of a file of another case B, or serves another
// file's content as x's. The console's case page never lists B's file
// (it says, in words, that the server sent a file that is not A's), and
// the download of x is refused before any byte of the swapped content
// reaches the browser, with a page that says why. Through the honest
// server, the same console downloads x whole.
func TestConsoleRefusesSwappedManifests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	a := e.submit(intaketest.Report("hrc_session")).Reference
	b := e.submit(intaketest.Report("treaty_body")).Reference
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")
	x, _ := e.attach(a, "x-of-a.txt", []byte("the content of x"))
	y, my := e.attach(a, "y-of-a.txt", []byte("the content of y, longer"))
	_, mz := e.attach(b, "z-of-b.txt", []byte("the content of z"))
	// A manifest of A's that is sealed to a stranger, not to omar.
	m, err := envelope.OpenManifest(my, a, id)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := age.GenerateX25519Identity()
	sr, _ := crypto.ParseRecipient(stranger.Recipient().String())
	closed, err := envelope.SealManifest(m, []crypto.Recipient{sr})
	if err != nil {
		t.Fatal(err)
	}

	// The honest server: x downloads whole.
	con, hc := e.consoleAt(e.url, "omar", id)
	code, body := get(t, hc, "http://"+con.Addr()+"/cases/"+a+"/attachments/"+x)
	if code != http.StatusOK || body != "the content of x" {
		t.Fatalf("honest download of x: %d %q", code, body)
	}

	for _, tc := range []struct {
		name     string
		manifest []byte // x listed with it; nil: y's content served as x's
		// page is what the case page must say; download what the
		// refused download's page says.
		page, download string
	}{
		{"manifest of another file of the case", my, "", "does not decrypt with the key in its sealed manifest"},
		{"manifest of a file of another case", mz, "The server listed a file that does not belong to this case", "The server listed a file that does not belong to this case"},
		{"content of another file", nil, "", "does not decrypt with the key in its sealed manifest"},
		{"manifest not sealed to the handler", closed, "Not encrypted to your identity.", "Not encrypted to your identity."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			con, hc := e.consoleAt(e.swapProxy(a, x, tc.manifest, y), "omar", id)
			code, page := get(t, hc, "http://"+con.Addr()+"/cases/"+a)
			if code != http.StatusOK {
				t.Fatalf("case page: %d\n%s", code, page)
			}
			if strings.Contains(page, "z-of-b") {
				t.Errorf("the case page of %s lists %s's file", a, b)
			}
			contains(t, "case page", page, "y-of-a.txt", tc.page)
			resp, err := hc.Get("http://" + con.Addr() + "/cases/" + a + "/attachments/" + x)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.Header.Get("Content-Disposition") != "" {
				t.Errorf("the swapped download was given: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
			}
			if bytes.Contains(got, []byte("the content of")) {
				t.Errorf("the refused download sent the swapped bytes: %q", got)
			}
			contains(t, "refused download", string(got), tc.download)
			if tc.manifest == nil || !bytes.Equal(tc.manifest, closed) {
				contains(t, "refused download", string(got), "tell your security focal point")
			}
		})
	}
}
