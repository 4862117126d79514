package proxyproto

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		line    string
		ok      bool
		circuit uint32
		hasCirc bool
	}{
		// What Tor sends for circuit 666 (0x29a) and for 0x12345678.
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n", true, 666, true},
		{"PROXY TCP6 fc00:dead:beef:4dad::1234:5678 ::1 22136 0\r\n", true, 0x12345678, true},
		{"PROXY TCP6 fc00:dead:beef:4dad::ffff:ffff ::1 65535 0\r\n", true, 0xffffffff, true},
		// Well-formed, but no circuit in it.
		{"PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n", true, 0, false},
		{"PROXY TCP6 2001:db8::1 ::1 1 0\r\n", true, 0, false},
		{"PROXY UNKNOWN\r\n", true, 0, false},
		{"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", true, 0, false},
		// Refused.
		{"", false, 0, false},
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\n", false, 0, false},
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n\r\n", false, 0, false},
		{"PROXY  TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n", false, 0, false},
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0 \r\n", false, 0, false},
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 0666 0\r\n", false, 0, false},
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 65536 0\r\n", false, 0, false},
		{"PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 +1 0\r\n", false, 0, false},
		{"PROXY TCP6 192.0.2.1 ::1 1 0\r\n", false, 0, false},
		{"PROXY TCP4 ::1 192.0.2.2 1 0\r\n", false, 0, false},
		{"PROXY TCP6 ::ffff:192.0.2.1 ::1 1 0\r\n", false, 0, false},
		{"PROXY TCP6 fe80::1%eth0 ::1 1 0\r\n", false, 0, false},
		{"PROXY UDP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n", false, 0, false},
		{"proxy TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n", false, 0, false},
		{"PROXY UNKNOWN\x00\r\n", false, 0, false},
		{"PROXY UNKNOWNX\r\n", false, 0, false},
		{"\r\n\r\n\x00\r\nQUIT\n", false, 0, false}, // a version 2 header
		{"PROXY UNKNOWN " + strings.Repeat("x", MaxHeader) + "\r\n", false, 0, false},
	} {
		h, err := Parse([]byte(tt.line))
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%q): %v, want ok = %v", tt.line, err, tt.ok)
			continue
		}
		if id, has := h.Circuit(); id != tt.circuit || has != tt.hasCirc {
			t.Errorf("Parse(%q).Circuit() = %d, %v; want %d, %v", tt.line, id, has, tt.circuit, tt.hasCirc)
		}
	}
}

// FuzzParse: any line is either refused or parsed to a header that, sent
// again in Tor's or the standard form, parses the same. Never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n"))
	f.Add([]byte("PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte("PROXY TCP6 ::1 ::1 00 0\r\n"))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		if len(b) > MaxHeader {
			t.Fatalf("accepted %d bytes", len(b))
		}
		if h.Unknown {
			return
		}
		proto := "TCP6"
		if h.Source.Is4() {
			proto = "TCP4"
		}
		again := []byte("PROXY " + proto + " " + h.Source.String() + " " + h.Dest.String() + " " +
			itoa(h.SourcePort) + " " + itoa(h.DestPort) + "\r\n")
		h2, err := Parse(again)
		if err != nil || h2 != h {
			t.Fatalf("%q parsed to %+v; its re-encoding %q to %+v, %v", b, h, again, h2, err)
		}
	})
}

func itoa(n uint16) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// TestListener: through a real listener and net/http, a request whose
// connection starts with Tor's header is served and sees its circuit; a
// connection without a header, or with a bad or endless one, is closed
// without a request being served.
func TestListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan string, 10)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := Circuit(r.Context())
			served <- r.URL.Path
			if ok {
				io.WriteString(w, "circuit "+itoa(uint16(id)))
			} else {
				io.WriteString(w, "no circuit")
			}
		}),
		ConnContext:       WithConn,
		ReadHeaderTimeout: 2 * time.Second,
	}
	go srv.Serve(Listener{ln})
	t.Cleanup(func() { srv.Close() })
	send := func(prefix string) string {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, prefix+"GET /x HTTP/1.1\r\nHost: a.onion\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "closed"
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := send("PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n"); got != "circuit 666" {
		t.Errorf("Tor's header: %q, want circuit 666", got)
	}
	if got := send("PROXY UNKNOWN\r\n"); got != "no circuit" {
		t.Errorf("UNKNOWN: %q", got)
	}
	for _, bad := range []string{"", "PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 0666 0\r\n", "PROXY UNKNOWN " + strings.Repeat("x", 200)} {
		if got := send(bad); got != "closed" {
			t.Errorf("header %.30q: %q, want the connection closed", bad, got)
		}
	}
	if n := len(served); n != 2 {
		t.Errorf("%d requests served, want 2", n)
	}
}
