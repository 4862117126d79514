package console

import (
	"net/http"
	"time"
)

// printPage is one case on paper: the case page's data, with the time it
// was printed for the confidential marking on every page.
type printPage struct {
	casePage
	Printed string
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
	return c.render(w, http.StatusOK, "print", printPage{casePage: p, Printed: time.Now().UTC().Format("2006-01-02 15:04 UTC")})
}
