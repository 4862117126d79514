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
	"github.com/ohchr-reprisals/intake/casework/roster"
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
	// Each team's roster key (its custodian's), its file, and the team's
	// published roster versions.
	rosterKeys map[string]roster.PrivateKey
	rosters    map[string][]roster.Signed
}

func newWorld(t *testing.T) *world {
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	// Login challenges name the server's public address: the test server's.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	teams.Config.PublicURL = "http://" + srv.Listener.Addr().String()
	// Each team has a roster key, held by its custodian (a file here).
	rosterKeys := map[string]roster.PrivateKey{}
	dir := t.TempDir()
	for i := range teams.Config.Teams {
		k, err := roster.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rosterKeys[teams.Config.Teams[i].Name] = k
		teams.Config.Teams[i].RosterKeys = []string{k.Public().String()}
		os.WriteFile(filepath.Join(dir, teams.Config.Teams[i].Name+".rosterkey"), []byte(k.String()+"\n"), 0o600)
	}
	if err := teams.Config.Validate(); err != nil {
		t.Fatal(err)
	}
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
	return &world{t: t, db: db, cases: cases, teams: teams, url: srv.URL, dir: dir, ids: map[string]*age.X25519Identity{},
		rosterKeys: rosterKeys, rosters: map[string][]roster.Signed{}}
}

// publishRoster signs and stores the next version of team's roster: the
// team's configured key and the named handlers' keys.
func (w *world) publishRoster(team string, handlers ...string) roster.Signed {
	w.t.Helper()
	r := roster.Roster{Team: team, Version: int64(len(w.rosters[team]) + 1)}
	for _, t := range w.teams.Config.Teams {
		if t.Name == team {
			r.Entries = append(r.Entries, roster.Entry{Recipient: t.Keys()[0].String(), Label: "team-key"})
		}
	}
	for _, h := range handlers {
		r.Entries = append(r.Entries, roster.Entry{Recipient: w.ids[h].Recipient().String(), Label: h})
	}
	s, err := roster.Sign(r, w.rosterKeys[team])
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.PublishRoster(context.Background(), team, r.Version, s, w.cases.OperatorAudit("test", "roster.publish", team)); err != nil {
		w.t.Fatal(err)
	}
	w.rosters[team] = append(w.rosters[team], s)
	return s
}

// pin pins both teams' roster keys for handler who and accepts the
// current rosters, as the README's quick start does.
func (w *world) pin(who string) {
	w.t.Helper()
	for _, team := range []string{"upr-secretariat", "reprisals-team"} {
		out := w.must(who, "yes\n", "roster", "pin", "-team", team, "-key", w.rosterKeys[team].Public().String())
		contains(w.t, out, w.rosterKeys[team].Public().Fingerprint(), "Pinned")
		if len(w.rosters[team]) > 0 {
			contains(w.t, w.must(who, "yes\n", "roster", "show", "-team", team), "verified")
		}
	}
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
	cmd.Env = append(os.Environ(), "CASECTL_SESSION="+filepath.Join(w.dir, who+".session"), "CASECTL_PINS="+filepath.Join(w.dir, who+".pins"), "CASECTL_IDENTITY=")
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
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat", "ines")
	w.pin("omar")
	w.pin("ines")

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

	// Flags go before or after the reference, as the README writes them.
	contains(t, w.must("omar", "", "triage", other, "-status", "acknowledged", "-urgency", "U2", "-deadline", "2026-12-31"),
		other+": Acknowledged, urgency U2", "deadline 2026-12-31")
	w.fails("omar", "cannot go from", "triage", "-status", "published", other)
	contains(t, w.must("omar", "", "cases", "-urgency", "U2"), other, "(1 cases)")

	contains(t, w.must("omar", "", "note", other, "-m", "Called the family; consent confirmed."), "Added note")
	contains(t, w.must("omar", "We have raised your case.\nPlease stay safe.", "reply", "-i", omarKey, other), "Added reply")
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
		"-- note", "-- reply", "-- follow-up", "from the reporter", "He was released on bail.")

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

