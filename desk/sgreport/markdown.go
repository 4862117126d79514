package sgreport

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

// WriteMarkdown writes doc as Markdown: a heading per annex and State, a
// list of labelled lines per case, its accounts as paragraphs. Every value
// is inert text (MarkdownText): reporter text can neither add a heading,
// a link, an image, HTML or a table, nor hide or reorder what follows.
func WriteMarkdown(w io.Writer, doc Doc) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("# %s\n\n%s\n\n> %s\n", MarkdownText(doc.Title), MarkdownText(doc.Period), MarkdownText(doc.Warning))
	for _, a := range doc.Annexes {
		p("\n## %s\n\n%s\n", MarkdownText(a.Title), MarkdownText(a.Intro))
		if len(a.States) == 0 {
			p("\n%s\n", MarkdownText(a.Empty))
		}
		for _, s := range a.States {
			p("\n### %s\n", MarkdownText(s.Name))
			for _, e := range s.Entries {
				p("\n#### %s\n\n", MarkdownText(e.Heading))
				for _, l := range e.Lines {
					p("- **%s**: %s\n", MarkdownText(l.Label), MarkdownText(l.Value))
				}
				for _, n := range e.Narratives {
					for _, para := range paragraphs(n) {
						p("\n%s\n", MarkdownText(para))
					}
				}
			}
			if s.Pattern != "" {
				p("\n%s\n", MarkdownText(s.Pattern))
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sgreport: writing the Markdown: %w", err)
	}
	return nil
}

// paragraphs splits a text at its blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// markdownMeta are the characters Markdown (CommonMark and GitHub's
// extensions) gives a meaning to anywhere in a line; each is written
// backslash-escaped. markdownLead are those that mean something at the
// start of a line only (list, quote, setext heading, thematic break).
const (
	markdownMeta = "\\`*_[]<>#!|~&"
	markdownLead = "-+=>"
)

// MarkdownText makes s inert, one-line Markdown text: invalid UTF-8 is
// replaced, C0 and C1 controls, DEL and bidirectional controls (every rune
// handlerapi.Unsafe names) are dropped, line breaks and tabs become
// spaces, and every Markdown metacharacter is backslash-escaped, so the
// text shows as written and nothing in it is markup.
func MarkdownText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + 8)
	space := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		case handlerapi.Unsafe(r):
			continue
		case r < 0x80 && strings.ContainsRune(markdownMeta, r):
			b.WriteByte('\\')
		}
		space = r == ' '
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	// A line that starts like a list item or a quote is escaped there:
	// "-", "+", "=", ">" first, or digits then "." or ")".
	if out != "" && strings.ContainsRune(markdownLead, rune(out[0])) {
		return "\\" + out
	}
	digits := len(out) - len(strings.TrimLeft(out, "0123456789"))
	if digits > 0 && digits < len(out) && (out[digits] == '.' || out[digits] == ')') {
		return out[:digits] + "\\" + out[digits:]
	}
	return out
}
