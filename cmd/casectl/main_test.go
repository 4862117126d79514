package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
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
	// signing are the handlers' signing keys (each kept, sealed, beside
	// its identity file), which publishRoster lists.
	signing map[string]crypto.SigningKey
	// path, when set, is casectl's PATH (a test age plugin's folder first).
	path string
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
		rosterKeys: rosterKeys, rosters: map[string][]roster.Signed{}, signing: map[string]crypto.SigningKey{}}
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
		e := roster.Entry{Recipient: w.ids[h].Recipient().String(), Label: h}
		if k, ok := w.signing[h]; ok {
			e.Signer = k.Public().String()
		}
		r.Entries = append(r.Entries, e)
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
	// Its signing key beside it, as keygen makes it.
	rec, _ := crypto.ParseRecipient(id.Recipient().String())
	k, _ := crypto.GenerateSigningKey()
	file, err := crypto.SealSigningKey(k, rec)
	if err != nil {
		w.t.Fatal(err)
	}
	os.WriteFile(crypto.SigningKeyPath(path), file, 0o600)
	w.signing[name] = k
	return path
}

func (w *world) submit(body string) string {
	w.t.Helper()
	acc, err := intake.NewService(w.db.DB, w.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: intaketest.Report(body), Channel: intake.ChannelPublic})
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
	if w.path != "" {
		cmd.Env = append(cmd.Env, "PATH="+w.path)
	}
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
	t.Parallel()
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
	// The console's names, not the stored codes: the State by its UN name,
	// choices by their labels, the channel and language in words.
	shown := w.must("omar", "", "show", "-i", omarKey, other)
	contains(t, shown, "state_concerned: Ukraine", "cooperation.body: Human Rights Council session", "victims[0].status: Detained",
		"victims[0].roles: Human rights defender, Journalist or media worker", "Channel:     public form or API", "Language:    English",
		"steps_taken.un_document: Yes", "steps_taken.un_document_symbol: A/HRC/57/30")
	for _, code := range []string{"state_concerned: UA", "body: hrc_session", "status: detained", "Channel:     public\n"} {
		if strings.Contains(shown, code) {
			t.Errorf("casectl show prints the code %q:\n%s", code, shown)
		}
	}
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
	got, err := os.ReadFile(filepath.Join(exportDir, other, "attachments", "01-_.._etc_evil name.mp4"))
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
	t.Parallel()
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
		"-add", w.teams.Reprisals.Recipient().String(), "-label", "team-key", "-add", w.ids["omar"].Recipient().String(), "-label", "omar",
		"-signer", "-", "-signer", w.signing["omar"].Public().String(), "-out", rosterFile)
	contains(t, out, "version 1", "ADDED:   omar", "SIGNING: omar")
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

	contains(t, w.must("nadia", "yes\n", "rekey", "-i", nadiaKey), "Re-encrypted 0 cases", "4 skipped")
	w.fails("omar", "not accepted", "rekey", "-i", omarKey)
	contains(t, w.must("omar", "", "rekey", "-i", omarKey, "-dry-run"), "changed from version 1 to 2", "ADDED:   nadia (age1", "Would re-encrypt 4 cases",
		"dry run: this roster is not accepted")
	// The dry run accepted nothing: the rekey shows the change again and
	// asks; the UPR team's roster, first seen now, is shown and agreed to too.
	contains(t, w.must("omar", "yes\nyes\n", "rekey", "-i", omarKey), "changed from version 1 to 2", "Team upr-secretariat's roster, version 1", "Re-encrypted 4 cases", "0 skipped")
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
	contains(t, w.must("omar", "yes\n", "rekey", "-i", omarKey), "REMOVED: nadia", "Re-encrypted 5 cases")
	refs = append(refs, fresh)

	// The handler requires two custodians' signatures: a roster signed by
	// one is refused until the second co-signs it.
	second, _ := roster.GenerateKey()
	secondFile := filepath.Join(w.dir, "second.rosterkey")
	os.WriteFile(secondFile, []byte(second.String()+"\n"), 0o600)
	if out, err := w.as("omar", "yes\n", "roster", "pin", "-team", "reprisals-team", "-key", w.rosterKeys["reprisals-team"].Public().String(), "-require", "2"); err == nil || !strings.Contains(out, "has only 1 roster key pinned") {
		t.Errorf("requiring 2 signatures with 1 key pinned: %v\n%s", err, out)
	}
	contains(t, w.must("omar", "yes\n", "roster", "pin", "-team", "reprisals-team", "-key", second.Public().String(), "-require", "2"), "signed by 2 of its 2")
	fourth := filepath.Join(w.dir, "roster4.json")
	w.must("custodian", "", "roster", "sign", "-key", keyFile, "-from", third, "-add", w.ids["nadia"].Recipient().String(), "-label", "nadia", "-out", fourth)
	w.must("omar", "", "roster", "publish", fourth)
	w.fails("omar", "not signed by enough", "note", "-m", "x", refs[1])
	cosigned := filepath.Join(w.dir, "roster4b.json")
	contains(t, w.must("custodian2", "", "roster", "sign", "-key", secondFile, "-from", fourth, "-out", cosigned), "Co-signed team reprisals-team's roster version 4")
	b, _ := os.ReadFile(cosigned)
	var s roster.Signed
	json.Unmarshal(b, &s)
	// The server already holds version 4 (one signature); a proxy would
	// serve the co-signed one. Here the database gets it, as a publication
	// of the same version is refused.
	if _, err := w.db.Pool().Exec(context.Background(), `UPDATE rosters SET signatures = $1 WHERE team = 'reprisals-team' AND version = 4`, mustJSON(t, s.Signatures)); err != nil {
		t.Fatal(err)
	}
	contains(t, w.must("omar", "yes\n", "note", "-m", "x", refs[1]), "ADDED:   nadia", "Added note")
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

