package main_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
)

// TestExportWritesSafeFileNames: an anonymous reporter names a file with
// a right-to-left override ("photo<RLO>gpj.exe" shows as "photoexe.jpg")
// and an escape sequence; export writes it under a name with neither.
func TestExportWritesSafeFileNames(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	ctx := context.Background()
	var id string
	w.db.Pool().QueryRow(ctx, `SELECT id FROM reports WHERE reference = $1`, ref).Scan(&id)
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	visit, err := svc.CaseByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"photo\u202egpj.exe", "a\u2067b\u2069\x1b]0;x\x07.pdf"} {
		if _, err := svc.Attach(ctx, visit, name, "image/jpeg", strings.NewReader("content"), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	out := filepath.Join(w.dir, "export")
	w.must("omar", "", "export", "-i", omarKey, "-out", out, ref)
	entries, err := os.ReadDir(filepath.Join(out, ref, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name()[3:]) // without the "01-" numbering
	}
	slices.Sort(names)
	if strings.Join(names, "|") != "a_b__]0;x_.pdf|photo_gpj.exe" {
		t.Errorf("exported %q", names)
	}
}
