package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClientLinksNoServer checks that the handler's binary carries none of
// the server: no database driver, store, migrations, configuration,
// intake or case service, notifier, audit log or HTTP server.
func TestClientLinksNoServer(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/ohchr-reprisals/intake/"
	server := []string{"store", "migrations", "config", "server", "intake", "notify", "casework", "audit", "intermediary", "web"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/jackc/") {
			t.Errorf("casectl links the database driver %s", d)
		}
		rel, ok := strings.CutPrefix(d, mod)
		if !ok {
			continue
		}
		for _, s := range server {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				t.Errorf("casectl links the server's package %s", d)
			}
		}
	}
}
