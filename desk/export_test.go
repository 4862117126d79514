package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ohchr-reprisals/intake/desk"
)

// TestExportJSON: every C0, C1, DEL and bidi control is escaped in an
// export file, which reads back to the same text.
func TestExportJSON(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"plain text", "RLO \u202e override", "isolates \u2066x\u2069", "C1 \u0085 NEL and \u009b CSI",
		"DEL \x7f", "C0 \x1b[2J \x07 \x00", "line\nbreak\ttab", "zero width \u200b\u200e\u200f",
	} {
		b, err := desk.ExportJSON(map[string]string{"text": text})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(b) {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
				t.Errorf("%q: the file holds %U raw", text, r)
			}
		}
		var back map[string]string
		if err := json.Unmarshal(b, &back); err != nil || back["text"] != text {
			t.Errorf("%q reads back as %q (%v)", text, back["text"], err)
		}
	}
}

// TestOpenExport: an export opens the case asked for with its notes and
// files; a server that answers A with B gets a refusal and nothing
// recorded.
func TestOpenExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	a, b := e.public("hrc_session"), e.public("treaty_body")
	e.publishRoster("reprisals-team", omar)
	e.publishRoster("upr-secretariat")
	ctx := context.Background()
	honest := e.desk(e.url, "omar", omar)
	if _, _, err := honest.AddNote(ctx, desk.KindNote, a, "Called the family.", desk.NoteOptions{}); err != nil {
		t.Fatal(err)
	}
	x, err := honest.OpenExport(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if x.Case.Reference != a || x.Env.Reference != a || len(x.Notes) != 1 {
		t.Errorf("exported %s (sealed %s) with %d notes", x.Case.Reference, x.Env.Reference, len(x.Notes))
	}
	h := e.hostile(swap(a, b), nil)
	if _, err := e.desk(h.url, "omar", omar).OpenExport(ctx, a); !errors.Is(err, desk.ErrMoved) {
		t.Errorf("A answered with B: %v, want ErrMoved", err)
	}
	if w := h.took(); len(w) > 0 {
		t.Errorf("sent %v", w)
	}
	exports := func() int {
		var n int
		if err := e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.export'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := exports(); n != 0 {
		t.Errorf("%d exports recorded, want none", n)
	}
	if err := honest.RecordExport(ctx, a); err != nil || exports() != 1 {
		t.Errorf("recording the export: %v, %d recorded", err, exports())
	}
}
