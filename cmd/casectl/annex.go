package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// link links two cases as the same person or event (desk.Link: a sealed
// note on each).
func (c *cli) link() error {
	d, ref, other, err := c.twoCases("link")
	if err != nil {
		return err
	}
	if _, err := d.Link(c.ctx, ref, other); err != nil {
		return c.noteRefusal(ref, err)
	}
	fmt.Fprintf(c.out, "Linked %s and %s as the same person or event: a sealed team note on each.\n", handlerapi.Safe(ref), handlerapi.Safe(other))
	return nil
}

// unlink undoes the link of two cases as the same person or event
// (desk.Unlink: a sealed undoing on each; refused unless a link joins
// them).
func (c *cli) unlink() error {
	d, ref, other, err := c.twoCases("unlink")
	if err != nil {
		return err
	}
	if _, err := d.Unlink(c.ctx, ref, other); err != nil {
		if errors.Is(err, desk.ErrNotLinked) {
			return fmt.Errorf("%s and %s are not linked as the same person or event (any more): nothing was sent", handlerapi.Safe(ref), handlerapi.Safe(other))
		}
		return c.noteRefusal(ref, err)
	}
	fmt.Fprintf(c.out, "Undid the link of %s and %s: a sealed team note on each. The figures and the annex drafts count them apart again.\n", handlerapi.Safe(ref), handlerapi.Safe(other))
	return nil
}

// twoCases reads the two case references of link and unlink and signs
// in with the handler's identities.
func (c *cli) twoCases(cmd string) (d desk.Desk, ref, other string, err error) {
	if len(c.args) != 2 {
		return d, "", "", fmt.Errorf("name two case references (usage: casectl %s -i IDENTITY REF OTHER)", cmd)
	}
	ref, other = strings.ToUpper(strings.TrimSpace(c.args[0])), strings.ToUpper(strings.TrimSpace(c.args[1]))
	ids, err := c.identities()
	if err != nil {
		return d, "", "", err
	}
	d, err = c.desk(ids)
	return d, ref, other, err
}

// annex writes the drafts of Annex I and II for a period as Markdown
// (desk/sgreport, worded with the console's catalogue), to -out or
// standard output, after recording in the audit log each case they draw
// on.
func (c *cli) annex() error {
	ids, err := c.identities()
	if err != nil {
		return err
	}
	var p sgreport.Period
	switch {
	case c.from == "" && c.to == "" && c.year != 0:
		p = sgreport.AnnualPeriod(c.year)
	case c.from != "" || c.to != "":
		if p, err = sgreport.NewPeriod(c.from, c.to); err != nil {
			return errors.New("give the period as -from YYYY-MM-DD -to YYYY-MM-DD (or -year, the report's year: 1 May to 30 April)")
		}
	default:
		return errors.New("name the period: -year YYYY (1 May of the year before to 30 April) or -from YYYY-MM-DD -to YYYY-MM-DD")
	}
	lang := c.draftLang
	words, err := console.DraftWords(lang)
	if err != nil {
		return err
	}
	api, err := handlerapi.New(c.sess.Server, nil)
	if err != nil {
		return err
	}
	api.SetToken(c.sess.Token)
	src := console.NewSource(api, ids, c.pinsPath())
	defer src.Wipe()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Minute)
	defer cancel()
	if err := src.Load(ctx); err != nil {
		return fmt.Errorf("loading the cases: %w", err)
	}
	d, err := src.Annexes(ctx, p, lang)
	if err != nil {
		return err
	}
	var refs []string
	for _, secs := range [][]sgreport.Section{d.New, d.FollowUp} {
		for _, s := range secs {
			for _, e := range s.Entries {
				refs = append(refs, e.Sources...)
			}
		}
	}
	dk := desk.Desk{API: api}
	for _, ref := range refs {
		if err := dk.RecordExport(ctx, ref); err != nil {
			return err
		}
	}
	out := c.out
	if c.outFile != "" {
		f, err := os.OpenFile(c.outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := sgreport.WriteMarkdown(f, d.Word(words)); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "Wrote the drafts (%d cases drawn on) to %s. It holds decrypted content: keep it on an encrypted disk.\n", len(refs), c.outFile)
		return f.Close()
	}
	return sgreport.WriteMarkdown(out, d.Word(words))
}
