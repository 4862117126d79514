package console

import (
	"crypto/subtle"
	"net/http"
)

// Messages of the guard's refusals, plain text in English and French:
// they are shown before a session (and so a language) exists.
const (
	refusedHost   = "This address is not the console's. Open the link that casectl console printed.\nCette adresse n'est pas celle de la console. Ouvrez le lien affiché par casectl console.\n"
	refusedOrigin = "This request came from another site and was refused.\nCette requête venait d'un autre site et a été refusée.\n"
	refusedLink   = "This link is not valid or was already used. Run casectl console again for a new one.\nCe lien n'est pas valable ou a déjà servi. Relancez casectl console pour en obtenir un nouveau.\n"
	refusedCookie = "This browser is not signed in to the console. Open the link that casectl console printed.\nCe navigateur n'est pas connecté à la console. Ouvrez le lien affiché par casectl console.\n"
)

// cookieName is per port: browsers do not separate cookies by port, and
// two consoles must not overwrite each other's session.
func (c *Console) cookieName() string { return "casectl_console_" + c.port }

// guard checks every request before any handler runs: the Host header
// must name this console (127.0.0.1:PORT or localhost:PORT), the request
// must not come from another origin, and it must carry the session
// cookie, except /open, which carries the one-time secret instead (from
// whatever origin: the secret is the proof).
func (c *Console) guard(next http.Handler) http.Handler {
	hosts := map[string]bool{"127.0.0.1:" + c.port: true, "localhost:" + c.port: true}
	origins := map[string]bool{"http://127.0.0.1:" + c.port: true, "http://localhost:" + c.port: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w)
		if !hosts[r.Host] {
			refuse(w, http.StatusMisdirectedRequest, refusedHost)
			return
		}
		if r.URL.Path == "/open" {
			// Before the origin check: the secret is the proof here, and
			// the file that casectl console -open writes is another
			// origin (file:) that navigates to this address.
			c.open(w, r)
			return
		}
		if !sameOrigin(r, origins) {
			refuse(w, http.StatusForbidden, refusedOrigin)
			return
		}
		if !c.validSession(r) {
			refuse(w, http.StatusForbidden, refusedCookie)
			return
		}
		c.touch()
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether a request comes from the console's own
// pages or from the handler typing or opening the address. Browsers that
// send Sec-Fetch-Site are judged by it alone (with Referrer-Policy
// no-referrer, Chromium sends "Origin: null" even on same-origin forms);
// without it, an Origin header must name the console.
func sameOrigin(r *http.Request, origins map[string]bool) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin" || s == "none"
	}
	o := r.Header.Get("Origin")
	return o == "" || origins[o]
}

// open exchanges the one-time secret for the session cookie and sends the
// browser to the inbox, so the secret leaves the address bar.
func (c *Console) open(w http.ResponseWriter, r *http.Request) {
	got := r.URL.Query().Get("secret")
	c.mu.Lock()
	ok := r.Method == http.MethodGet && c.secret != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) == 1
	if ok {
		c.secret = "" // one time only
		c.session = randomToken()
		c.removeOpenFile()
	}
	session := c.session
	c.mu.Unlock()
	if !ok {
		refuse(w, http.StatusForbidden, refusedLink)
		return
	}
	c.touch()
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	if s := r.Header.Get("Sec-Fetch-Site"); s == "" || s == "none" || s == "same-origin" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	// Sent here by another origin (the -open file): a redirect would
	// carry that cross-site start, and the SameSite=Strict cookie would
	// not be sent with it. A page of this origin that moves on to the
	// inbox makes the next request a same-origin one.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(openedPage))
}

// openedPage moves the browser from /open to the inbox, so the secret
// leaves the address bar.
const openedPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Case console</title></head>
<body><p><a href="/">Open the inbox</a> · <a href="/" lang="fr">Ouvrir la boîte de réception</a> · <a href="/" lang="es">Abrir la bandeja de entrada</a></p></body></html>
`

func (c *Console) validSession(r *http.Request) bool {
	ck, err := r.Cookie(c.cookieName())
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(c.session)) == 1
}

// validForm checks the per-session token of a form, on top of the cookie
// and origin checks.
func (c *Console) validForm(r *http.Request) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.csrf != "" && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(c.csrf)) == 1
}

// setHeaders sets the headers of every response: no script, no external
// resource, no framing, no referrer, nothing cached.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}
