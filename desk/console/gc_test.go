package console

import (
	"runtime/debug"
	"testing"
)

// TestRaiseGC: the collector's target is raised while any load runs and
// restored when the last ends, whatever order they end in and however
// often each end is called.
func TestRaiseGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	percent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	a := raiseGC()
	if p := percent(); p != loadGCPercent {
		t.Fatalf("during a load: %d, want %d", p, loadGCPercent)
	}
	b := raiseGC()
	a()
	a()
	if p := percent(); p != loadGCPercent {
		t.Errorf("with one of two loads still running: %d, want %d", p, loadGCPercent)
	}
	b()
	if p := percent(); p != 100 {
		t.Errorf("after both loads: %d, want 100", p)
	}
	debug.SetGCPercent(800)
	c := raiseGC()
	if p := percent(); p != 800 {
		t.Errorf("a higher target already set: %d, want it kept (800)", p)
	}
	c()
	if p := percent(); p != 800 {
		t.Errorf("after: %d, want 800", p)
	}
}
