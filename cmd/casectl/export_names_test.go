package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
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

// TestLoginTeamIsNotTheServersWord plays a server whose login answer names
// a team with an escape sequence in it (printed harmlessly, with a warning
// that it is not pinned), and one whose session names another pinned team:
// note encrypts nothing to that team.
func TestLoginTeamIsNotTheServersWord(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	// A hostile server with a valid challenge for its own origin.
	var hostile *httptest.Server
	hostile = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case handlerapi.Prefix + "/login/challenge":
			rec, _ := crypto.ParseRecipient(w.ids["omar"].Recipient().String())
			nonce := strings.Repeat("A", 43)
			c := envelope.Challenge{Origin: hostile.URL, Handler: "omar", Expires: time.Now().Add(time.Minute), Nonce: nonce}
			sealed, err := envelope.SealChallenge(c, rec)
			if err != nil {
				t.Error(err)
			}
			json.NewEncoder(rw).Encode(handlerapi.ChallengeResponse{ChallengeID: "00000000-0000-4000-8000-000000000000",
				Challenge: sealed, ExpiresAt: time.Now().Add(time.Minute)})
		case handlerapi.Prefix + "/login":
			json.NewEncoder(rw).Encode(handlerapi.LoginResponse{Token: strings.Repeat("t", 43), ExpiresAt: time.Now().Add(time.Hour),
				Handler: "omar", Team: "x\x1b]0;pwned\x07"})
		default:
			http.Error(rw, "no", http.StatusTeapot)
		}
	}))
	defer hostile.Close()
	out := w.must("omar", "", "login", "-server", hostile.URL, "-handler", "omar", "-i", omarKey)
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `(x\x1b]0;pwned\x07)`) {
		t.Errorf("login printed the team's name raw: %q", out)
	}
	contains(t, out, "whose roster key you have not pinned")

	// The real server; then the session names the other pinned team, as
	// a hostile login answer would.
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	sessPath := filepath.Join(w.dir, "omar.session")
	var sess map[string]any
	b, _ := os.ReadFile(sessPath)
	json.Unmarshal(b, &sess)
	sess["team"] = "upr-secretariat"
	b, _ = json.Marshal(sess)
	os.WriteFile(sessPath, b, 0o600)
	w.fails("omar", "that team's signed roster does not list your key", "note", ref, "-m", "internal")
	var n int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes`).Scan(&n)
	if n != 0 {
		t.Errorf("%d notes stored", n)
	}
	sess["team"] = "reprisals-team"
	b, _ = json.Marshal(sess)
	os.WriteFile(sessPath, b, 0o600)
	contains(t, w.must("omar", "", "note", ref, "-m", "internal"), "Added note")
}

// TestRepliesGoToTheSealedTeams plays a server that routes a case to one
// more team than the report was (the UPR Secretariat on a non-UPR case):
// a reply is encrypted to the teams sealed in the report only.
func TestRepliesGoToTheSealedTeams(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	ctx := context.Background()
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	if _, err := w.db.Pool().Exec(ctx, `UPDATE reports SET teams = ARRAY['reprisals-team', 'upr-secretariat'] WHERE reference = $1`, ref); err != nil {
		t.Fatal(err)
	}
	w.must("omar", "", "reply", "-i", omarKey, ref, "-m", "We raised your case.")
	var ct []byte
	w.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM notes WHERE kind = 'reply'`).Scan(&ct)
	if _, err := crypto.Open(ct, w.teams.UPR); err == nil {
		t.Error("the reply is encrypted to a team the report was not routed to")
	}
	if _, err := crypto.Open(ct, w.teams.Reprisals); err != nil {
		t.Errorf("the reply is not encrypted to the case's team: %v", err)
	}
}

// TestExportFolderEscapesControls exports a case whose narrative holds an
// ANSI escape, a C1 CSI, DEL and a bidi override: no file of the folder
// holds them raw, and report.json decodes back to the reporter's text.
func TestExportFolderEscapesControls(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	const narrative = "red \x1b[31m csi \u009b2J del \x7f rlo \u202egnp.exe lri \u2066x\u2069 end"
	r := intaketest.Report("hrc_session")
	r.Incidents[0].Narrative = narrative
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	out := t.TempDir()
	w.must("omar", "", "export", "-i", omarKey, "-out", out, acc.Reference)
	for _, name := range []string{"report.json", "report.txt", "notes.txt"} {
		b, err := os.ReadFile(filepath.Join(out, acc.Reference, name))
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.IndexFunc(b, func(r rune) bool { return r != '\n' && r != '\t' && handlerapi.Unsafe(r) }); i >= 0 {
			t.Errorf("%s holds a raw control %q", name, []rune(string(b[i:]))[0])
		}
		if name == "report.json" {
			var env envelope.Case
			if err := json.Unmarshal(b, &env); err != nil || env.Report.Incidents[0].Narrative != narrative {
				t.Errorf("report.json does not read back: %v", err)
			}
		}
	}
}
