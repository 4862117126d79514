package web

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"testing"
)

// luminance is the WCAG 2 relative luminance of a #rrggbb colour.
func luminance(hex string) float64 {
	var c [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestContrast checks that every text colour of the stylesheet meets WCAG
// 2 AA (4.5:1) on the backgrounds it is used on.
func TestContrast(t *testing.T) {
	css, err := fs.ReadFile(Static, "static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, v := range []string{"text", "muted", "accent", "error", "bg", "panel"} {
		if vars[v] == "" {
			t.Fatalf("style.css has no --%s colour", v)
		}
	}
	pairs := []struct{ what, fg, bg string }{
		{"body text", vars["text"], vars["bg"]},
		{"hints", vars["muted"], vars["bg"]},
		{"links", vars["accent"], vars["bg"]},
		{"error messages", vars["error"], vars["bg"]},
		{"text on grey panels", vars["text"], vars["panel"]},
		{"hints on grey panels", vars["muted"], vars["panel"]},
		{"white on the green panel and buttons", "#ffffff", "#00703c"},
		{"white on the quick-exit button", "#ffffff", "#b10e1e"},
		{"text on the safety notice", vars["text"], "#fff7e6"},
		{"text on the not-saved banner", vars["text"], "#fbe9eb"},
		{"text on the focus colour", vars["text"], vars["focus"]},
	}
	for _, p := range pairs {
		if r := contrast(p.fg, p.bg); r < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f:1, below 4.5:1", p.what, p.fg, p.bg, r)
		} else {
			t.Logf("%s: %.1f:1", p.what, r)
		}
	}
}
