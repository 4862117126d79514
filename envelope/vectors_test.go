package envelope_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
)

// The test vectors in testdata/vectors.json are ciphertexts of every
// sealed kind, accepted and refused, with the TEST identity that opens
// them and the expected result, so that a change of format cannot pass
// silently. They were made by
//
//	go test ./envelope -run TestVectors -generate
//
// which keeps the file's test keys and every vector it holds (by name,
// byte for byte) and adds the vectors it lacks: do that for a deliberate
// format change, say so in the commit, and check that the diff only
// adds. With -fresh as well, it writes a new file with new random test
// keys (needed for a new reply signed by the file's signer, whose private
// half is thrown away).
var (
	generate = flag.Bool("generate", false, "add the missing test vectors to testdata/vectors.json")
	fresh    = flag.Bool("fresh", false, "with -generate: new test keys and every vector made again")
)

const vectorsFile = "testdata/vectors.json"

type vectorFile struct {
	Comment string `json:"comment"`
	// Identity opens every vector; Other is a second test identity, which
	// opens none.
	Identity string `json:"identity"`
	Other    string `json:"other_identity"`
	// Signer is the TEST handler's public signing key (its private half
	// is thrown away): the key every "verified" reply is signed with.
	Signer  string   `json:"signer"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`      // opened as this kind
	Reference string `json:"reference"` // for this case
	Cipher    string `json:"ciphertext"`
	// Want is "ok", "unbound" (a legacy note, accepted and marked),
	// "foreign", "broken" or "not-for-you".
	Want string `json:"want"`
	// Result is what an accepted vector opens to.
	Result json.RawMessage `json:"result,omitempty"`
	// Signature is what VerifyReply finds in an accepted reply:
	// "verified" (by the file's Signer), "unsigned" or "forged".
	Signature string `json:"signature,omitempty"`
	// A login challenge (kind "challenge", its ciphertext armoured) is
	// opened by the handler called Handler of the server at Origin, at
	// the time Now.
	Origin  string    `json:"origin,omitempty"`
	Handler string    `json:"handler,omitempty"`
	Now     time.Time `json:"now,omitzero"`
}

// kindChallenge names login challenges in the vectors (they have no kind
// of their own: their context line is what binds them).
const kindChallenge = "challenge"

func TestVectors(t *testing.T) {
	if *generate {
		writeVectors(t)
	}
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	id, err := age.ParseX25519Identity(vf.Identity)
	if err != nil {
		t.Fatal(err)
	}
	if len(vf.Vectors) < 20 {
		t.Fatalf("only %d vectors", len(vf.Vectors))
	}
	seen := map[string]bool{}
	for _, v := range vf.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			ct, err := base64.StdEncoding.DecodeString(v.Cipher)
			if err != nil {
				t.Fatal(err)
			}
			got, res, err := openVector(v, ct, id)
			if got != v.Want {
				t.Fatalf("opened as %s of %s: %s (%v), want %s", v.Kind, v.Reference, got, err, v.Want)
			}
			seen[v.Kind+" "+got] = true
			if v.Want == "ok" || v.Want == "unbound" {
				var want bytes.Buffer
				if err := json.Compact(&want, v.Result); err != nil || !bytes.Equal(res, want.Bytes()) {
					t.Errorf("opened to\n%s\nwant\n%s", res, v.Result)
				}
			}
			if v.Kind == envelope.KindReply && v.Want == "ok" {
				sig := signatureOf(res, vf.Signer)
				if sig != v.Signature {
					t.Errorf("signature: %s, want %s", sig, v.Signature)
				}
				seen["reply "+sig] = true
			}
		})
	}
	// Entries are shown accepted and refused when not well formed.
	if !seen["note broken"] || !seen["reply broken"] {
		t.Error("the vectors lack a refused entry")
	}
	// Every kind is shown both accepted and refused as another case's.
	for _, k := range []string{envelope.KindReport, envelope.KindFollowUp, envelope.KindNote, envelope.KindReply, envelope.KindAttachment} {
		if !seen[k+" ok"] || !seen[k+" foreign"] {
			t.Errorf("the vectors lack an accepted or a foreign %s", k)
		}
	}
	for _, s := range []string{"verified", "unsigned", "forged"} {
		if !seen["reply "+s] {
			t.Errorf("the vectors lack a reply whose signature is %s", s)
		}
	}
	if !seen[kindChallenge+" ok"] || !seen[kindChallenge+" not-a-challenge"] || !seen[kindChallenge+" not-for-you"] {
		t.Error("the vectors lack an accepted, a refused or another identity's login challenge")
	}
}

