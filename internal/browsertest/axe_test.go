package browsertest_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/internal/browsertest"
)

// TestAxeFindsViolations shows that Axe can fail: a page with an image
// without a text alternative and a field without a label breaks two rules,
// and the same page made right breaks none.
func TestAxeFindsViolations(t *testing.T) {
	t.Parallel()
	ctx := browsertest.New(t, 800, 600)
	for _, c := range []struct {
		body string
		want []string
	}{
		{`<img src="data:,"><input type="text">`, []string{"image-alt", "label"}},
		{`<img src="data:," alt="A photo"><label for="f">Name</label><input type="text" id="f">`, nil},
	} {
		page := `<!DOCTYPE html><html lang="en"><head><title>Axe</title></head><body><main><h1>Axe</h1>` + c.body + `</main></body></html>`
		if err := chromedp.Do(ctx, chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(page))); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range browsertest.Axe(t, ctx) {
			got = append(got, v.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: axe found %v, want %v", c.body, got, c.want)
		}
	}
}
