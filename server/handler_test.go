package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store"
)

// addHandler registers a handler with a fresh identity.
func (e *env) addHandler(name, team string) *age.X25519Identity {
	e.t.Helper()
	id, _ := age.GenerateX25519Identity()
	err := e.db.AddHandler(context.Background(), store.Handler{Name: name, Team: team, Recipient: id.Recipient().String()},
		e.cases.OperatorAudit("test", "handler.add", name))
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// api calls the handler API with a token and decodes the JSON answer.
func (e *env) api(token, method, path string, in, out any) int {
	e.t.Helper()
	var body io.Reader
	ct := ""
	if in != nil {
		b, _ := json.Marshal(in)
		body, ct = bytes.NewReader(b), "application/json"
	}
	h := []string{}
	if token != "" {
		h = []string{"Authorization", "Bearer " + token}
	}
	resp, b := e.do(method, "/api/v1/handler"+path, ct, body, h...)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 && resp.StatusCode != 204 {
		decodeError(e.t.(*testing.T), b)
	}
	return resp.StatusCode
}

type challenge = handlerapi.ChallengeResponse

func (e *env) challenge(name string) challenge {
	e.t.Helper()
	var ch challenge
	if code := e.api("", "POST", "/login/challenge", map[string]string{"handler": name}, &ch); code != 200 {
		e.t.Fatalf("challenge: %d", code)
	}
	return ch
}

// answer is what a client answers to a challenge for name: the nonce,
// after checking the challenge.
func (e *env) answer(name string, ch challenge, id age.Identity) (string, error) {
	return envelope.OpenChallenge(ch.Challenge, e.srv.URL, name, time.Now(), id)
}

// login logs in as name with id and returns the token.
func (e *env) login(name string, id age.Identity) string {
	e.t.Helper()
	ch := e.challenge(name)
	a, err := e.answer(name, ch, id)
	if err != nil {
		e.t.Fatalf("cannot decrypt the challenge: %v", err)
	}
	var res struct{ Token string }
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": a}, &res); code != 200 {
		e.t.Fatalf("login: %d", code)
	}
	return res.Token
}

func TestHandlerLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("amal", "reprisals-team")
	other, _ := age.GenerateX25519Identity()

	// The right identity logs in; the token works.
	token := e.login("amal", id)
	if code := e.api(token, "GET", "/team", nil, nil); code != 200 {
		t.Fatalf("GET /team with a fresh token: %d", code)
	}

	// A wrong identity cannot even read the challenge; a guessed answer fails.
	ch := e.challenge("amal")
	if _, err := e.answer("amal", ch, other); err == nil {
		t.Fatal("another identity decrypted the challenge")
	}
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": "guess"}, nil); code != 401 {
		t.Errorf("wrong answer: %d, want 401", code)
	}
	// The challenge is spent even by a wrong answer.
	right, _ := e.answer("amal", ch, id)
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": right}, nil); code != 401 {
		t.Errorf("right answer after a wrong one on the same challenge: %d, want 401", code)
	}

	// A replayed answer fails.
	ch = e.challenge("amal")
	right, _ = e.answer("amal", ch, id)
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": right}, nil); code != 200 {
		t.Fatalf("login: %d", code)
	}
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": right}, nil); code != 401 {
		t.Errorf("replayed answer: %d, want 401", code)
	}

	// An expired challenge fails.
	ch = e.challenge("amal")
	right, _ = e.answer("amal", ch, id)
	e.cases.SetClock(func() time.Time { return ch.ExpiresAt.Add(time.Second) })
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": right}, nil); code != 401 {
		t.Errorf("expired challenge: %d, want 401", code)
	}
	e.cases.SetClock(time.Now)
	// An altered challenge id fails, even with the right answer.
	ch = e.challenge("amal")
	right, _ = e.answer("amal", ch, id)
	alt := []byte(ch.ChallengeID)
	if alt[40] = 'A'; ch.ChallengeID[40] == 'A' {
		alt[40] = 'B'
	}
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": string(alt), "answer": right}, nil); code != 401 {
		t.Errorf("altered challenge id: %d, want 401", code)
	}
	if code := e.api("", "POST", "/login", map[string]string{"challenge_id": ch.ChallengeID, "answer": right}, nil); code != 200 {
		t.Errorf("the right answer with the unaltered id: %d, want 200", code)
	}

	// An unknown name gets a challenge of the same shape that cannot succeed.
	ghost := e.challenge("nobody")
	if len(ghost.ChallengeID) != len(ch.ChallengeID) || !strings.HasPrefix(ghost.Challenge, "-----BEGIN AGE ENCRYPTED FILE-----") {
		t.Errorf("challenge for an unknown name looks different: %+v", ghost)
	}

	// Tokens: bad, expired, revoked by logout, ended by disabling.
	for _, bad := range []string{"", "not-a-token", strings.Repeat("x", 300)} {
		if code := e.api(bad, "GET", "/cases", nil, nil); code != 401 {
			t.Errorf("token %.10q: %d, want 401", bad, code)
		}
	}
	t2 := e.login("amal", id)
	e.db.Pool().Exec(context.Background(), `UPDATE sessions SET expires_at = now() - interval '1 second'`)
	if code := e.api(t2, "GET", "/cases", nil, nil); code != 401 {
		t.Errorf("expired session: %d, want 401", code)
	}
	t3 := e.login("amal", id)
	if code := e.api(t3, "POST", "/logout", struct{}{}, nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code := e.api(t3, "GET", "/cases", nil, nil); code != 401 {
		t.Errorf("after logout: %d, want 401", code)
	}
	t4 := e.login("amal", id)
	if err := e.db.UpdateHandler(context.Background(), "amal", false, id.Recipient().String(), e.cases.OperatorAudit("test", "handler.disable", "amal")); err != nil {
		t.Fatal(err)
	}
	if code := e.api(t4, "GET", "/cases", nil, nil); code != 401 {
		t.Errorf("disabled handler's session: %d, want 401", code)
	}
	ch = e.challenge("amal")
	if _, err := e.answer("amal", ch, id); err == nil {
		t.Error("a disabled handler's challenge is still encrypted to them")
	}
	var sessions int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE length(token_hash) = 32`).Scan(&sessions)
	if sessions == 0 {
		t.Error("sessions are not stored as 32-byte hashes")
	}
}

func TestHandlerSeesOnlyTheirTeamsCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	uprID := e.addHandler("ines", "upr-secretariat")
	repID := e.addHandler("omar", "reprisals-team")
	svc := intake.NewService(e.db.DB, e.teams.Config, nil)
	uprCase, _ := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("upr"), Channel: intake.ChannelPublic})
	otherCase, _ := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	uprTok, repTok := e.login("ines", uprID), e.login("omar", repID)

	var list struct {
		Cases []struct{ Reference string } `json:"cases"`
		Total int
	}
	e.api(uprTok, "GET", "/cases", nil, &list)
	if list.Total != 1 || list.Cases[0].Reference != uprCase.Reference {
		t.Errorf("UPR handler lists %+v, want only %s", list, uprCase.Reference)
	}
	e.api(repTok, "GET", "/cases", nil, &list)
	if list.Total != 2 {
		t.Errorf("reprisals handler lists %d cases, want 2", list.Total)
	}

	// The other team's case, and a case that does not exist, look the same.
	for _, ref := range []string{otherCase.Reference, "ZZZZ-ZZZZ"} {
		for _, r := range []struct{ method, path string }{
			{"GET", "/cases/" + ref}, {"GET", "/cases/" + ref + "/notes"}, {"PATCH", "/cases/" + ref},
			{"POST", "/cases/" + ref + "/notes"}, {"POST", "/cases/" + ref + "/export"},
			{"GET", "/cases/" + ref + "/attachments"}, {"GET", "/cases/" + ref + "/attachments/00000000-0000-4000-8000-000000000000"},
			{"POST", "/cases/" + ref + "/rekey"},
		} {
			var in any
			ct := []byte("age-encryption.org/v1\n-> X25519 x\n")
			switch r.path[len(r.path)-5:] {
			case "notes":
				if r.method == "POST" {
					in = map[string]any{"kind": "note", "ciphertext": ct}
				}
			case "rekey":
				in = map[string]any{"ciphertext": ct}
			}
			if r.method == "PATCH" {
				in = map[string]string{"urgency": "U2"}
			}
			resp, b := e.do(r.method, "/api/v1/handler"+r.path, map[bool]string{true: "application/json", false: ""}[in != nil], jsonBody(in), "Authorization", "Bearer "+uprTok)
			if resp.StatusCode != 404 {
				t.Errorf("UPR handler %s %s: %d, want 404", r.method, r.path, resp.StatusCode)
			}
			if strings.Contains(string(b), "upr-secretariat") || strings.Contains(string(b), "reprisals-team") {
				t.Errorf("the 404 reveals routing: %s", b)
			}
		}
	}
	// Nothing the UPR handler was refused is in the audit log: no entry
	// names a case they cannot see.
	e.db.AuditEntries(context.Background(), func(en audit.Entry) error {
		for _, ref := range []string{otherCase.Reference, "ZZZZ-ZZZZ"} {
			if en.Actor == "handler:ines" && (en.Reference == ref || strings.Contains(en.Detail, ref)) {
				t.Errorf("audit entry %q names %s, which ines cannot see", en.Action, ref)
			}
		}
		return nil
	})
	// Both teams see a UPR case.
	var full struct{ Ciphertext []byte }
	if code := e.api(repTok, "GET", "/cases/"+uprCase.Reference, nil, &full); code != 200 {
		t.Errorf("reprisals handler fetching a UPR case: %d", code)
	}
	if _, err := crypto.Open(full.Ciphertext, repID); err != nil {
		t.Errorf("a handler of the team cannot decrypt a case made after they joined: %v", err)
	}
}

func jsonBody(v any) io.Reader {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

func TestTriageTransitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("omar", "reprisals-team")
	e.addHandler("lea", "reprisals-team")
	e.addHandler("ines", "upr-secretariat")
	svc := intake.NewService(e.db.DB, e.teams.Config, nil)
	c1, _ := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	c2, _ := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	tok := e.login("omar", id)
	patch := func(ref string, ch map[string]string) (int, map[string]any) {
		var out map[string]any
		return e.api(tok, "PATCH", "/cases/"+ref, ch, &out), out
	}
	steps := []struct {
		change map[string]string
		code   int
	}{
		{map[string]string{"status": "published"}, 422},    // not from received
		{map[string]string{"status": "acknowledged"}, 200}, // allowed
		{map[string]string{"status": "acknowledged"}, 422}, // already
		{map[string]string{"status": "under_assessment", "urgency": "U2", "assignee": "lea"}, 200},
		{map[string]string{"assignee": "ines"}, 422}, // another team's handler
		{map[string]string{"assignee": "nobody"}, 422},
		{map[string]string{"urgency": "U9"}, 422},
		{map[string]string{"next_deadline": "2026-13-01"}, 422},
		{map[string]string{"next_deadline": "2026-12-15"}, 200},
		{map[string]string{"status": "bogus"}, 422},
		{map[string]string{"status": "closed"}, 422}, // needs a reason
		{map[string]string{"status": "closed", "status_detail": "resolved"}, 200},
		{map[string]string{"status": "under_assessment"}, 422}, // closed -> only follow_up
		{map[string]string{"status": "follow_up"}, 200},
		{map[string]string{"status": "duplicate", "status_detail": c1.Reference}, 422}, // not itself
		{map[string]string{}, 422},                                                     // nothing
	}
	for i, s := range steps {
		if code, _ := patch(c1.Reference, s.change); code != s.code {
			t.Fatalf("step %d %v: %d, want %d", i, s.change, code, s.code)
		}
	}
	code, out := patch(c2.Reference, map[string]string{"status": "duplicate", "status_detail": c1.Reference})
	if code != 200 || out["status"] != "duplicate" || out["status_detail"] != c1.Reference {
		t.Fatalf("duplicate: %d %v", code, out)
	}
	var meta map[string]any
	e.api(tok, "GET", "/cases/"+c1.Reference, nil, &meta)
	if meta["status"] != "follow_up" || meta["urgency"] != "U2" || meta["assignee"] != "lea" || meta["next_deadline"] != "2026-12-15" {
		t.Errorf("case after triage: %v", meta)
	}
	var list struct{ Total int }
	e.api(tok, "GET", "/cases?status=duplicate", nil, &list)
	if list.Total != 1 {
		t.Errorf("filter by status: %d cases", list.Total)
	}
	e.api(tok, "GET", "/cases?assignee=lea&urgency=U2", nil, &list)
	if list.Total != 1 {
		t.Errorf("filter by assignee and urgency: %d cases", list.Total)
	}
	if code := e.api(tok, "GET", "/cases?sort=evil", nil, nil); code != 422 {
		t.Errorf("unknown sort: %d, want 422", code)
	}
}

// TestNotesAndRepliesStayEncrypted adds a note and a reply holding a
// canary, checks the database holds neither in clear, and that the reply
// opens with the key derived from the reporter's receipt.
func TestNotesAndRepliesStayEncrypted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("omar", "reprisals-team")
	acc, err := intake.NewService(e.db.DB, e.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	tok := e.login("omar", id)
	canary := "CANARY" + strings.ToUpper(hex.EncodeToString(randBytes(10)))

	// The team's recipients, as its roster would list them (the server
	// does not name recipients: clients take them from signed rosters).
	teamRecs := []string{e.teams.Reprisals.Recipient().String(), id.Recipient().String()}
	var cs struct {
		ReplyRecipient string `json:"reply_recipient"`
	}
	e.api(tok, "GET", "/cases/"+acc.Reference, nil, &cs)
	seal := func(text string, recs []string) []byte {
		var rs []crypto.Recipient
		for _, s := range recs {
			r, err := crypto.ParseRecipient(s)
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
		}
		s, err := crypto.Seal([]byte(text), rs)
		if err != nil {
			t.Fatal(err)
		}
		return s.Ciphertext
	}
	if code := e.api(tok, "POST", "/cases/"+acc.Reference+"/notes", map[string]any{"kind": "note", "ciphertext": seal("note "+canary, teamRecs)}, nil); code != 201 {
		t.Fatalf("note: %d", code)
	}
	replyRecs := append([]string{cs.ReplyRecipient}, teamRecs...)
	if code := e.api(tok, "POST", "/cases/"+acc.Reference+"/notes", map[string]any{"kind": "reply", "ciphertext": seal("reply "+canary, replyRecs)}, nil); code != 201 {
		t.Fatalf("reply: %d", code)
	}
	// Plaintext is refused outright.
	if code := e.api(tok, "POST", "/cases/"+acc.Reference+"/notes", map[string]any{"kind": "note", "ciphertext": []byte("plain " + canary)}, nil); code != 422 {
		t.Errorf("plaintext note: %d, want 422", code)
	}

	dump := e.db.Dump(t)
	for _, needle := range []string{canary, hex.EncodeToString([]byte(canary))} {
		if bytes.Contains(dump, []byte(needle)) {
			t.Errorf("the canary is in the pg_dump")
		}
	}
	if strings.Contains(e.logs.String(), canary) {
		t.Error("the canary is in the logs")
	}

	var notes struct {
		Notes []struct {
			Kind       string
			Ciphertext []byte
		}
	}
	e.api(tok, "GET", "/cases/"+acc.Reference+"/notes", nil, &notes)
	if len(notes.Notes) != 2 {
		t.Fatalf("%d notes, want 2", len(notes.Notes))
	}
	receiptKey := acc.Receipt.ReplyIdentity()
	for _, n := range notes.Notes {
		plain, err := crypto.Open(n.Ciphertext, id)
		if err != nil || !strings.Contains(string(plain), canary) {
			t.Errorf("%s: the handler cannot read it back: %v", n.Kind, err)
		}
		plain, err = crypto.Open(n.Ciphertext, receiptKey)
		var nm *age.NoIdentityMatchError
		switch n.Kind {
		case "reply":
			if err != nil || !strings.HasPrefix(string(plain), "reply "+canary) {
				t.Errorf("the reporter's receipt key cannot read the reply: %v", err)
			}
		case "note":
			if !errors.As(err, &nm) {
				t.Errorf("the reporter's key opened an internal note (err %v)", err)
			}
		}
	}
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("omar", "reprisals-team")
	acc, _ := intake.NewService(e.db.DB, e.teams.Config, nil).Submit(context.Background(), intake.Submission{Report: intaketest.Report("hrc_session"), Channel: intake.ChannelPublic})
	tok := e.login("omar", id)
	e.api(tok, "GET", "/cases", nil, nil)
	e.api(tok, "GET", "/cases/"+acc.Reference, nil, nil)
	e.api(tok, "PATCH", "/cases/"+acc.Reference, map[string]string{"status": "acknowledged"}, nil)
	e.api(tok, "POST", "/cases/"+acc.Reference+"/export", struct{}{}, nil)
	e.api(tok, "POST", "/logout", struct{}{}, nil)

	key := audit.Key(e.teams.Config.ReceiptKey())
	verify := func() (error, []audit.Entry) {
		v := audit.NewVerifier(key)
		var all []audit.Entry
		err := e.db.AuditEntries(context.Background(), func(en audit.Entry) error {
			all = append(all, en)
			return v.Check(en)
		})
		return err, all
	}
	err, entries := verify()
	if err != nil {
		t.Fatalf("a clean chain does not verify: %v", err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Actor+" "+en.Action+" "+en.Reference)
		if strings.Contains(en.Detail, "Amina") {
			t.Errorf("an audit entry holds content: %+v", en)
		}
	}
	want := []string{"operator:test handler.add ", "handler:omar login ", "handler:omar case.list ",
		"handler:omar case.fetch " + acc.Reference, "handler:omar case.triage " + acc.Reference,
		"handler:omar case.export " + acc.Reference, "handler:omar logout "}
	if strings.Join(actions, "|") != strings.Join(want, "|") {
		t.Errorf("audit entries:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(entries[4].Detail, "status received -> acknowledged") {
		t.Errorf("triage detail %q", entries[4].Detail)
	}

	ctx := context.Background()
	tamper := []struct {
		name, sql string
		seq       int64
	}{
		{"edit", `UPDATE audit_log SET actor = 'handler:someone-else' WHERE seq = 4`, 4},
		{"delete", `DELETE FROM audit_log WHERE seq = 3`, 3},
	}
	for _, tt := range tamper {
		tx, _ := e.db.Pool().Begin(ctx)
		if _, err := tx.Exec(ctx, tt.sql); err != nil {
			t.Fatal(err)
		}
		v := audit.NewVerifier(key)
		rows, _ := tx.Query(ctx, `SELECT seq, at, actor, action, reference, detail, prev_mac, mac FROM audit_log ORDER BY seq`)
		var verr error
		for rows.Next() && verr == nil {
			var en audit.Entry
			rows.Scan(&en.Seq, &en.At, &en.Actor, &en.Action, &en.Reference, &en.Detail, &en.PrevMAC, &en.MAC)
			verr = v.Check(en)
		}
		rows.Close()
		tx.Rollback(ctx)
		var be *audit.BrokenError
		if !errors.As(verr, &be) || be.Seq != tt.seq {
			t.Errorf("%s row %d: verify says %v", tt.name, tt.seq, verr)
		}
	}
}

// challengeShape returns a challenge's stanza types and its length: all an
// observer without the key can learn from it.
func challengeShape(t *testing.T, ch challenge) string {
	t.Helper()
	b, err := io.ReadAll(armor.NewReader(strings.NewReader(ch.Challenge)))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "-> "); ok {
			typ, _, _ := strings.Cut(rest, " ")
			types = append(types, typ)
		}
		if strings.HasPrefix(line, "---") {
			break
		}
	}
	return fmt.Sprintf("%v %d", types, len(ch.Challenge))
}

// TestChallengesLookAlike checks that a challenge for an unknown or a
// disabled name cannot be told from a real one by stanza type or size:
// a hardware-key (p256tag) handler's challenge looks like the decoys.
func TestChallengesLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	hw, _ := crypto.ThrowawayRecipient(crypto.KindTag)
	for _, h := range []store.Handler{
		{Name: "hana", Team: "reprisals-team", Recipient: hw.String()},
		{Name: "gone", Team: "reprisals-team", Recipient: hw.String()},
	} {
		if err := e.db.AddHandler(ctx, h, e.cases.OperatorAudit("test", "handler.add", h.Name)); err != nil {
			t.Fatal(err)
		}
	}
	e.addHandler("amal", "reprisals-team")
	if err := e.db.UpdateHandler(ctx, "gone", false, hw.String(), e.cases.OperatorAudit("test", "handler.disable", "gone")); err != nil {
		t.Fatal(err)
	}
	// Names of the same length, so sizes are comparable.
	real, disabled := challengeShape(t, e.challenge("hana")), challengeShape(t, e.challenge("gone"))
	if real != disabled {
		t.Errorf("a disabled hardware-key handler's challenge %s differs from a real one %s", disabled, real)
	}
	x25519 := challengeShape(t, e.challenge("amal"))
	seen := map[string]int{}
	for i := range 22 {
		name := fmt.Sprintf("u%03d", i)
		shape := challengeShape(t, e.challenge(name))
		if i < 2 {
			if again := challengeShape(t, e.challenge(name)); again != shape {
				t.Errorf("unknown name %s got %s, then %s", name, shape, again)
			}
		}
		seen[shape]++
	}
	// Unknown names get the kinds real handlers have (one hardware key,
	// one X25519), in both kinds, and nothing else.
	if len(seen) != 2 || seen[real] == 0 || seen[x25519] == 0 {
		t.Errorf("unknown names' challenges %v, want only and both of %q and %q", seen, real, x25519)
	}
}
