package console_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/ohchr-reprisals/intake/desk/console"
)

// TestConsolePort: the console listens on 127.0.0.1 at the port it is
// given, and refuses one that is not a port.
func TestConsolePort(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tpl, err := console.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: &console.Source{}, Templates: tpl, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer con.Close()
	if got, want := con.Addr(), "127.0.0.1:"+strconv.Itoa(port); got != want {
		t.Errorf("console listens on %s, want %s", got, want)
	}
	if _, err := console.Start(console.Config{Source: &console.Source{}, Templates: tpl, Port: 70000}); err == nil {
		t.Error("port 70000 accepted")
	}
}
