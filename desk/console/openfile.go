package console

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
)

// openFileName is the name of the file WriteOpenFile writes.
const openFileName = "open-console.html"

// WriteOpenFile writes a small HTML file, readable by its owner only, in
// a new private directory under dir, that sends a browser to the
// console's one-time address, and returns its path. It is how casectl
// console -open hands the secret to the browser: a browser started with
// the address would carry the secret in its command line, which every
// local user can read in /proc; a file path carries nothing. The file is
// removed once the secret is used, and at Close.
func (c *Console) WriteOpenFile(dir string) (string, error) {
	d, err := os.MkdirTemp(dir, "casectl-console-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(d, 0o700); err != nil {
		os.RemoveAll(d)
		return "", err
	}
	u := html.EscapeString(c.URL())
	page := fmt.Sprintf(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=%s">
<title>Case console</title>
</head>
<body>
<p><a href="%s">Open the case console</a> · <a href="%s" lang="fr">Ouvrir la console</a> · <a href="%s" lang="es">Abrir la consola</a></p>
</body>
</html>
`, u, u, u, u)
	path := filepath.Join(d, openFileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(d)
		return "", err
	}
	_, err = f.WriteString(page)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(d)
		return "", err
	}
	c.mu.Lock()
	if c.secret == "" { // used or closed meanwhile
		c.mu.Unlock()
		os.RemoveAll(d)
		return "", fmt.Errorf("the console's address was already used")
	}
	c.openDir = d
	c.mu.Unlock()
	return path, nil
}

// removeOpenFile removes WriteOpenFile's directory, if any. The caller
// holds c.mu.
func (c *Console) removeOpenFile() {
	if c.openDir != "" {
		os.RemoveAll(c.openDir)
		c.openDir = ""
	}
}