// TestRekey adds a handler after cases exist: the team's key custodian
// signs a roster with their key and publishes it; they cannot read older
// cases until a colleague, shown the change, runs rekey; a removed handler
// can no longer read them after the next rekey. It also migrates a team
// from handler registration to rosters.
func TestRekey(t *testing.T) {
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	refs := []string{w.submit("upr"), w.submit("hrc_session"), w.submit("treaty_body")}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	// Before any roster: nothing is encrypted on the server's word.
	w.pin("omar")
	w.fails("omar", "no signed roster", "note", "-m", "internal note", refs[1])

	// Migration: the custodian signs the team's first roster with the keys
	// registered today (the configured one and omar's), and omar publishes
	// it.
	rosterFile := filepath.Join(w.dir, "roster.json")
	keyFile := filepath.Join(w.dir, "reprisals-team.rosterkey")
	out := w.must("custodian", "", "roster", "sign", "-key", keyFile, "-team", "reprisals-team",
		"-add", w.teams.Reprisals.Recipient().String(), "-label", "team-key", "-add", w.ids["omar"].Recipient().String(), "-label", "omar", "-out", rosterFile)
	contains(t, out, "version 1", "ADDED:   omar")
	contains(t, w.must("omar", "", "roster", "publish", rosterFile), "Published team reprisals-team's roster version 1")
	w.fails("omar", "not above", "roster", "publish", rosterFile)
	w.publishRoster("upr-secretariat")
	w.fails("omar", "not accepted", "note", "-m", "internal note", refs[1])
	w.must("omar", "yes\n", "note", "-m", "internal note", refs[1])
	w.must("omar", "yes\n", "reply", "-i", omarKey, "-m", "reply to the reporter", refs[1])

	var rid string
	w.db.Pool().QueryRow(context.Background(), `SELECT id FROM reports WHERE reference = $1`, refs[1]).Scan(&rid)
	visit, _ := intake.NewService(w.db.DB, w.teams.Config, nil).CaseByID(context.Background(), rid)
	if _, err := intake.NewService(w.db.DB, w.teams.Config, nil).Attach(context.Background(), visit, "evidence.txt", "text/plain",
		strings.NewReader("the evidence"), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}

	// Nadia joins: registered for login, but not in the roster, so a new
	// report is not encrypted to her.
	nadiaKey := w.addHandler("nadia", "reprisals-team")
	w.must("nadia", "", "login", "-server", w.url, "-handler", "nadia", "-i", nadiaKey)
	w.pin("nadia")
	early := w.submit("hrc_session")
	w.fails("nadia", "not encrypted to your identity yet", "show", "-i", nadiaKey, early)
	// The custodian adds her key; omar sees the change and agrees.
	next := filepath.Join(w.dir, "roster2.json")
	contains(t, w.must("custodian", "", "roster", "sign", "-key", keyFile, "-from", rosterFile, "-add", w.ids["nadia"].Recipient().String(), "-label", "nadia", "-out", next),
		"version 2", "ADDED:   nadia")
	w.must("omar", "", "roster", "publish", next)
	refs = append(refs, early)
	w.fails("nadia", "not encrypted to your identity yet", "show", "-i", nadiaKey, refs[0])

	contains(t, w.must("nadia", "yes\n", "rekey", "-i", nadiaKey), "Re-encrypted 0 case(s)", "4 skipped")
	w.fails("omar", "not accepted", "rekey", "-i", omarKey)
	contains(t, w.must("omar", "yes\n", "rekey", "-i", omarKey, "-dry-run"), "changed from version 1 to 2", "ADDED:   nadia (age1", "Would re-encrypt 4 case(s)")
	// The UPR team's roster, first seen now, is shown and agreed to too.
	contains(t, w.must("omar", "yes\n", "rekey", "-i", omarKey), "Team upr-secretariat's roster, version 1", "Re-encrypted 4 case(s)", "0 skipped")
	for _, ref := range refs {
		contains(t, w.must("nadia", "", "show", "-i", nadiaKey, ref), "Reference:   "+ref)
	}
	contains(t, w.must("nadia", "", "notes", "-i", nadiaKey, refs[1]), "internal note", "reply to the reporter")
	contains(t, w.must("nadia", "", "show", "-i", nadiaKey, refs[1]), "1. evidence.txt (text/plain, 12 bytes)")
	// New reports now go to the roster's recipients.
	fresh := w.submit("hrc_session")
	contains(t, w.must("nadia", "", "show", "-i", nadiaKey, fresh), "Reference:   "+fresh)

	// The UPR case stays readable by the UPR team's configured identity,
	// and the reply by the reporter's key.
	c, err := w.db.ReportByReference(context.Background(), refs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.Open(c.Ciphertext, w.teams.UPR); err != nil {
		t.Errorf("after rekey the UPR team lost access to a UPR case: %v", err)
	}

	// Nadia leaves: she is disabled and the custodian removes her key;
	// after the next rekey her key opens nothing.
	if err := w.db.UpdateHandler(context.Background(), "nadia", false, w.ids["nadia"].Recipient().String(),
		w.cases.OperatorAudit("test", "handler.disable", "nadia")); err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(w.dir, "roster3.json")
	contains(t, w.must("custodian", "", "roster", "sign", "-key", keyFile, "-from", next, "-remove", w.ids["nadia"].Recipient().String(), "-out", third),
		"version 3", "REMOVED: nadia")
	w.must("omar", "", "roster", "publish", third)
	contains(t, w.must("omar", "yes\n", "rekey", "-i", omarKey), "REMOVED: nadia", "Re-encrypted 5 case(s)")
	refs = append(refs, fresh)
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