// signatureOf names what VerifyReply finds in an opened reply: verified
// (by signer), unsigned or forged.
func signatureOf(res []byte, signer string) string {
	var n envelope.Note
	if json.Unmarshal(res, &n) != nil {
		return "broken"
	}
	key, err := envelope.VerifyReply(n)
	switch {
	case errors.Is(err, envelope.ErrUnsigned):
		return "unsigned"
	case err != nil:
		return "forged"
	case key.String() != signer:
		return "signed by another key"
	}
	return "verified"
}

// openVector opens a vector with the Open of its kind.
func openVector(v vector, ct []byte, id age.Identity) (string, []byte, error) {
	if v.Kind != kindChallenge {
		return openAs(v.Kind, v.Reference, ct, id)
	}
	nonce, err := envelope.OpenChallenge(string(ct), v.Origin, v.Handler, v.Now, id)
	switch {
	case errors.Is(err, envelope.ErrNotAChallenge):
		return "not-a-challenge", nil, err
	case err != nil && strings.Contains(err.Error(), "cannot open"):
		return "not-for-you", nil, err
	case err != nil:
		return "error", nil, err
	}
	res, _ := json.Marshal(map[string]string{"nonce": nonce})
	return "ok", res, nil
}

// openAs opens ct as a record of kind on case ref with the Open of that
// kind, and names the result.
func openAs(kind, ref string, ct []byte, id age.Identity) (string, []byte, error) {
	var v any
	var err error
	unbound := false
	switch kind {
	case envelope.KindReport:
		v, err = envelope.OpenCase(ct, ref, id)
	case envelope.KindFollowUp:
		v, err = envelope.OpenFollowUp(ct, ref, id)
	case envelope.KindAttachment:
		v, err = envelope.OpenManifest(ct, ref, id)
	case envelope.KindNote, envelope.KindReply:
		var b envelope.NoteBinding
		v, b, err = envelope.OpenNoteOf(ct, kind, ref, id)
		unbound = b == envelope.NoteUnbound
	}
	switch {
	case errors.Is(err, envelope.ErrForeign):
		return "foreign", nil, err
	case errors.Is(err, envelope.ErrBroken):
		return "broken", nil, err
	case errors.Is(err, envelope.ErrNotForYou):
		return "not-for-you", nil, err
	case err != nil:
		return "error", nil, err
	}
	res, _ := json.Marshal(v)
	if unbound {
		return "unbound", res, nil
	}
	return "ok", res, nil
}

