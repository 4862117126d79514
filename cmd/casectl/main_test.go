package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "casectl-bin-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "casectl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	defer os.RemoveAll(dir)
	storetest.Main(m)
}

func writeIdentity(t *testing.T, id interface{ String() string }) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id.key")
	if err := os.WriteFile(p, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func casectl(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestShow runs the real binary: it fetches a stored report and decrypts
// it with the team's identity file, refuses another team's identity, and
// detects a ciphertext moved to another row.
func TestShow(t *testing.T) {
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	svc := intake.NewService(db.DB, teams.Config, nil)
	ctx := context.Background()
	uprReport, err := svc.Submit(ctx, intaketest.Report("upr"), intake.ChannelPublic)
	if err != nil {
		t.Fatal(err)
	}
	other := intaketest.Report("treaty_body")
	other.Incidents[0].Narrative = "Travel ban at the airport.\nSecond line."
	otherReport, err := svc.Submit(ctx, other, intake.ChannelPublic)
	if err != nil {
		t.Fatal(err)
	}
	reprisalsID, uprID := writeIdentity(t, teams.Reprisals), writeIdentity(t, teams.UPR)

	out, stderr, err := casectl(t, "show", "-db", db.URL, "-i", reprisalsID, strings.ToLower(otherReport.Reference))
	if err != nil {
		t.Fatalf("show: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"Reference:   " + otherReport.Reference,
		"Routed to:   reprisals-team",
		"incidents[0].narrative: Travel ban at the airport.\n    Second line.",
		"cooperation.body: treaty_body",
		"consent.share_with_ohchr: true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, stderr, err = casectl(t, "show", "-json", "-db", db.URL, "-i", uprID, uprReport.Reference)
	if err != nil {
		t.Fatalf("show -json: %v\n%s", err, stderr)
	}
	var env intake.Envelope
	if err := json.Unmarshal([]byte(out), &env); err != nil || env.Reference != uprReport.Reference {
		t.Errorf("-json output is not the envelope (%v):\n%s", err, out)
	}

	_, stderr, err = casectl(t, "show", "-db", db.URL, "-i", uprID, otherReport.Reference)
	if err == nil || !strings.Contains(stderr, "not encrypted to this identity") {
		t.Errorf("UPR identity on a non-UPR report: err %v, stderr %q", err, stderr)
	}

	_, stderr, err = casectl(t, "show", "-db", db.URL, "-i", reprisalsID, "ZZZZ-ZZZZ")
	if err == nil || !strings.Contains(stderr, "no report with reference ZZZZ-ZZZZ") {
		t.Errorf("unknown reference: err %v, stderr %q", err, stderr)
	}

	// Move one report's ciphertext into the other's row.
	if _, err := db.Pool().Exec(ctx, `UPDATE reports SET ciphertext = (SELECT ciphertext FROM reports WHERE reference = $1) WHERE reference = $2`,
		uprReport.Reference, otherReport.Reference); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = casectl(t, "show", "-db", db.URL, "-i", reprisalsID, otherReport.Reference)
	if err == nil || !strings.Contains(stderr, "tampered") {
		t.Errorf("swapped ciphertext: err %v, stderr %q", err, stderr)
	}

	if _, stderr, err := casectl(t, "show", "-db", db.URL, otherReport.Reference); err == nil || !strings.Contains(stderr, "usage") {
		t.Errorf("missing -i: err %v, stderr %q", err, stderr)
	}
}
