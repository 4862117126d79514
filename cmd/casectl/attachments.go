package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// attachment is a listed attachment with its manifest opened and checked
// (desk.OpenFiles).
type attachment = desk.File

func (c *cli) attachments(ref string, ids []age.Identity) ([]attachment, error) {
	api, err := c.client()
	if err != nil {
		return nil, err
	}
	listed, err := api.Attachments(c.ctx, ref)
	if err != nil {
		return nil, err
	}
	return desk.OpenFiles(listed, ref, ids), nil
}

func writeAttachmentList(w io.Writer, list []attachment) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "\n== attachments\n")
	for i, a := range list {
		switch a.Problem {
		case desk.Closed:
			fmt.Fprintf(w, "%d. (not encrypted to your identity)\n", i+1)
			continue
		case desk.Foreign:
			fmt.Fprintf(w, "%d. (NOT a file of this case: not shown. The server lists something else under this case; tell your security focal point)\n", i+1)
			continue
		}
		fmt.Fprintf(w, "%d. %s\n", i+1, handlerapi.Safe(a.Manifest.String()))
	}
}

// download streams an attachment, decrypted and checked against its
// manifest (desk.OpenContent), into a new file at path; a file that does
// not match is removed. Memory use does not depend on the file's size.
func (c *cli) download(d desk.Desk, ref string, a attachment, path string) error {
	r, err := d.OpenContent(c.ctx, ref, a, &http.Client{})
	if err != nil {
		return fmt.Errorf("downloading %s: %w", handlerapi.Safe(a.Manifest.Name), err)
	}
	defer r.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w", handlerapi.Safe(a.Manifest.Name), err)
	}
	return nil
}

// exportAttachments downloads every readable attachment into dir/attachments.
func (c *cli) exportAttachments(d desk.Desk, ref, dir string, list []attachment) error {
	if len(list) == 0 {
		return nil
	}
	adir := filepath.Join(dir, "attachments")
	if err := os.Mkdir(adir, 0o700); err != nil {
		return err
	}
	for i, a := range list {
		if a.Problem != desk.NoProblem {
			continue
		}
		// Numbered, so that two files of the same name do not collide, and
		// reduced to a harmless base name (no directory, control or
		// bidirectional character), so a manifest cannot write elsewhere
		// or disguise a file's type.
		name := fmt.Sprintf("%02d-%s", i+1, handlerapi.SafeFileName(a.Manifest.Name))
		if err := c.download(d, ref, a, filepath.Join(adir, name)); err != nil {
			return err
		}
	}
	return nil
}
