package console

import (
	"html/template"
	"net/http"
	"time"
)

// printPage is one case on paper: the case page's data (the same loading,
// casePage, and the same parts of the page, templates/_case.html), with
// the time it was printed for the confidential marking on every page.
type printPage struct {
	casePage
	Printed string
	// For is the colleague a sealed paper is for (Standalone; "" on the
	// print page).
	For string
	// Style is the stylesheet, inline in a Standalone page.
	Style template.CSS
}

// printCase shows one case with its whole thread, laid out for printing
// and marked confidential with the handler's name and the time on every
// printed page. It loads the case exactly as the case page does.
func (c *Console) printCase(w http.ResponseWriter, r *http.Request) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	p, err := c.casePage(r, ref)
	if err != nil {
		return err
	}
	return c.render(w, http.StatusOK, "print", printPage{casePage: p, Printed: printTime(time.Now())})
}

// printTime is when a case was printed or sealed, as its marking says.
func printTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
