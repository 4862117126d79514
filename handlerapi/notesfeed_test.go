package handlerapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ohchr-reprisals/intake/handlerapi"
)

// TestTeamNotesRefusesAPageThatMisleads: a hostile server's notes feed
// page that could make the client loop or misread (notes out of order or
// not after the cursor, a cursor other than the last note's id, a next
// page after an empty one, a malformed reference or note, a note both
// omitted and sent) is refused; a well-formed page is read.
func TestTeamNotesRefusesAPageThatMisleads(t *testing.T) {
	const note = `"kind":"note","team":"t","author":"a","created_on":"2026-12-01"`
	const ref = `"reference":"ABCD-EFGH"`
	for _, tc := range []struct {
		name, after, body string
		bad               bool
	}{
		{name: "good", body: `{"notes":[{"id":3,` + note + `,"ciphertext":"YQ==",` + ref + `},{"id":5,` + note + `,"ciphertext":"",` + ref + `,"ciphertext_omitted":true}],"next":"5"}`},
		{name: "last page", after: "5", body: `{"notes":[{"id":6,` + note + `,"ciphertext":"YQ==",` + ref + `}]}`},
		{name: "empty last page", body: `{"notes":[]}`},
		{name: "out of order", body: `{"notes":[{"id":5,` + note + `,` + ref + `},{"id":3,` + note + `,` + ref + `}]}`, bad: true},
		{name: "twice", body: `{"notes":[{"id":5,` + note + `,` + ref + `},{"id":5,` + note + `,` + ref + `}]}`, bad: true},
		{name: "before the cursor", after: "7", body: `{"notes":[{"id":7,` + note + `,` + ref + `}]}`, bad: true},
		{name: "next not the last note", body: `{"notes":[{"id":3,` + note + `,` + ref + `}],"next":"9"}`, bad: true},
		{name: "next after nothing", after: "3", body: `{"notes":[],"next":"3"}`, bad: true},
		{name: "bad reference", body: `{"notes":[{"id":3,` + note + `,"reference":"<b>x</b>"}]}`, bad: true},
		{name: "no reference", body: `{"notes":[{"id":3,` + note + `}]}`, bad: true},
		{name: "bad kind", body: `{"notes":[{"id":3,"kind":"evil","team":"t","author":"a","created_on":"2026-12-01",` + ref + `}]}`, bad: true},
		{name: "bad date", body: `{"notes":[{"id":3,"kind":"note","team":"t","author":"a","created_on":"\u202e2026-12-01",` + ref + `}]}`, bad: true},
		{name: "omitted and sent", body: `{"notes":[{"id":3,` + note + `,"ciphertext":"YQ==",` + ref + `,"ciphertext_omitted":true}]}`, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hostile(t, 200, "application/json", tc.body).TeamNotes(context.Background(), tc.after, 0)
			if tc.bad != errors.Is(err, handlerapi.ErrBadResponse) || (!tc.bad && err != nil) {
				t.Fatalf("err = %v, want bad response: %v", err, tc.bad)
			}
		})
	}
	if _, err := hostile(t, 200, "application/json", `{"notes":[]}`).TeamNotes(context.Background(), "x1", 0); err == nil {
		t.Errorf("a cursor that is not a note id was sent")
	}
}
