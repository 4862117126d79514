package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ohchr-reprisals/intake/"

// layers places every package of the module (docs/architecture.md). A
// package not listed takes the layer of the nearest listed folder above it
// (intake/intaketest is intake's), or else one above the highest of its
// imports (and is named in the test's log, to be added here).
var layers = map[string]int{
	"crypto": 0, "country": 0, "audit": 0, "migrations": 0, "web": 0, "internal/debian": 0, "internal/proxyproto": 0, "internal/hwkey": 0, "internal/plural": 0,
	"envelope": 1, "roster": 1, "internal/browsertest": 1, "store/pgtemp": 1, "internal/archtest": 1,
	"handlerapi": 2, "config": 2,
	"store": 3, "desk": 3, "desk/sgreport": 3,
	"store/storetest": 4, "intake": 4, "casework": 4, "intermediary": 4, "notify": 4, "desk/console": 4,
	"intake/intaketest": 5, "server": 5,
	"cmd/reprisals": 6, "cmd/casectl": 6, "internal/handlertest": 6,
}

// clientMay is all the handler's client (desk, desk/..., cmd/casectl) may
// import of the module besides its own packages.
var clientMay = map[string]bool{"crypto": true, "country": true, "envelope": true, "roster": true, "handlerapi": true, "internal/plural": true}

func layerOf(p string) (int, bool) {
	for q := p; q != "."; {
		if l, ok := layers[q]; ok {
			return l, true
		}
		i := strings.LastIndex(q, "/")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	return 0, false
}

func isClient(p string) bool {
	return p == "desk" || strings.HasPrefix(p, "desk/") || p == "cmd/casectl" || strings.HasPrefix(p, "cmd/casectl/")
}

// TestImportRules checks every package's imports (test files excluded):
// only lower layers, and for the client only the shared packages.
func TestImportRules(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string][]string{}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		p, ok := strings.CutPrefix(f[0], module)
		if !ok {
			t.Fatalf("go list named %q outside the module", f[0])
		}
		order = append(order, p)
		for _, imp := range f[1:] {
			if q, ours := strings.CutPrefix(imp, module); ours {
				imports[p] = append(imports[p], q)
			}
		}
	}
	if len(order) < 20 {
		t.Fatalf("go list listed only %d packages", len(order))
	}
	inferred := map[string]int{}
	var layer func(p string, depth int) int
	layer = func(p string, depth int) int {
		if l, ok := layerOf(p); ok {
			return l
		}
		if l, ok := inferred[p]; ok {
			return l
		}
		l := 0
		if depth < 64 { // go list has no cycles; this only bounds the walk
			for _, q := range imports[p] {
				l = max(l, layer(q, depth+1)+1)
			}
		}
		inferred[p] = l
		t.Logf("package %s has no layer in this test: taken as %d (add it here and to docs/architecture.md)", p, l)
		return l
	}
	for _, p := range order {
		lp := layer(p, 0)
		for _, q := range imports[p] {
			lq := layer(q, 0)
			switch {
			case lq >= lp:
				t.Errorf("%s (layer %d) imports %s (layer %d): imports go to lower layers only", p, lp, q, lq)
			case isClient(p) && !isClient(q) && !clientMay[q]:
				t.Errorf("the client package %s imports the server's %s", p, q)
			case !isClient(p) && isClient(q):
				t.Errorf("%s imports the client's %s", p, q)
			}
		}
	}
}
