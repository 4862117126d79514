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

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

func str(s string) *string { return &s }

// TestTriage runs the workflow rules of desk.CheckChange with the real
// server's workflow, sends what passes with TriageCase, and plays a
// server that answers for another case: refused changes send nothing.
func TestTriage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	e.handler("nadia", "reprisals-team")
	a, b := e.public("hrc_session"), e.public("treaty_body")
	for _, tc := range []struct {
		name    string
		ch      handlerapi.Change
		rewrite func(*http.Request)
		modify  func(*http.Response) error
		want    error // nil: stored
	}{
		{name: "nothing", want: desk.ErrNoChange},
		{name: "no status", ch: handlerapi.Change{Status: str("")}, want: desk.ErrNoStatus},
		{name: "a move not allowed", ch: handlerapi.Change{Status: str("published")}, want: desk.ErrTransition},
		{name: "a made-up status", ch: handlerapi.Change{Status: str("<b>x</b>")}, want: desk.ErrTransition},
		{name: "closing without a reason", ch: handlerapi.Change{Status: str("closed")}, want: desk.ErrNeedReason},
		{name: "closing with a made-up reason", ch: handlerapi.Change{Status: str("closed"), StatusDetail: str("junk")}, want: desk.ErrNeedReason},
		{name: "duplicate of itself", ch: handlerapi.Change{Status: str("duplicate"), StatusDetail: str(a)}, want: desk.ErrNeedOriginal},
		{name: "duplicate of no reference", ch: handlerapi.Change{Status: str("duplicate"), StatusDetail: str("A-B")}, want: desk.ErrNeedOriginal},
		{name: "a made-up urgency", ch: handlerapi.Change{Urgency: str("U9")}, want: desk.ErrBadUrgency},
		{name: "a deadline that is no date", ch: handlerapi.Change{NextDeadline: str("2026-13-01")}, want: desk.ErrBadDeadline},
		{name: "a deadline with a bidi control", ch: handlerapi.Change{NextDeadline: str("\u202e2026-12-01")}, want: desk.ErrBadDeadline},
		{name: "an assignee not of the team", ch: handlerapi.Change{Assignee: str("mallory")}, want: desk.ErrBadAssignee},
		{name: "A answered with B", ch: handlerapi.Change{Urgency: str("U2")}, rewrite: swap(a, b), want: desk.ErrMoved},
		{name: "triage answered for B", ch: handlerapi.Change{Urgency: str("U3")}, modify: answerAs(a, b), want: desk.ErrMoved},
		{name: "urgency, assignee, deadline", ch: handlerapi.Change{Urgency: str("U2"), Assignee: str("nadia"), NextDeadline: str("2026-12-31")}},
		{name: "acknowledged", ch: handlerapi.Change{Status: str("acknowledged")}},
		{name: "closed for a reason", ch: handlerapi.Change{Status: str("closed"), StatusDetail: str(handlerapi.NotAReport)}},
		{name: "clearing", ch: handlerapi.Change{Urgency: str(""), Assignee: str(""), NextDeadline: str("")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.hostile(tc.rewrite, tc.modify)
			d := e.desk(h.url, "omar", omar)
			m, err := d.TriageCase(context.Background(), a, tc.ch)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
				if w := h.took(); len(w) > 0 && tc.modify == nil {
					t.Errorf("refused, yet sent %v", w)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var status, urgency, assignee, deadline string
			e.db.Pool().QueryRow(context.Background(), `SELECT status, coalesce(urgency, ''), coalesce(assignee, ''), coalesce(next_deadline::text, '')
				FROM reports WHERE reference = $1`, a).Scan(&status, &urgency, &assignee, &deadline)
			if m.Reference != a || m.Status != status || m.Urgency != urgency || m.Assignee != assignee || m.NextDeadline != deadline {
				t.Errorf("answered %+v, stored %s %s %s %s", m, status, urgency, assignee, deadline)
			}
		})
	}
}

// answerAs answers a change of case a with case b's reference.
func answerAs(a, b string) func(*http.Response) error {
	return func(resp *http.Response) error {
		if resp.Request.Method != "PATCH" || resp.Request.URL.Path != handlerapi.Prefix+"/cases/"+a {
			return nil
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		m["reference"] = b
		body, _ := json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
}
