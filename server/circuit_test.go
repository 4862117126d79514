package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/internal/proxyproto"
)

// TestNoisyCircuitIsSlowedNotOthers: through an onion listener (each
// connection starting with the PROXY header Tor sends with
// HiddenServiceExportCircuitID), one circuit that holds 8 requests open
// gets its 9th answered only when one of those ends: slowed, never
// refused; a request from another circuit is answered at once meanwhile.
func TestNoisyCircuitIsSlowedNotOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.echo, ConnContext: proxyproto.WithConn, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(proxyproto.Listener{Listener: ln})
	t.Cleanup(func() { srv.Close() })

	const body = `{"handler":"nobody"}`
	// open sends a challenge request on circuit id, with only the first
	// sent bytes of its body; the rest is written by the returned func.
	type req struct {
		c    net.Conn
		rest string
		resp chan int
	}
	open := func(id uint32, sent int) *req {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "PROXY TCP6 fc00:dead:beef:4dad::%x:%x ::1 %d 0\r\n", id>>16, id&0xffff, id&0xffff)
		fmt.Fprintf(c, "POST /api/v1/handler/login/challenge HTTP/1.1\r\nHost: x.onion\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body[:sent])
		r := &req{c: c, rest: body[sent:], resp: make(chan int, 1)}
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				r.resp <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			r.resp <- resp.StatusCode
		}()
		return r
	}
	var held []*req
	for range 8 {
		held = append(held, open(7, 6))
	}
	time.Sleep(300 * time.Millisecond) // let the 8 reach their handlers
	ninth := open(7, len(body))
	other := open(8, len(body))
	select {
	case code := <-other.resp:
		if code != 200 {
			t.Errorf("another circuit: %d, want 200", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another circuit waited on the noisy one")
	}
	select {
	case code := <-ninth.resp:
		t.Fatalf("the noisy circuit's 9th request was answered (%d) while 8 were under way", code)
	case <-time.After(500 * time.Millisecond):
	}
	io.WriteString(held[0].c, held[0].rest)
	for i, r := range []*req{held[0], ninth} {
		select {
		case code := <-r.resp:
			if code != 200 {
				t.Errorf("request %d of the noisy circuit: %d, want 200 (slowed, never refused)", i, code)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d of the noisy circuit was never answered", i)
		}
	}
	for _, r := range held[1:] {
		io.WriteString(r.c, r.rest)
		if code := <-r.resp; code != 200 {
			t.Errorf("a held request: %d, want 200", code)
		}
	}
	if s := e.logs.String(); strings.Contains(s, "fc00") || strings.Contains(s, "circuit") {
		t.Errorf("the log names a circuit: %s", s)
	}
}
