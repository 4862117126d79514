package desk

import (
	"context"
	"encoding/json"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Exported is a case opened for writing out decrypted: its report, its
// notes, replies and follow-ups as the server lists them (open them with
// OpenThread), and its files with their manifests opened.
type Exported struct {
	Case  handlerapi.Case
	Env   envelope.Case
	Notes []handlerapi.Note
	Files []File
}

// OpenExport fetches and opens case ref for an export, with Fetch's
// checks (the case asked for, its sealed report) and OpenFiles'. Nothing
// is recorded or written: the face records the export (RecordExport)
// just before it writes anything, once it knows it can.
func (d Desk) OpenExport(ctx context.Context, ref string) (Exported, error) {
	cs, env, plain, err := Fetch(ctx, d.API, ref, d.IDs)
	clear(plain)
	if err != nil {
		return Exported{}, err
	}
	notes, err := d.API.Notes(ctx, ref)
	if err != nil {
		return Exported{}, err
	}
	listed, err := d.API.Attachments(ctx, ref)
	if err != nil {
		return Exported{}, err
	}
	return Exported{Case: cs, Env: env, Notes: notes, Files: OpenFiles(listed, ref, d.IDs)}, nil
}

// RecordExport records in the server's audit log that case ref is being
// written out decrypted. Every export calls it before it writes
// anything, and writes nothing if it fails.
func (d Desk) RecordExport(ctx context.Context, ref string) error {
	return d.API.RecordExport(ctx, ref)
}

// ExportJSON is v as indented JSON for an export file, with every
// control that could reorder or hide text when the file is opened
// escaped: C0 (encoding/json's own), and C1, DEL and bidi controls,
// which encoding/json leaves raw (handlerapi.SafeJSON). The file reads
// back to the same values.
func ExportJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	out := handlerapi.SafeJSON(b)
	if &out[0] != &b[0] {
		clear(b) // the unescaped copy of the plaintext
	}
	return out, nil
}