// recorder is a hostile server written in the test: it answers login
// challenges with what it is told and records every other request.
type recorder struct {
	mu       sync.Mutex
	requests []string
	bodies   []string
}

func (r *recorder) record(req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req.Method+" "+req.URL.Path)
	r.bodies = append(r.bodies, string(b))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func armored(t *testing.T, ciphertext []byte) string {
	t.Helper()
	var b bytes.Buffer
	aw := armor.NewWriter(&b)
	aw.Write(ciphertext)
	aw.Close()
	return b.String()
}

// TestHostileServerGetsNoPlaintextAtLogin points casectl login at a
// server that sends, as the login challenge, a stored case's ciphertext,
// an attachment manifest's, and the real server's own challenge relayed:
// the client refuses each with the handler-readable message and sends
// nothing back.
func TestHostileServerGetsNoPlaintextAtLogin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	var rid string
	w.db.Pool().QueryRow(context.Background(), `SELECT id FROM reports WHERE reference = $1`, ref).Scan(&rid)
	visit, _ := svc.CaseByID(context.Background(), rid)
	if _, err := svc.Attach(context.Background(), visit, "witness-list.pdf", "application/pdf", strings.NewReader("names of witnesses"),
		intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	stored, err := w.db.ReportByReference(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var manifest []byte
	w.db.Pool().QueryRow(context.Background(), `SELECT manifest FROM attachments WHERE report_id = $1`, rid).Scan(&manifest)
	if _, err := crypto.Open(stored.Ciphertext, w.ids["omar"]); err != nil {
		t.Fatalf("the case is not even encrypted to omar, so the test proves nothing: %v", err)
	}
	// The real server's challenge, relayed by a phishing server.
	real, err := handlerapi.New(w.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	relayed, err := real.Challenge(context.Background(), "omar")
	if err != nil {
		t.Fatal(err)
	}

	for name, challenge := range map[string]string{
		"stored case":                       armored(t, stored.Ciphertext),
		"manifest":                          armored(t, manifest),
		"relayed, bound to the real server": relayed.Challenge,
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			hostile := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rec.record(r)
				if r.URL.Path == handlerapi.Prefix+"/login/challenge" {
					rw.Header().Set("Content-Type", "application/json")
					json.NewEncoder(rw).Encode(handlerapi.ChallengeResponse{ChallengeID: "00000000-0000-4000-8000-000000000000",
						Challenge: challenge, ExpiresAt: time.Now().Add(time.Minute)})
					return
				}
				http.Error(rw, "no", http.StatusTeapot)
			}))
			defer hostile.Close()
			w.fails("omar", "not a login challenge; nothing was sent back. Do not use this server; tell your security focal point",
				"login", "-server", hostile.URL, "-handler", "omar", "-i", omarKey)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.requests) != 1 {
				t.Errorf("the hostile server received %v, want only the challenge request", rec.requests)
			}
			for _, b := range rec.bodies {
				if strings.Contains(b, "Arrested") || strings.Contains(b, "witness") || strings.Contains(b, "AGE-SECRET-KEY") {
					t.Errorf("plaintext reached the hostile server: %s", b)
				}
			}
		})
	}
}