// writeVectors adds the missing vectors to the file (or, with -fresh,
// makes new test identities and vectors).
func writeVectors(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	var old vectorFile
	kept := map[string]vector{}
	if !*fresh {
		b, err := os.ReadFile(vectorsFile)
		if err != nil {
			t.Fatalf("%v (to start a new file, add -fresh)", err)
		}
		if err := json.Unmarshal(b, &old); err != nil {
			t.Fatal(err)
		}
		if id, err = age.ParseX25519Identity(old.Identity); err != nil {
			t.Fatal(err)
		}
		if other, err = age.ParseX25519Identity(old.Other); err != nil {
			t.Fatal(err)
		}
		for _, v := range old.Vectors {
			kept[v.Name] = v
		}
	}
	rec, err := crypto.ParseRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	recs := []crypto.Recipient{rec}
	otherRec, _ := crypto.ParseRecipient(other.Recipient().String())
	const a, b = "7KQ4-M2XD", "9WXY-3ABC"
	at := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	report := envelope.Case{Reference: a, ReceivedAt: at, Channel: "public", Teams: []string{"reprisals-team"},
		ReplyRecipient: other.Recipient().String(), Report: envelope.Report{Language: "en", StateConcerned: "UA",
			Submitter: envelope.Submitter{Name: "Test Name", Relationship: "self"},
			Victims:   []envelope.Victim{{Name: "Test Victim", Kind: "individual", Status: "detained"}},
			Incidents: []envelope.Incident{{Date: "2026-04", Narrative: "TEST VECTOR: not a real report.", PerpetratorKind: "state", Types: []string{"arrest_detention"}}},
			Consent:   envelope.Consent{GivenBy: "victim", RisksUnderstood: true, ShareWithOHCHR: true, Publication: "anonymous"}}}
	key, _ := age.GenerateX25519Identity()
	manifest := envelope.Manifest{Reference: a, ReceivedAt: at, Name: "photo.jpg", ContentType: "image/jpeg", Size: 1234,
		SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Key: key.String()}
	followup := envelope.FollowUp{Reference: a, ReceivedAt: at, Language: "fr", Text: "TEST VECTOR: une suite."}

	must := func(ct []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	mustSealed := func(s crypto.Sealed, err error) []byte {
		t.Helper()
		return must(s.Ciphertext, err)
	}
	raw := func(plain string, to []crypto.Recipient) []byte {
		s, err := crypto.Seal([]byte(plain), to)
		if err != nil {
			t.Fatal(err)
		}
		return s.Ciphertext
	}
	reportCT := mustSealed(envelope.SealCase(report, recs))
	noteCT := must(envelope.SealNoteTo("note", a, "omar", "TEST VECTOR: a team note.", recs))
	replyCT := must(envelope.SealNoteTo("reply", a, "omar", "TEST VECTOR: a reply.", recs))
	signing, err := crypto.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signedPlain, err := envelope.SealReply(a, "omar", "TEST VECTOR: a signed reply.", at, signing)
	if err != nil {
		t.Fatal(err)
	}
	var signed envelope.Note
	if err := json.Unmarshal(signedPlain, &signed); err != nil {
		t.Fatal(err)
	}
	// changed seals the signed reply with one field changed after
	// signing, as a server (or anyone who writes to its database) would.
	changed := func(change func(*envelope.Note)) string {
		n := signed
		change(&n)
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return enc(raw(string(b), recs))
	}
	stranger, _ := crypto.GenerateSigningKey()
	strangerPlain, _ := envelope.SealReply(a, "omar", "TEST VECTOR: a signed reply.", at, stranger)
	var strangerNote envelope.Note
	json.Unmarshal(strangerPlain, &strangerNote)
	manifestCT := must(envelope.SealManifest(manifest, recs))
	followCT := must(envelope.SealFollowUp(followup, recs))
	badKey := manifest
	badKey.Key = "AGE-SECRET-KEY-NOT-A-KEY"
	negative := manifest
	negative.Size = -1
	v2 := report
	v2.Version = 2
	actionCT := must(envelope.SealEntryTo(a, "omar", envelope.Entry{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: "2026-03-14", Symbol: "AL TEST 1/2026", Summary: "TEST VECTOR: a communication."}}, recs))
	responseCT := must(envelope.SealEntryTo(a, "omar", envelope.Entry{Response: &envelope.Response{Date: "2026-04-20", Stance: envelope.StanceDenies, Summary: "TEST VECTOR: the State denies."}}, recs))
	// An undated publication (sealed before publications carried their
	// date, as SealEntry no longer does) and a dated one.
	publishedCT := raw(`{"version":1,"kind":"note","reference":"`+a+`","author":"omar","text":"Published in A/HRC/TEST/1, annex I, paragraph 7","entry":{"published":{"report":"A/HRC/TEST/1","annex":"I","paragraph":"7"}}}`, recs)
	datedCT := must(envelope.SealEntryTo(a, "omar", envelope.Entry{Published: &envelope.Published{Report: "A/HRC/TEST/1", Annex: "I", Paragraph: "7", Date: "2026-09-10"}}, recs))
	linkAt := time.Date(2026, 5, 1, 10, 30, 0, 123456789, time.UTC)
	linkCT := must(envelope.SealEntryTo(a, "omar", envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: b, At: linkAt}}, recs))
	unlinkCT := must(envelope.SealEntryTo(a, "omar", envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: b, Undo: true, At: linkAt.Add(time.Hour)}}, recs))
	badEntry := func(entry string) []byte {
		return raw(`{"version":1,"kind":"note","reference":"`+a+`","author":"omar","text":"TEST VECTOR","entry":`+entry+`}`, recs)
	}

	vs := []vector{
		{Name: "report", Kind: "report", Reference: a, Cipher: enc(reportCT), Want: "ok"},
		{Name: "report of another case", Kind: "report", Reference: b, Cipher: enc(reportCT), Want: "foreign"},
		{Name: "note listed as a report", Kind: "report", Reference: a, Cipher: enc(noteCT), Want: "foreign"},
		{Name: "manifest listed as a report", Kind: "report", Reference: a, Cipher: enc(manifestCT), Want: "foreign"},
		{Name: "report of version 2", Kind: "report", Reference: a, Cipher: enc(raw(mustJSON(t, v2, 2, "report"), recs)), Want: "foreign"},
		{Name: "report without kind", Kind: "report", Reference: a, Cipher: enc(raw(`{"version":1,"reference":"`+a+`"}`, recs)), Want: "foreign"},
		{Name: "report that is not JSON", Kind: "report", Reference: a, Cipher: enc(raw("TEST VECTOR: plain text", recs)), Want: "broken"},
		{Name: "report for another identity", Kind: "report", Reference: a, Cipher: enc(mustSealed(envelope.SealCase(report, []crypto.Recipient{otherRec}))), Want: "not-for-you"},
		{Name: "not an age file", Kind: "report", Reference: a, Cipher: enc([]byte("age-encryption.org/v1\n-> X25519 garbage\n")), Want: "broken"},
		{Name: "follow-up", Kind: "followup", Reference: a, Cipher: enc(followCT), Want: "ok"},
		{Name: "follow-up of another case", Kind: "followup", Reference: b, Cipher: enc(followCT), Want: "foreign"},
		{Name: "reply listed as a follow-up", Kind: "followup", Reference: a, Cipher: enc(replyCT), Want: "foreign"},
		{Name: "note", Kind: "note", Reference: a, Cipher: enc(noteCT), Want: "ok"},
		{Name: "note of another case", Kind: "note", Reference: b, Cipher: enc(noteCT), Want: "foreign"},
		{Name: "reply listed as a note", Kind: "note", Reference: a, Cipher: enc(replyCT), Want: "foreign"},
		{Name: "report listed as a note", Kind: "note", Reference: a, Cipher: enc(reportCT), Want: "foreign"},
		{Name: "legacy plain-text note", Kind: "note", Reference: a, Cipher: enc(raw("TEST VECTOR: an older note.\n", recs)), Want: "unbound"},
		{Name: "reply of another case", Kind: "reply", Reference: b, Cipher: enc(replyCT), Want: "foreign"},
		{Name: "note listed as a reply", Kind: "reply", Reference: a, Cipher: enc(noteCT), Want: "foreign"},
		{Name: "note with a UN action", Kind: "note", Reference: a, Cipher: enc(actionCT), Want: "ok"},
		{Name: "note with a State response", Kind: "note", Reference: a, Cipher: enc(responseCT), Want: "ok"},
		{Name: "note with a published-in entry", Kind: "note", Reference: a, Cipher: enc(publishedCT), Want: "ok"},
		{Name: "note with a dated published-in entry", Kind: "note", Reference: a, Cipher: enc(datedCT), Want: "ok"},
		{Name: "note with a link", Kind: "note", Reference: a, Cipher: enc(linkCT), Want: "ok"},
		{Name: "note undoing a link", Kind: "note", Reference: a, Cipher: enc(unlinkCT), Want: "ok"},
		{Name: "entry with a bad publication date", Kind: "note", Reference: a, Cipher: enc(badEntry(`{"published":{"report":"A/HRC/TEST/1","annex":"I","date":"2026-09-31"}}`)), Want: "broken"},
		{Name: "entry undoing a link without a time", Kind: "note", Reference: a, Cipher: enc(badEntry(`{"link":{"kind":"same","other":"` + b + `","undo":true}}`)), Want: "broken"},
		{Name: "UN action of another case", Kind: "note", Reference: b, Cipher: enc(actionCT), Want: "foreign"},
		{Name: "UN action listed as a reply", Kind: "reply", Reference: a, Cipher: enc(actionCT), Want: "foreign"},
		{Name: "entry with no member", Kind: "note", Reference: a, Cipher: enc(badEntry(`{}`)), Want: "broken"},
		{Name: "entry with two members", Kind: "note", Reference: a, Cipher: enc(badEntry(`{"action":{"kind":"referral","date":"2026-01-01"},"published":{"report":"A/HRC/TEST/1","annex":"I"}}`)), Want: "broken"},
		{Name: "entry of an unknown kind", Kind: "note", Reference: a, Cipher: enc(badEntry(`{"action":{"kind":"coffee","date":"2026-01-01"}}`)), Want: "broken"},
		{Name: "entry with a bad date", Kind: "note", Reference: a, Cipher: enc(badEntry(`{"response":{"date":"2026-02-30","stance":"denies"}}`)), Want: "broken"},
		{Name: "entry with a control character", Kind: "note", Reference: a, Cipher: enc(badEntry(`{"action":{"kind":"referral","date":"2026-01-01","summary":"\u001b[2J"}}`)), Want: "broken"},
		{Name: "entry on a reply", Kind: "reply", Reference: a, Cipher: enc(raw(`{"version":1,"kind":"reply","reference":"`+a+`","text":"TEST VECTOR","entry":{"action":{"kind":"referral","date":"2026-01-01"}}}`, recs)), Want: "broken"},
		{Name: "signed reply", Kind: "reply", Reference: a, Cipher: enc(raw(string(signedPlain), recs)), Want: "ok", Signature: "verified"},
		{Name: "signed reply of another case", Kind: "reply", Reference: b, Cipher: enc(raw(string(signedPlain), recs)), Want: "foreign"},
		{Name: "signed reply with its text changed", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Text = "TEST VECTOR: go to the police station." }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with another author", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Author = "ines" }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with its time changed", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Time = n.Time.Add(time.Hour) }), Want: "ok", Signature: "forged"},
		{Name: "signed reply moved to another case", Kind: "reply", Reference: b, Cipher: changed(func(n *envelope.Note) { n.Reference = b }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with another key named", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Signer = stranger.Public().String() }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with a stranger's signature", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Signature = strangerNote.Signature }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with its signature cut", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Signature = n.Signature[:20] }), Want: "ok", Signature: "forged"},
		{Name: "signed reply without its signature", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Signature = "" }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with its signer removed", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) { n.Signer = "" }), Want: "ok", Signature: "forged"},
		{Name: "signed reply with the roster key prefix", Kind: "reply", Reference: a, Cipher: changed(func(n *envelope.Note) {
			n.Signer = "reprisals-roster-key-ed25519:" + n.Signer[len("reprisals-signing-key-ed25519:"):]
		}), Want: "ok", Signature: "forged"},
		{Name: "unsigned reply", Kind: "reply", Reference: a, Cipher: enc(replyCT), Want: "ok", Signature: "unsigned"},
		{Name: "manifest", Kind: "attachment", Reference: a, Cipher: enc(manifestCT), Want: "ok"},
		{Name: "manifest of another case", Kind: "attachment", Reference: b, Cipher: enc(manifestCT), Want: "foreign"},
		{Name: "follow-up listed as a manifest", Kind: "attachment", Reference: a, Cipher: enc(followCT), Want: "foreign"},
		{Name: "manifest with a bad key", Kind: "attachment", Reference: a, Cipher: enc(must(envelope.SealManifest(badKey, recs))), Want: "broken"},
		{Name: "manifest with a negative size", Kind: "attachment", Reference: a, Cipher: enc(must(envelope.SealManifest(negative, recs))), Want: "broken"},
	}
	vs = append(vs, challengeVectors(t, rec, otherRec, a)...)
	for i := range vs {
		ct, _ := base64.StdEncoding.DecodeString(vs[i].Cipher)
		got, res, err := openVector(vs[i], ct, id)
		if got != vs[i].Want {
			t.Fatalf("%s: %s (%v), want %s", vs[i].Name, got, err, vs[i].Want)
		}
		vs[i].Result = res
		if vs[i].Kind == envelope.KindReply && got == "ok" {
			if sig := signatureOf(res, signing.Public().String()); sig != vs[i].Signature {
				t.Fatalf("%s: signature %s, want %s", vs[i].Name, sig, vs[i].Signature)
			}
		}
	}
	signer := signing.Public().String()
	if !*fresh {
		// The file's vectors stay as they are; the new ones are added
		// where the list has them.
		signer = old.Signer
		for i := range vs {
			if v, ok := kept[vs[i].Name]; ok {
				vs[i] = v
				continue
			}
			if vs[i].Signature == "verified" {
				t.Fatalf("%s: a new reply signed by the file's signer needs -fresh (its private key is not kept)", vs[i].Name)
			}
			t.Logf("added %s", vs[i].Name)
		}
		if len(vs) < len(old.Vectors) {
			t.Fatalf("%d vectors, the file has %d: a vector was dropped", len(vs), len(old.Vectors))
		}
	}
	vf := vectorFile{
		Comment:  "TEST VECTORS ONLY. These identities are throwaway test keys generated for this file; they protect nothing. Regenerate with: go test ./envelope -run TestVectors -generate",
		Identity: id.String(), Other: other.String(), Signer: signer, Vectors: vs,
	}
	if !*fresh {
		vf.Comment = old.Comment
	}
	out, _ := json.MarshalIndent(vf, "", "  ")
	os.MkdirAll(filepath.Dir(vectorsFile), 0o755)
	if err := os.WriteFile(vectorsFile, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// challengeVectors are login challenges, accepted and refused, for the
// handler omar of https://report.example.org at one fixed time.
func challengeVectors(t *testing.T, rec, otherRec crypto.Recipient, ref string) []vector {
	const origin, handler = "https://report.example.org", "omar"
	now := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	good := envelope.Challenge{Origin: origin, Handler: handler, Expires: now.Add(2 * time.Minute), Nonce: "TEST-VECTOR_nonce-0123456789abcdefghijklmnopq"[:43]}
	sealed := func(c envelope.Challenge, to crypto.Recipient) string {
		a, err := envelope.SealChallenge(c, to)
		if err != nil {
			t.Fatal(err)
		}
		return enc([]byte(a))
	}
	armoured := func(plain string) string {
		s, err := crypto.Seal([]byte(plain), []crypto.Recipient{rec})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		aw := armor.NewWriter(&b)
		aw.Write(s.Ciphertext)
		aw.Close()
		return enc([]byte(b.String()))
	}
	with := func(f func(*envelope.Challenge)) envelope.Challenge { c := good; f(&c); return c }
	report, err := envelope.SealCase(envelope.Case{Reference: ref, Report: envelope.Report{Language: "en"}}, []crypto.Recipient{rec})
	if err != nil {
		t.Fatal(err)
	}
	var reportArmoured strings.Builder
	aw := armor.NewWriter(&reportArmoured)
	aw.Write(report.Ciphertext)
	aw.Close()
	v := func(name, cipher, want string) vector {
		return vector{Name: name, Kind: kindChallenge, Origin: origin, Handler: handler, Now: now, Cipher: cipher, Want: want}
	}
	return []vector{
		v("login challenge", sealed(good, rec), "ok"),
		v("login challenge for another server", sealed(with(func(c *envelope.Challenge) { c.Origin = "https://evil.example.org" }), rec), "not-a-challenge"),
		v("login challenge for another handler", sealed(with(func(c *envelope.Challenge) { c.Handler = "bilal" }), rec), "not-a-challenge"),
		v("expired login challenge", sealed(with(func(c *envelope.Challenge) { c.Expires = now.Add(-time.Second) }), rec), "not-a-challenge"),
		v("login challenge expiring too far ahead", sealed(with(func(c *envelope.Challenge) { c.Expires = now.Add(2 * time.Hour) }), rec), "not-a-challenge"),
		v("login challenge of version 2", armoured(strings.Replace(string(good.Marshal()), "/v1", "/v2", 1)), "not-a-challenge"),
		v("login challenge with an extra line", armoured(string(good.Marshal())+"secret: x\n"), "not-a-challenge"),
		v("report listed as a login challenge", enc([]byte(reportArmoured.String())), "not-a-challenge"),
		v("login challenge for another identity", sealed(good, otherRec), "not-for-you"),
	}
}

func enc(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// mustJSON marshals a case with the given version and kind.
func mustJSON(t *testing.T, c envelope.Case, version int, kind string) string {
	c.Version, c.Kind = version, kind
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
