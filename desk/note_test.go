package desk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// unseal rewrites case ref as it was before reply keys were sealed in
// the report, with the server naming a key of its own.
func (e *env) unseal(ref string, id *age.X25519Identity) {
	e.t.Helper()
	ctx := context.Background()
	var ct []byte
	e.db.Pool().QueryRow(ctx, `SELECT ciphertext FROM reports WHERE reference = $1`, ref).Scan(&ct)
	plain, err := crypto.Open(ct, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var c envelope.Case
	if err := json.Unmarshal(plain, &c); err != nil {
		e.t.Fatal(err)
	}
	c.ReplyRecipient = ""
	old, _ := c.Marshal()
	r1, _ := crypto.ParseRecipient(id.Recipient().String())
	sealed, err := crypto.Seal(old, []crypto.Recipient{r1})
	if err != nil {
		e.t.Fatal(err)
	}
	server, _ := age.GenerateX25519Identity()
	if _, err := e.db.Pool().Exec(ctx, `UPDATE reports SET ciphertext = $1, reply_recipient = $2 WHERE reference = $3`,
		sealed.Ciphertext, server.Recipient().String(), ref); err != nil {
		e.t.Fatal(err)
	}
}

// replyKeySwap answers case ref with a reply key of the server's own.
func replyKeySwap(ref string) func(*http.Response) error {
	rogue, _ := age.GenerateX25519Identity()
	return func(resp *http.Response) error {
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
}

// TestNotesAndReplies runs every rule of desk.Prepare and Send against a
// real server, honest or hostile: what is refused sends nothing; what is
// written is sealed to its case and opens as a note or reply of it.
func TestNotesAndReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	a, b := e.public("hrc_session"), e.public("treaty_body")
	org := e.submit(intake.Submission{Report: intaketest.Report("hrc_session"), Channel: "org:nhri-x",
		Intermediary: &envelope.IntermediaryRecord{Organisation: "nhri-x", OrganisationName: "NHRI of X", Staff: "layla",
			ConsentFrom: "the victim", ConsentOn: "2026-10", ConsentHow: "in person", Relationship: "caseworker"}}).Reference
	old := e.public("hrc_session")
	e.unseal(old, omar)
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	stranger, _ := age.GenerateX25519Identity()

	for _, tc := range []struct {
		name       string
		kind, ref  string
		rewrite    func(*http.Request)
		modify     func(*http.Response) error
		noIDs      bool
		mine       []string // default: omar's key
		opt        desk.NoteOptions
		text       string // default: "Called the family."
		want       error  // nil: written
		wantOrgErr bool
	}{
		{name: "note", kind: desk.KindNote, ref: a},
		{name: "note without identity", kind: desk.KindNote, ref: a, noIDs: true},
		{name: "note, A answered with B", kind: desk.KindNote, ref: a, rewrite: swap(a, b), want: desk.ErrMoved},
		{name: "note without identity, A answered with B", kind: desk.KindNote, ref: a, rewrite: swap(a, b), noIDs: true, want: desk.ErrMoved},
		{name: "note, team roster lacks my key", kind: desk.KindNote, ref: a, mine: []string{stranger.Recipient().String()}, want: desk.ErrNotInRoster},
		{name: "note, empty text", kind: desk.KindNote, ref: a, text: " \n", want: desk.ErrEmptyText},
		{name: "reply", kind: desk.KindReply, ref: a},
		{name: "reply without identity", kind: desk.KindReply, ref: a, noIDs: true, want: desk.ErrNeedIdentity},
		{name: "reply, A answered with B", kind: desk.KindReply, ref: a, rewrite: swap(a, b), want: desk.ErrMoved},
		{name: "reply, swapped reply key", kind: desk.KindReply, ref: a, modify: replyKeySwap(a), want: desk.ErrReplyKeySwapped},
		{name: "reply, organisation's case", kind: desk.KindReply, ref: org, wantOrgErr: true},
		{name: "reply, organisation's case, confirmed", kind: desk.KindReply, ref: org, opt: desk.NoteOptions{OrgMayRead: true}},
		{name: "reply, unsealed reply key", kind: desk.KindReply, ref: old, want: desk.ErrReplyKeyUnsealed},
		{name: "reply, unsealed reply key, trusted", kind: desk.KindReply, ref: old, opt: desk.NoteOptions{TrustServerReplyKey: true}},
		{name: "something else", kind: "followup", ref: a, want: envelope.ErrNoteKind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.hostile(tc.rewrite, tc.modify)
			d := e.desk(h.url, "omar", omar)
			if tc.noIDs {
				d.IDs = nil
			}
			if tc.mine != nil {
				d.Mine = tc.mine
			}
			text := tc.text
			if text == "" {
				text = "Called the family."
			}
			before := e.notes(tc.kind)
			id, n, err := d.AddNote(context.Background(), tc.kind, tc.ref, text, tc.opt)
			var orgErr *desk.OrgMayReadError
			switch {
			case tc.wantOrgErr:
				if !errors.As(err, &orgErr) || orgErr.Intermediary.OrganisationName != "NHRI of X" {
					t.Fatalf("err %v, want the organisation named", err)
				}
			case tc.want != nil:
				if !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
			case err != nil:
				t.Fatal(err)
			}
			if tc.want != nil || tc.wantOrgErr {
				if w := h.took(); len(w) > 0 || e.notes(tc.kind) != before {
					t.Errorf("refused, yet sent %v (%d notes before, %d after)", w, before, e.notes(tc.kind))
				}
				return
			}
			if n == 0 {
				t.Error("encrypted to no recipient")
			}
			// The note or reply opens, with omar's identity, as a thing
			// of its case by omar.
			list, err := d.API.Notes(context.Background(), tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, en := range desk.OpenThread(tc.ref, list, []age.Identity{omar}) {
				if en.ID == id {
					found = true
					if en.Kind != tc.kind || en.Problem != desk.NoProblem || en.Unverified || en.Author != "omar" || en.Text != text {
						t.Errorf("written as %+v", en)
					}
				}
			}
			if !found {
				t.Errorf("note %d not listed on %s", id, tc.ref)
			}
		})
	}
}
