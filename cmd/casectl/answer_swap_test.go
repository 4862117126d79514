package main_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

// swapServer is a hostile server in front of the real one: it answers a
// request for case a with case b (its whole answer: reference, clear
// fields and ciphertext), and records every request that is not a GET.
type swapServer struct {
	mu     sync.Mutex
	writes []string
}

func (w *world) swapServer(a, b string) (*swapServer, string) {
	w.t.Helper()
	s := &swapServer{}
	target, _ := url.Parse(w.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		if r.Method == "GET" && r.URL.Path == handlerapi.Prefix+"/cases/"+a {
			r.URL.Path = handlerapi.Prefix + "/cases/" + b
			r.URL.RawPath = ""
		}
	}
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" {
			s.mu.Lock()
			s.writes = append(s.writes, r.Method+" "+r.URL.Path)
			s.mu.Unlock()
		}
		proxy.ServeHTTP(rw, r)
	}))
	w.t.Cleanup(front.Close)
	return s, front.URL
}

// took returns the writes recorded since the last call.
func (s *swapServer) took() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.writes
	s.writes = nil
	return out
}

// useServer points handler who's session at another server address.
func (w *world) useServer(who, addr string) {
	w.t.Helper()
	path := filepath.Join(w.dir, who+".session")
	var sess map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	json.Unmarshal(b, &sess)
	sess["server"] = addr
	b, _ = json.Marshal(sess)
	os.WriteFile(path, b, 0o600)
}

// TestAnswerForAnotherCaseIsRefused plays a server that answers a request
// for case A with its own case B, readable by the handler: show, reply,
// note, export and rekey each refuse A and send nothing about it (show
// printed B as A, and reply encrypted to B's reply key, when the client
// checked the reference the server answered with instead of the one
// asked for).
func TestAnswerForAnotherCaseIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	a, b := w.submit("hrc_session"), w.submit("treaty_body")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	hostile, addr := w.swapServer(a, b)
	w.useServer("omar", addr)
	// B itself is served honestly.
	contains(t, w.must("omar", "", "show", "-i", omarKey, b), "Reference:   "+b)

	refusal := "holds the content of another case"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"show", []string{"show", "-i", omarKey, a}},
		{"show -json", []string{"show", "-json", "-i", omarKey, a}},
		{"reply", []string{"reply", "-i", omarKey, a, "-m", "We have raised your case.", "-org-may-read"}},
		{"note", []string{"note", "-i", omarKey, a, "-m", "Called the family."}},
		{"note without identity", []string{"note", a, "-m", "Called the family."}},
		{"export", []string{"export", "-i", omarKey, "-out", filepath.Join(w.dir, "export"), a}},
	} {
		out, err := w.as("omar", "", tc.args...)
		if err == nil || !strings.Contains(out, refusal) {
			t.Errorf("%s: err %v, want a refusal saying %q:\n%s", tc.name, err, refusal, out)
		}
		if strings.Contains(out, "Reference:   "+b) || strings.Contains(out, `"reference": "`+b) {
			t.Errorf("%s printed case %s as %s:\n%s", tc.name, b, a, out)
		}
		if got := hostile.took(); len(got) > 0 {
			t.Errorf("%s sent %v", tc.name, got)
		}
	}
	if _, err := os.Stat(filepath.Join(w.dir, "export", a)); err == nil {
		t.Errorf("export wrote a folder for %s", a)
	}
	// rekey refuses A, sends nothing for it, and still re-encrypts B.
	out, err := w.as("omar", "", "rekey", "-i", omarKey)
	if err == nil || !strings.Contains(out, a+": REFUSED") || !strings.Contains(out, "Re-encrypted 1 case ") {
		t.Errorf("rekey: err %v, want A refused and B re-encrypted:\n%s", err, out)
	}
	for _, wr := range hostile.took() {
		if strings.Contains(wr, "/cases/"+a) {
			t.Errorf("rekey sent %s", wr)
		}
	}
}
