package console

import (
	"net/http"
	"strings"
)

// routes lists the console's pages; every one goes through guard.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", c.handle(c.inbox))
	mux.Handle("POST /reload", c.handle(c.reload))
	mux.Handle("GET /cases/{ref}", c.handle(c.showCase))
	mux.Handle("GET /cases/{ref}/print", c.handle(c.printCase))
	mux.Handle("POST /cases/{ref}/paper", c.handle(c.sealPaper))
	mux.Handle("GET /cases/{ref}/attachments/{id}", c.handle(c.download))
	mux.Handle("POST /cases/{ref}/status", c.handle(c.setStatus))
	mux.Handle("POST /cases/{ref}/triage", c.handle(c.triage))
	mux.Handle("POST /cases/{ref}/note", c.handle(c.addNote("note")))
	mux.Handle("POST /cases/{ref}/reply", c.handle(c.addNote("reply")))
	mux.Handle("POST /cases/{ref}/entry", c.handle(c.addEntry))
	mux.Handle("POST /cases/{ref}/export", c.handle(c.export))
	mux.Handle("POST /bulk", c.handle(c.bulk))
	mux.Handle("GET /bulk/{id}", c.handle(c.showBulk))
	mux.Handle("POST /bulk/{id}", c.handle(c.applyBulk))
	mux.Handle("GET /annual", c.handle(c.annual))
	mux.Handle("POST /annual/csv", c.handle(c.annualCSV))
	mux.Handle("GET /annexes", c.handle(c.annexes))
	mux.Handle("POST /annexes/markdown", c.handle(c.annexMarkdown))
	mux.Handle("POST /cases/{ref}/link", c.handle(c.link))
	mux.Handle("POST /cases/{ref}/unlink", c.handle(c.unlink))
	mux.Handle("GET /team", c.handle(c.showTeam))
	mux.Handle("POST /team", c.handle(c.acceptTeam))
	mux.Handle("POST /rekey/check", c.handle(c.rekeyCheck))
	mux.Handle("POST /rekey", c.handle(c.rekeyRun))
	mux.Handle("GET /templates", c.handle(c.showTemplates))
	mux.Handle("POST /templates", c.handle(c.saveTemplate))
	mux.Handle("POST /quit", c.handle(c.quit))
	mux.Handle("POST /lang", c.handle(c.setLang))
	mux.HandleFunc("GET /static/console.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write(stylesheet)
	})
	mux.Handle("/", c.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	}))
	return c.guard(mux)
}

// form parses a bounded form body and checks its session token.
func (c *Console) form(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return &userError{status: http.StatusRequestEntityTooLarge, heading: hTooLarge, message: mTooLarge, args: []any{limit}}
	}
	if !c.validForm(r) {
		return &userError{status: http.StatusForbidden, heading: hBadForm, message: mBadForm}
	}
	return nil
}

// reload fetches and decrypts the inbox again.
func (c *Console) reload(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	if err := c.cfg.Source.Load(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// quit ends the console: the page says so, then the port closes.
func (c *Console) quit(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	p := c.base(r, "The console is closed")
	p.Bare = true
	// The browser forgets what it kept of the console: its caches (the
	// back/forward cache held whole decrypted pages after Quit), the
	// session cookie and any storage; the cookie is also ended by name.
	w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.mu.Lock()
	c.session = ""
	c.mu.Unlock()
	if err := c.render(w, http.StatusOK, "closed", p); err != nil {
		return err
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go c.Close()
	return nil
}

// setLang switches the console's language and returns to the page.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	if lang := r.PostFormValue("lang"); knownLanguage(lang) {
		c.mu.Lock()
		c.lang = lang
		c.mu.Unlock()
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
