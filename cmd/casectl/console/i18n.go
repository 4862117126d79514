package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The console speaks OHCHR's two working languages. English is the source
// text; messages/fr.json maps each English string to its French.
//
//go:embed messages/*.json
var messageFiles embed.FS

// languages are the console's languages, in the switcher's order.
var languages = []struct{ Tag, Name string }{{"en", "English"}, {"fr", "Français"}}

// catalog maps a language to its translations of the English strings.
type catalog map[string]map[string]string

func loadCatalog() (catalog, error) {
	b, err := messageFiles.ReadFile("messages/fr.json")
	if err != nil {
		return nil, err
	}
	fr := map[string]string{}
	if err := json.Unmarshal(b, &fr); err != nil {
		return nil, fmt.Errorf("console: messages/fr.json: %w", err)
	}
	return catalog{"fr": fr}, nil
}

// translate returns s in lang with {0}, {1}... replaced by args; a string
// without a translation stays in English.
func (c catalog) translate(lang, s string, args ...any) string {
	if t := c[lang][s]; t != "" {
		s = t
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}
