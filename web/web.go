// Package web holds the reporter-facing templates and static files,
// embedded in the binary. Pages use no JavaScript and no third-party
// resources: everything is served from this package.
package web

import "embed"

// Templates holds the HTML templates: layout.html and one file per page.
//
//go:embed templates/*.html
var Templates embed.FS

// Messages holds the translations of the reporter pages: one JSON file per
// language (ar, es, fr, ru, zh), mapping each English string to its
// translation, a plain string or plural forms by CLDR category
// (internal/plural). English is the source; en.json holds only the
// English plural forms (one, other) of the strings with a count.
//
//go:embed messages/*.json
var Messages embed.FS

// Static holds the files served under /static/.
//
//go:embed static
var Static embed.FS
