package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ohchr-reprisals/intake/"

// layers places every package of the module (docs/architecture.md). A
// package not listed takes the layer of the nearest listed folder above it
// (intake/intaketest is intake's); a new top-level package must be added.
var layers = map[string]int{
	"crypto": 0, "country": 0, "audit": 0, "migrations": 0, "web": 0, "internal/debian": 0,
	"envelope": 1, "roster": 1, "internal/browsertest": 1, "store/pgtemp": 1, "internal/archtest": 1,
	"handlerapi": 2, "config": 2,
	"store": 3, "desk": 3, "desk/sgreport": 3,
	"store/storetest": 4, "intake": 4, "casework": 4, "intermediary": 4, "notify": 4, "desk/console": 4,
	"intake/intaketest": 5, "server": 5,
	"cmd/reprisals": 6, "cmd/casectl": 6,
}

// clientMay is all the handler's client (desk, desk/..., cmd/casectl) may
// import of the module besides its own packages.
var clientMay = map[string]bool{"crypto": true, "country": true, "envelope": true, "roster": true, "handlerapi": true}

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
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		p, ok := strings.CutPrefix(f[0], module)
		if !ok {
			t.Fatalf("go list named %q outside the module", f[0])
		}
		n++
		lp, ok := layerOf(p)
		if !ok {
			t.Errorf("package %s has no layer: add it to layers here and to docs/architecture.md", p)
			continue
		}
		for _, imp := range f[1:] {
			q, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			lq, ok := layerOf(q)
			switch {
			case !ok:
				t.Errorf("%s imports %s, which has no layer", p, q)
			case lq >= lp:
				t.Errorf("%s (layer %d) imports %s (layer %d): imports go to lower layers only", p, lp, q, lq)
			case isClient(p) && !isClient(q) && !clientMay[q]:
				t.Errorf("the client package %s imports the server's %s", p, q)
			case !isClient(p) && isClient(q):
				t.Errorf("%s imports the client's %s", p, q)
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list listed only %d packages", n)
	}
}