// TestHostileRosters puts a hostile proxy between casectl and the real
// server that adds a recipient of its own to the team's roster (keeping
// the old signature, or signing with a key nobody pinned) or replays an
// older, validly signed roster: no note, reply or rekey is encrypted to
// it, and the handler is told why.
func TestHostileRosters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	ref := w.submit("hrc_session")
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team")
	w.publishRoster("upr-secretariat")
	v2 := w.publishRoster("reprisals-team", "omar")
	w.pin("omar") // accepts version 2
	v1 := w.rosters["reprisals-team"][0]

	rogue, _ := age.GenerateX25519Identity()
	stranger, _ := roster.GenerateKey()
	r2, _ := roster.Parse([]byte(v2.Roster))
	withRogue := r2
	withRogue.Version = 3
	withRogue.Entries = append(withRogue.Entries, roster.Entry{Recipient: rogue.Recipient().String(), Label: "it-support"})
	forged := roster.Signed{Roster: string(withRogue.Marshal()), Signatures: v2.Signatures}
	strangerSigned, _ := roster.Sign(withRogue, stranger)

	var serve roster.Signed
	target, _ := url.Parse(w.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" && r.URL.Path == handlerapi.Prefix+"/rosters/reprisals-team" {
			rw.Header().Set("Content-Type", "application/json")
			json.NewEncoder(rw).Encode(serve)
			return
		}
		proxy.ServeHTTP(rw, r)
	}))
	defer front.Close()
	// omar's session now goes through the proxy.
	sessPath := filepath.Join(w.dir, "omar.session")
	var sess map[string]any
	b, _ := os.ReadFile(sessPath)
	json.Unmarshal(b, &sess)
	sess["server"] = front.URL
	b, _ = json.Marshal(sess)
	os.WriteFile(sessPath, b, 0o600)

	count := func() (n int) {
		w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes`).Scan(&n)
		return n
	}
	before, _ := w.db.ReportByReference(context.Background(), ref)
	for name, tc := range map[string]struct {
		serve roster.Signed
		why   string
	}{
		"recipient added, old signature": {forged, "the server's roster is refused"},
		"signed by an unpinned key":      {strangerSigned, "the server's roster is refused"},
		"older roster replayed":          {v1, "older roster than one you already accepted"},
	} {
		t.Run(name, func(t *testing.T) {
			serve = tc.serve
			notes := count()
			for _, args := range [][]string{
				{"note", ref, "-m", "internal"},
				{"reply", "-i", omarKey, ref, "-m", "to the reporter"},
				{"rekey", "-i", omarKey},
			} {
				out, err := w.as("omar", "yes\nyes\n", args...)
				if err == nil || !strings.Contains(out, tc.why) || !strings.Contains(out, "Nothing was encrypted") {
					t.Errorf("casectl %v: err %v, want a refusal saying %q:\n%s", args, err, tc.why, out)
				}
			}
			if count() != notes {
				t.Error("a note or reply was stored")
			}
			after, _ := w.db.ReportByReference(context.Background(), ref)
			if !bytes.Equal(after.Ciphertext, before.Ciphertext) {
				t.Error("the case was rekeyed")
			}
		})
	}
	// Through the proxy, the genuine roster still works.
	serve = v2
	contains(t, w.must("omar", "", "note", ref, "-m", "internal"), "Added note")
	var ct []byte
	w.db.Pool().QueryRow(context.Background(), `SELECT ciphertext FROM notes ORDER BY id DESC LIMIT 1`).Scan(&ct)
	if _, err := crypto.Open(ct, rogue); err == nil {
		t.Error("the note is readable by the rogue key")
	}
}

// TestEscapesPrintHarmlessly submits a report, a follow-up and a file name
// carrying terminal escape sequences and bidirectional overrides: show and
// notes print them as visible escapes, never raw.
func TestEscapesPrintHarmlessly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	r := intaketest.Report("hrc_session")
	evil := "\x1b]0;pwned\x07\x1b[2J\x1b[8mhidden\x1b[0m \u202eevil\u202c \u009b31m"
	r.Incidents[0].Narrative = "Arrested. " + evil
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	acc, err := svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatalf("submitting a narrative with escapes: %v", err)
	}
	ref := acc.Reference
	var rid string
	w.db.Pool().QueryRow(context.Background(), `SELECT id FROM reports WHERE reference = $1`, ref).Scan(&rid)
	visit, _ := svc.CaseByID(context.Background(), rid)
	if err := svc.FollowUp(context.Background(), visit, "More: "+evil, "en"); err != nil {
		t.Logf("follow-up with escapes refused at the edge (fine): %v", err)
	}
	svc.Attach(context.Background(), visit, "photo\u202egpj.exe", "image/jpeg", strings.NewReader("jpeg"), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20})
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	w.must("omar", "", "note", ref, "-m", "handler pasted "+evil)
	for _, args := range [][]string{{"show", "-i", omarKey, ref}, {"show", "-json", "-i", omarKey, ref}, {"notes", "-i", omarKey, ref}} {
		out := w.must("omar", "", args...)
		for _, raw := range []string{"\x1b", "\x07", "\u202e", "\u202c", "\u009b"} {
			if strings.Contains(out, raw) {
				t.Errorf("casectl %v printed %q raw:\n%q", args, raw, out)
			}
		}
		if !strings.Contains(out, `\x1b]0;pwned`) && !strings.Contains(out, `\u001b]0;pwned`) {
			t.Errorf("casectl %v does not show the escape visibly:\n%s", args, out)
		}
	}
	contains(t, w.must("omar", "", "show", "-i", omarKey, ref), `photo\u202egpj.exe`)
}

// TestRepliesToOrganisationCasesAndSealedReplyKeys checks the two reply
// safeguards: a case an NHRI logged is shown with the warning that its
// staff hold the receipt, and a reply needs -org-may-read; and a reply key
// the server swaps is refused, because the report carries its own.
func TestRepliesToOrganisationCasesAndSealedReplyKeys(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	acc, err := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: "org:nhri-x", Intermediary: &envelope.IntermediaryRecord{Organisation: "nhri-x", OrganisationName: "NHRI of X", Staff: "layla",
		ConsentFrom: "the victim", ConsentOn: "2026-10", ConsentHow: "in person", Relationship: "caseworker"}})
	if err != nil {
		t.Fatal(err)
	}
	ref := acc.Reference
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	contains(t, w.must("omar", "", "show", "-i", omarKey, ref), "logged by NHRI of X (nhri-x)", "can read every reply at /return")
	w.fails("omar", "send it again with -org-may-read", "reply", "-i", omarKey, ref, "-m", "We are in touch with the authorities.")
	contains(t, w.must("omar", "", "reply", "-i", omarKey, ref, "-m", "We are in touch with the authorities.", "-org-may-read"), "Added reply")

	// A proxy swaps the case's reply key for its own.
	rogue, _ := age.GenerateX25519Identity()
	target, _ := url.Parse(w.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != "GET" || resp.Request.URL.Path != handlerapi.Prefix+"/cases/"+ref {
			return nil
		}
		var c map[string]any
		json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		c["reply_recipient"] = rogue.Recipient().String()
		b, _ := json.Marshal(c)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	sessPath := filepath.Join(w.dir, "omar.session")
	var sess map[string]any
	b, _ := os.ReadFile(sessPath)
	json.Unmarshal(b, &sess)
	sess["server"] = front.URL
	b, _ = json.Marshal(sess)
	os.WriteFile(sessPath, b, 0o600)
	w.fails("omar", "not the one sealed in the report", "reply", "-i", omarKey, ref, "-m", "second reply", "-org-may-read")
	var n int
	w.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notes WHERE kind = 'reply'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d replies stored, want the first only", n)
	}
}

// TestMovedContentIsRefused plays a server that serves one case's
// ciphertext, or its follow-up, under another case's reference: show
// refuses the case, notes hides the follow-up, and rekey re-encrypts
// neither.
func TestMovedContentIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	omarKey := w.addHandler("omar", "reprisals-team")
	a, b := w.submit("hrc_session"), w.submit("treaty_body")
	ctx := context.Background()
	svc := intake.NewService(w.db.DB, w.teams.Config, nil)
	var bid string
	w.db.Pool().QueryRow(ctx, `SELECT id FROM reports WHERE reference = $1`, b).Scan(&bid)
	visit, _ := svc.CaseByID(ctx, bid)
	if err := svc.FollowUp(ctx, visit, "B's follow-up", "en"); err != nil {
		t.Fatal(err)
	}
	// The follow-up of b is listed under a; then a's content is b's.
	if _, err := w.db.Pool().Exec(ctx, `UPDATE notes SET report_id = (SELECT id FROM reports WHERE reference = $1) WHERE kind = 'followup'`, a); err != nil {
		t.Fatal(err)
	}
	w.must("omar", "", "login", "-server", w.url, "-handler", "omar", "-i", omarKey)
	w.publishRoster("reprisals-team", "omar")
	w.publishRoster("upr-secretariat")
	w.pin("omar")
	out := w.must("omar", "", "notes", "-i", omarKey, a)
	contains(t, out, "not a follow-up of this case: not shown")
	if strings.Contains(out, "B's follow-up") {
		t.Errorf("a follow-up of another case was shown:\n%s", out)
	}
	if _, err := w.db.Pool().Exec(ctx, `UPDATE reports SET ciphertext = (SELECT ciphertext FROM reports WHERE reference = $1) WHERE reference = $2`, b, a); err != nil {
		t.Fatal(err)
	}
	w.fails("omar", "holds the content of another case", "show", "-i", omarKey, a)
	// rekey refuses that case and still re-encrypts the others.
	out, err := w.as("omar", "", "rekey", "-i", omarKey)
	if err == nil || !strings.Contains(out, a+": REFUSED") || !strings.Contains(out, "Re-encrypted 1 case ") || !strings.Contains(out, "1 case was refused") {
		t.Errorf("rekey with one moved case: %v\n%s", err, out)
	}
}
