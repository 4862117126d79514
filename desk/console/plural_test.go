package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestPluralsInSpanish: against the real server, the console in Spanish
// (and English) words a count by its CLDR plural category: one case, five
// cases; the inbox's count, the annual report's totals and its CSV button.
func TestPluralsInSpanish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	seedAnnual(e) // 4 cases: 2 on the DPRK, 1 on Türkiye, 1 "not sure"; 3 may be published
	seedAnnual(e)
	e.submit(intaketest.Report("upr")) // 1 on Ukraine, anonymous
	con, src, hc := e.console("omar", id)
	base := "http://" + con.Addr()
	getPage(t, hc, base+"/")
	if err := src.WaitLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		lang, path string
		want       []string
		not        []string
	}{
		{"en", "/?state=UA", []string{"1 case matches; showing 1."}, []string{"1 cases"}},
		{"en", "/?state=TR", []string{"2 cases match; showing 2."}, nil},
		{"en", "/", []string{"9 cases match; showing 9."}, nil},
		{"es", "/?state=UA", []string{"1 caso coincide; se muestra 1."}, []string{"1 casos"}},
		{"es", "/?state=TR", []string{"2 casos coinciden; se muestran 2."}, nil},
		{"es", "/?state=KP", []string{"4 casos coinciden; se muestran 4."}, nil},
		{"es", "/?state=XX", []string{"0 casos coinciden; se muestran 0."}, nil},
		{"fr", "/?state=UA", []string{"1 dossier correspond ; 1 affiché."}, nil},
		{"fr", "/?state=XX", []string{"0 dossier correspond ; 0 affiché."}, nil}, // French: 0 is "one"
		{"fr", "/?state=TR", []string{"2 dossiers correspondent ; 2 affichés."}, nil},
		{"es", "/annual", []string{"9 casos en el período (", "); 7 pueden figurar en el CSV.", "Exportar el CSV de 7 casos"}, nil},
		{"es", "/annual?from=2020-05-01&to=2021-04-30", []string{"0 casos en el período (", "); 0 pueden figurar en el CSV."}, nil},
	} {
		post(t, hc, con, "/lang", url.Values{"lang": {tt.lang}, "back": {"/"}})
		page := getPage(t, hc, base+tt.path)
		contains(t, tt.lang+" "+tt.path, page, tt.want...)
		for _, w := range tt.not {
			if strings.Contains(page, w) {
				t.Errorf("%s %s: shows %q", tt.lang, tt.path, w)
			}
		}
	}
}
