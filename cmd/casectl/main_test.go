package main_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
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

// world is a real server (HTTP, PostgreSQL, real keys) and handlers with
// identity files, each with their own casectl session file.
type world struct {
	t     *testing.T
	db    *storetest.DB
	cases *casework.Service
	teams intaketest.Teams
	url   string
	dir   string
	ids   map[string]*age.X25519Identity
}

func newWorld(t *testing.T) *world {
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	// Login challenges name the server's public address: the test server's.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	teams.Config.PublicURL = "http://" + srv.Listener.Addr().String()
	cases, err := casework.NewService(db.DB, teams.Config)
	if err != nil {
		t.Fatal(err)
	}
	e, err := server.New(intake.NewService(db.DB, teams.Config, nil), cases, slog.New(slog.DiscardHandler), server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	return &world{t: t, db: db, cases: cases, teams: teams, url: srv.URL, dir: t.TempDir(), ids: map[string]*age.X25519Identity{}}
}

func (w *world) addHandler(name, team string) string {
	w.t.Helper()
	id, _ := age.GenerateX25519Identity()
	w.ids[name] = id
	if err := w.db.AddHandler(context.Background(), store.Handler{Name: name, Team: team, Recipient: id.Recipient().String()},
		w.cases.OperatorAudit("test", "handler.add", name)); err != nil {
		w.t.Fatal(err)
	}
	path := filepath.Join(w.dir, name+".key")
	os.WriteFile(path, []byte("# "+name+"\n"+id.String()+"\n"), 0o600)
	return path
}

func (w *world) submit(body string) string {
	w.t.Helper()
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), intaketest.Report(body), intake.ChannelPublic)
	if err != nil {
		w.t.Fatal(err)
	}
	return acc.Reference
}

// as runs casectl as handler who (their own session file).
func (w *world) as(who, stdin string, args ...string) (string, error) {
	w.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CASECTL_SESSION="+filepath.Join(w.dir, who+".session"), "CASECTL_IDENTITY=")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String() + errb.String(), err
}

func (w *world) must(who, stdin string, args ...string) string {
	w.t.Helper()
	out, err := w.as(who, stdin, args...)
	if err != nil {
		w.t.Fatalf("casectl %v: %v\n%s", args, err, out)
	}
	return out
}

func (w *world) fails(who string, words string, args ...string) {
	w.t.Helper()
	out, err := w.as(who, "", args...)
	if err == nil || !strings.Contains(out, words) {
		w.t.Fatalf("casectl %v: err %v, want a failure saying %q:\n%s", args, err, words, out)
	}
}

