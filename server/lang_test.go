package server_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

func TestLanguageNegotiation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		path, accept, lang, dir, heading string
	}{
		{"/report", "", "en", "ltr", "Report a reprisal"},
		{"/report", "ar-EG,ar;q=0.9,en;q=0.5", "ar", "rtl", "الإبلاغ عن عمل انتقامي"},
		{"/report", "fr-CH, fr;q=0.9", "fr", "ltr", "Signaler des représailles"},
		{"/report", "de-DE,de;q=0.9", "en", "ltr", "Report a reprisal"},
		{"/report?lang=ru", "ar", "ru", "ltr", "Сообщить о репрессиях"},
		{"/report?lang=zh", "", "zh", "ltr", "报告报复行为"},
		{"/report?lang=es", "", "es", "ltr", "Denunciar represalias"},
		{"/report?lang=xx", "fr", "fr", "ltr", "Signaler des représailles"},
		{"/return?lang=ar", "", "ar", "rtl", "العودة إلى بلاغك"},
	}
	for _, tt := range tests {
		resp, b := e.do("GET", tt.path, "", nil, "Accept-Language", tt.accept)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", tt.path, resp.StatusCode)
		}
		doc := parseHTML(t, b)
		root := findAll(doc, func(n *html.Node) bool { return n.Data == "html" })[0]
		h1 := findAll(doc, func(n *html.Node) bool { return n.Data == "h1" })[0]
		if attr(root, "lang") != tt.lang || attr(root, "dir") != tt.dir || strings.TrimSpace(text(h1)) != tt.heading {
			t.Errorf("%s (Accept-Language %q): lang=%q dir=%q h1=%q, want %s %s %q", tt.path, tt.accept,
				attr(root, "lang"), attr(root, "dir"), text(h1), tt.lang, tt.dir, tt.heading)
		}
		// The switcher lists the six languages, each named in itself, and
		// the forms keep the language.
		// On the report form the switcher's entries are buttons that send
		// the form, so that switching keeps what was typed.
		links := findAll(doc, func(n *html.Node) bool {
			return (n.Data == "a" && attr(n, "hreflang") != "") || (n.Data == "button" && attr(n, "form") == "report-form" && attr(n, "lang") != "")
		})
		if len(links) != 6 {
			t.Errorf("%s: %d languages in the switcher", tt.path, len(links))
		}
		for _, f := range findAll(doc, func(n *html.Node) bool { return n.Data == "form" }) {
			if action, _, _ := strings.Cut(attr(f, "action"), "#"); !strings.HasSuffix(action, "?lang="+tt.lang) {
				t.Errorf("%s: form action %q loses the language", tt.path, attr(f, "action"))
			}
		}
	}
	// The report's language is preset to the page's (it is asked on the
	// last step, and carried until then).
	_, b := e.do("GET", "/report?lang=ar", "", nil)
	sel := findAll(parseHTML(t, b), func(n *html.Node) bool {
		return n.Data == "input" && attr(n, "type") == "hidden" && attr(n, "name") == "language"
	})
	if len(sel) != 1 || attr(sel[0], "value") != "ar" {
		t.Error("the report language is not preset to Arabic on the Arabic form")
	}
}

func TestValidationMessagesAreTranslated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := intaketest.Report("upr")
	r.Victims[0].Name = ""
	r.Victims[0].Gender = strings.Repeat("x", 201)
	v := formValues(r)
	resp, b := e.do("POST", "/report?lang=fr", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	if resp.StatusCode != 422 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	if got := text(byID(doc, "victims[0].name-error")); !strings.Contains(got, "Veuillez indiquer un nom ou un pseudonyme.") {
		t.Errorf("French message: %q", got)
	}
	if got := text(byID(doc, "victims[0].gender-error")); !strings.Contains(got, "200 caractères au plus") {
		t.Errorf("French message with its number: %q", got)
	}
	if got := text(byID(doc, "error-summary")); !strings.Contains(got, "Certaines réponses demandent votre attention : 2") {
		t.Errorf("French summary: %q", got)
	}
}
