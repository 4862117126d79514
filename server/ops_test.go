package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		remote, xff, want string
	}{
		{"203.0.113.7:5555", "", "203.0.113.7"},
		{"203.0.113.7:5555", "198.51.100.1", "203.0.113.7"},                   // untrusted peer: its header is ignored
		{"10.1.2.3:443", "198.51.100.1", "198.51.100.1"},                      // trusted proxy
		{"10.1.2.3:443", "192.0.2.9, 198.51.100.1, 10.9.9.9", "198.51.100.1"}, // right-most untrusted hop
		{"10.1.2.3:443", "", "10.1.2.3"},
		{"[::1]:80", "2001:db8::1", "2001:db8::1"},
		{"10.1.2.3:443", "garbage, 198.51.100.2", "198.51.100.2"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientAddr(r, trusted); got != tt.want {
			t.Errorf("peer %s, XFF %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}
