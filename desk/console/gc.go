package console

import (
	"runtime/debug"
	"sync"
)

// loadGCPercent is the garbage collector's target while an inbox loads
// (GOGC; Go's default is 100). A load makes garbage fast (page buffers
// of megabytes, their JSON, each case's plaintext, zeroed once decoded)
// while what it keeps grows steadily, so at the default the collector
// runs over and over on a heap that is nearly all live: in
// BenchmarkLoadInbox, 15-30% less CPU time at 400 (docs/performance.md).
// The price is a heap up to five times the live one until the load ends,
// when the default comes back.
const loadGCPercent = 400

// loads counts the loads running in this process (a new Load starts
// before the one it replaces has stopped), so the collector's target is
// raised once and restored when the last one ends.
var loads struct {
	sync.Mutex
	n   int
	old int
}

// raiseGC raises the collector's target for a load and returns the
// function that ends it; calling that more than once is harmless.
func raiseGC() func() {
	loads.Lock()
	if loads.n == 0 {
		loads.old = debug.SetGCPercent(loadGCPercent)
		if loads.old < 0 || loads.old > loadGCPercent {
			debug.SetGCPercent(loads.old) // off, or higher already: keep it
		}
	}
	loads.n++
	loads.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			loads.Lock()
			if loads.n--; loads.n == 0 {
				debug.SetGCPercent(loads.old)
			}
			loads.Unlock()
		})
	}
}
