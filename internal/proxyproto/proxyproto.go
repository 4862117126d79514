// Package proxyproto reads the PROXY protocol version 1 header (HAProxy's
// text format) that Tor puts in front of each connection of an onion
// service configured with "HiddenServiceExportCircuitID haproxy", and
// gives the Tor circuit id it carries.
//
// Tor writes, for each stream, "PROXY TCP6 fc00:dead:beef:4dad::X:Y ::1
// P 0\r\n", where X:Y is the 32-bit global id of the client's circuit
// (within that tor process). The id names no one: it is a counter of the
// tor process, new for every circuit, and says nothing about who the
// client is or where they are. It lets the service tell one noisy circuit
// from the others, so that it can be slowed without anyone else being
// slowed.
//
// The header is untrusted input: it is read only up to its maximum length
// (107 bytes), parsed strictly, and a connection whose header is missing or
// malformed is closed before any request is read from it.
package proxyproto

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// MaxHeader is the longest version 1 header, CRLF included.
const MaxHeader = 107

// ErrBadHeader is a connection that did not start with a well-formed
// PROXY protocol version 1 header.
var ErrBadHeader = errors.New("proxyproto: not a PROXY protocol v1 header")

// circuitPrefix is where Tor puts a circuit id: the last 32 bits of an
// address in fc00:dead:beef:4dad::/64.
var circuitPrefix = netip.MustParsePrefix("fc00:dead:beef:4dad::/64")

// Header is a parsed version 1 header.
type Header struct {
	// Unknown is "PROXY UNKNOWN": the sender knows nothing of the client;
	// the addresses and ports are then zero.
	Unknown              bool
	Source, Dest         netip.Addr
	SourcePort, DestPort uint16
}

// Circuit returns the Tor circuit id the header carries, if its source
// address is one Tor makes for HiddenServiceExportCircuitID.
func (h Header) Circuit() (uint32, bool) {
	if h.Unknown || !circuitPrefix.Contains(h.Source) {
		return 0, false
	}
	b := h.Source.As16()
	return uint32(b[12])<<24 | uint32(b[13])<<16 | uint32(b[14])<<8 | uint32(b[15]), true
}

// Parse parses one header line, CRLF included, strictly: "PROXY", then
// TCP4 or TCP6 with two addresses of that family and two decimal ports
// (no sign, no leading zeros), each separated by one space; or UNKNOWN,
// optionally followed by a space and anything printable. At most
// MaxHeader bytes, ASCII only.
func Parse(line []byte) (Header, error) {
	h, err := parse(line)
	if err != nil {
		return Header{}, err
	}
	return h, nil
}

func parse(line []byte) (Header, error) {
	var h Header
	if len(line) > MaxHeader || len(line) < len("PROXY UNKNOWN\r\n") {
		return h, ErrBadHeader
	}
	s, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok {
		return h, ErrBadHeader
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return h, ErrBadHeader
		}
	}
	rest, ok := strings.CutPrefix(s, "PROXY ")
	if !ok {
		return h, ErrBadHeader
	}
	if rest == "UNKNOWN" || strings.HasPrefix(rest, "UNKNOWN ") {
		return Header{Unknown: true}, nil
	}
	f := strings.Split(rest, " ")
	if len(f) != 5 || (f[0] != "TCP4" && f[0] != "TCP6") {
		return h, ErrBadHeader
	}
	var err error
	if h.Source, err = parseAddr(f[1], f[0] == "TCP4"); err != nil {
		return h, err
	}
	if h.Dest, err = parseAddr(f[2], f[0] == "TCP4"); err != nil {
		return h, err
	}
	if h.SourcePort, err = parsePort(f[3]); err != nil {
		return h, err
	}
	if h.DestPort, err = parsePort(f[4]); err != nil {
		return h, err
	}
	return h, nil
}

func parseAddr(s string, v4 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4() != v4 || (!v4 && a.Is4In6()) {
		return netip.Addr{}, ErrBadHeader
	}
	return a, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" || len(s) > 5 || (len(s) > 1 && s[0] == '0') {
		return 0, ErrBadHeader
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrBadHeader
		}
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, ErrBadHeader
	}
	return uint16(n), nil
}

// readHeader reads one header line from r, never more than MaxHeader
// bytes.
func readHeader(r *bufio.Reader) (Header, error) {
	var line []byte
	for len(line) < MaxHeader {
		b, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = ErrBadHeader
			}
			return Header{}, err
		}
		line = append(line, b)
		if b == '\n' {
			return Parse(line)
		}
	}
	return Header{}, ErrBadHeader
}

// Listener wraps a listener whose every connection starts with a header
// (Tor's onion service with HiddenServiceExportCircuitID haproxy). Accept
// does not wait for the header: it is read with the connection's first
// Read, under whatever read deadline the server has set by then (for
// net/http, ReadHeaderTimeout).
type Listener struct{ net.Listener }

// Accept returns the next connection, wrapped.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c, r: bufio.NewReaderSize(c, 4096)}, nil
}

// Conn is a connection whose header is read on its first Read.
type Conn struct {
	net.Conn
	r    *bufio.Reader
	once sync.Once
	h    Header
	err  error
}

func (c *Conn) header() {
	c.once.Do(func() {
		if c.h, c.err = readHeader(c.r); c.err != nil {
			// Nothing is answered on a connection without a header.
			c.Conn.Close()
		}
	})
}

// Read reads the header first (once), then the connection's bytes.
func (c *Conn) Read(p []byte) (int, error) {
	c.header()
	if c.err != nil {
		return 0, c.err
	}
	return c.r.Read(p)
}

// Circuit returns the Tor circuit id of the connection, once its header
// has been read (a request has been read from it), if it carries one.
func (c *Conn) Circuit() (uint32, bool) {
	c.header()
	if c.err != nil {
		return 0, false
	}
	return c.h.Circuit()
}

type connKey struct{}

// WithConn returns ctx carrying c (for http.Server.ConnContext).
func WithConn(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, pc)
	}
	return ctx
}

// Circuit returns the Tor circuit id of the connection ctx was made for
// (by WithConn), if it came through a Listener and carries one.
func Circuit(ctx context.Context) (uint32, bool) {
	c, ok := ctx.Value(connKey{}).(*Conn)
	if !ok {
		return 0, false
	}
	return c.Circuit()
}
