package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// paper writes case REF on paper, as the console's print page shows it
// (one HTML page), into one new file encrypted to the colleague named
// -to on a verified roster of the case's teams (desk.SealPaper). The
// plaintext never touches the disk; the export is recorded in the audit
// log.
func (c *cli) paper() error {
	if c.to == "" {
		return errors.New("name the colleague with -to: their name on your team's roster (casectl roster show)")
	}
	if c.outFile == "" {
		return errors.New("name the file to write with -out")
	}
	if _, err := os.Lstat(c.outFile); err == nil {
		return fmt.Errorf("%s already exists: casectl paper writes only a new file", handlerapi.Safe(c.outFile))
	}
	ref, ids, err := c.refAndIdentities()
	if err != nil {
		return err
	}
	d, err := c.desk(ids)
	if err != nil {
		return err
	}
	// The colleague first, from the case's sealed teams: a roster change
	// is shown and agreed to, an unknown name refused, before anything
	// is recorded or written.
	_, env, plain, err := desk.Fetch(c.ctx, d.API, ref, ids)
	clear(plain)
	if err != nil {
		return err
	}
	col, err := d.Colleague(c.ctx, env.Teams, c.to)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(c.outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: casectl paper writes only a new file", handlerapi.Safe(c.outFile))
	}
	if err != nil {
		return err
	}
	src := console.NewSource(d.API, ids, c.pinsPath())
	src.SetOwnRecipients(c.sess.Recipients)
	_, err = console.PaperFor(c.ctx, src, d, ref, col.Label, c.draftLang, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(c.outFile)
		return err
	}
	fmt.Fprintf(c.out, "Wrote %s: case %s on paper, encrypted to %s of %s (%s) only. The export is recorded in the audit log.\n"+
		"Give them the file; they read it with: age -d -i THEIR-IDENTITY %s > %s.html (on an encrypted disk; delete it securely after).\n",
		handlerapi.Safe(c.outFile), ref, handlerapi.Safe(col.Label), handlerapi.Safe(col.Team), col.Recipient, handlerapi.Safe(c.outFile), ref)
	return nil
}