func contains(t *testing.T, out string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestHandlerLoopWithTheClient(t *testing.T) {
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	inesKey := w.addHandler("ines", "upr-secretariat")
	upr, other := w.submit("upr"), w.submit("hrc_session")

	w.fails("omar", "cannot open the login challenge", "login", "-server", w.url, "-handler", "omar", "-i", inesKey)
	contains(t, w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey), "Logged in as omar (reprisals-team)")
	if info, err := os.Stat(filepath.Join(w.dir, "omar.session")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("session file: %v", err)
	}
	contains(t, w.must("ines", "", "login", "-server", w.url, "-handler", "ines", "-i", inesKey), "Logged in as ines")

	contains(t, w.must("omar", "", "cases"), upr, other, "Received", "(2 cases)")
	inesCases := w.must("ines", "", "cases")
	contains(t, inesCases, upr, "(1 cases)")
	if strings.Contains(inesCases, other) {
		t.Errorf("the UPR handler lists a non-UPR case:\n%s", inesCases)
	}
	w.fails("ines", "no such case", "show", "-i", inesKey, other)

	contains(t, w.must("omar", "", "show", "-i", omarKey, strings.ToLower(other)),
		"Reference:   "+other, "incidents[0].narrative: Arrested at home", "consent.share_with_ohchr: true", "Routed to:   reprisals-team")
	w.fails("omar", "not encrypted to your identity", "show", "-i", inesKey, other)

	contains(t, w.must("omar", "", "triage", "-status", "acknowledged", "-urgency", "U2", "-deadline", "2026-12-31", other),
		other+": Acknowledged, urgency U2", "deadline 2026-12-31")
	w.fails("omar", "cannot go from", "triage", "-status", "published", other)
	contains(t, w.must("omar", "", "cases", "-urgency", "U2"), other, "(1 cases)")

	contains(t, w.must("omar", "", "note", "-m", "Called the family; consent confirmed.", other), "Added note")
	contains(t, w.must("omar", "We have raised your case.\nPlease stay safe.", "reply", other), "Added reply")
	// The reporter comes back and adds information; the team reads it.
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	rc, err := w.db.ReportByReference(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	w.db.Pool().QueryRow(context.Background(), `SELECT id FROM reports WHERE reference = $1`, rc.Reference).Scan(&id)
	visit, err := svc.CaseByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.FollowUp(context.Background(), visit, "He was released on bail.", "en"); err != nil {
		t.Fatal(err)
	}
	contains(t, w.must("omar", "", "notes", "-i", omarKey, other), "Called the family; consent confirmed.", "We have raised your case.",
		"-- note", "-- reply", "-- followup", "He was released on bail.")

	// An attachment, streamed in as a reporter would send it.
	evidence := bytes.Repeat([]byte("video frame "), 100_000)
	if _, err := svc.Attach(context.Background(), visit, "../../etc/evil name.mp4", "video/mp4", bytes.NewReader(evidence),
		intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 10 << 20}); err != nil {
		t.Fatal(err)
	}
	contains(t, w.must("omar", "", "show", "-i", omarKey, other), "== attachments", "evil name.mp4 (video/mp4, 1200000 bytes)")

	exportDir := filepath.Join(w.dir, "export")
	contains(t, w.must("omar", "", "export", "-i", omarKey, "-out", exportDir, other), "DECRYPTED", "WARNING")
	for _, f := range []string{"WARNING.txt", "report.json", "report.txt", "notes.txt"} {
		info, err := os.Stat(filepath.Join(exportDir, other, f))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("export %s: %v", f, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(exportDir, other, "report.json")); !bytes.Contains(b, []byte(`"reference": "`+other+`"`)) {
		t.Errorf("report.json:\n%s", b)
	}
	// The file name from the manifest cannot leave the export folder (the
	// server already turned its slashes into underscores).
	got, err := os.ReadFile(filepath.Join(exportDir, other, "attachments", "01-.._.._etc_evil name.mp4"))
	if err != nil || !bytes.Equal(got, evidence) {
		t.Errorf("exported attachment: %v, %d bytes, want the %d bytes sent", err, len(got), len(evidence))
	}
	w.fails("omar", "new folder", "export", "-i", omarKey, "-out", exportDir, other)

	contains(t, w.must("omar", "", "logout"), "Logged out")
	w.fails("omar", "not logged in", "cases")
}

// TestRekey adds a handler after cases exist: they cannot read them until
// a colleague runs rekey; a removed handler can no longer read them after
// the next rekey.
func TestRekey(t *testing.T) {
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	refs := []string{w.submit("upr"), w.submit("hrc_session"), w.submit("treaty_body")}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.must("omar", "", "note", "-m", "internal note", refs[1])
	w.must("omar", "", "reply", "-m", "reply to the reporter", refs[1])

	var rid string
	w.db.Pool().QueryRow(context.Background(), `SELECT id FROM reports WHERE reference = $1`, refs[1]).Scan(&rid)
	visit, _ := intake.NewService(w.db.DB, w.teams.Config, nil).CaseByID(context.Background(), rid)
	if _, err := intake.NewService(w.db.DB, w.teams.Config, nil).Attach(context.Background(), visit, "evidence.txt", "text/plain",
		strings.NewReader("the evidence"), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}

	nadiaKey := w.addHandler("nadia", "reprisals-team")
	w.must("nadia", "", "login", "-server", w.url, "-handler", "nadia", "-i", nadiaKey)
	w.fails("nadia", "not encrypted to your identity yet", "show", "-i", nadiaKey, refs[0])

	contains(t, w.must("nadia", "", "rekey", "-i", nadiaKey), "Re-encrypted 0 case(s)", "3 skipped")
	contains(t, w.must("omar", "", "rekey", "-i", omarKey, "-dry-run"), "Would re-encrypt 3 case(s)")
	contains(t, w.must("omar", "", "rekey", "-i", omarKey), "Re-encrypted 3 case(s)", "0 skipped")
	for _, ref := range refs {
		contains(t, w.must("nadia", "", "show", "-i", nadiaKey, ref), "Reference:   "+ref)
	}
	contains(t, w.must("nadia", "", "notes", "-i", nadiaKey, refs[1]), "internal note", "reply to the reporter")
	contains(t, w.must("nadia", "", "show", "-i", nadiaKey, refs[1]), "1. evidence.txt (text/plain, 12 bytes)")

	// The UPR case stays readable by the UPR team's configured identity,
	// and the reply by the reporter's key.
	c, err := w.db.ReportByReference(context.Background(), refs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.Open(c.Ciphertext, w.teams.UPR); err != nil {
		t.Errorf("after rekey the UPR team lost access to a UPR case: %v", err)
	}

	// Nadia leaves: after the next rekey her key opens nothing.
	if err := w.db.UpdateHandler(context.Background(), "nadia", false, w.ids["nadia"].Recipient().String(),
		w.cases.OperatorAudit("test", "handler.disable", "nadia")); err != nil {
		t.Fatal(err)
	}
	w.must("omar", "", "rekey", "-i", omarKey)
	for _, ref := range refs {
		c, err := w.db.ReportByReference(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		_, err = crypto.Open(c.Ciphertext, w.ids["nadia"])
		var nm *age.NoIdentityMatchError
		if !errors.As(err, &nm) {
			t.Errorf("%s: a removed handler can still decrypt it (err %v)", ref, err)
		}
		if _, err := crypto.Open(c.Ciphertext, w.ids["omar"]); err != nil {
			t.Errorf("%s: omar cannot decrypt it after the rekey: %v", ref, err)
		}
	}
}
