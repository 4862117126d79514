package console

import (
	"context"
	"net/http"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
)

// The console's Rekey runs casectl's rekey (desk.Rekeyer):
// the same checks, to the same verified rosters. The team page offers it;
// a first POST checks (dry run) and shows the roster, or the change still
// to accept, with what would be re-encrypted; a second POST, with the
// session's form token, re-encrypts and shows what was done and what was
// left alone and why. The server audits each case's rekey (case.rekey).

// rekeyPage is the check before a rekey and its result.
type rekeyPage struct {
	base
	Change     *rosterPage // a roster change, accepted with the rekey
	Recipients []string    // the verified team roster, when nothing changed
	Checked    bool        // a dry run: Rekeyed counts what would be
	Done       bool        // the rekey ran
	Stopped    bool        // a roster change stopped the rekey
	Rekeyed    int
	Skipped    int
	Refused    []string // references
	Left       []leftLine
}

// leftLine is one thing of a case left as it is.
type leftLine struct{ Ref, What, Why string }

// leftLabels name, in English, what was left as it is.
var leftLabels = map[string]string{
	"reply":     "Reply {0}",
	"follow-up": "Follow-up {0}",
	"note":      "Note {0}",
	"file":      "File {0}",
}

// rekeyCheck shows the team roster (or its change, to accept) and what a
// rekey would re-encrypt, without changing anything.
func (c *Console) rekeyCheck(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	s := c.cfg.Source
	p := rekeyPage{base: c.base(r, "Rekey"), Checked: true}
	recs, err := s.teamOfMine(r, "")
	if ch, ok := asRosterChange(err); ok {
		p.Change = &rosterPage{Description: ch.Description, Digest: digest(ch.Description)}
	} else if err != nil {
		return err
	}
	for _, rc := range recs {
		p.Recipients = append(p.Recipients, rc.String())
	}
	rk := desk.Rekeyer{API: s.api, IDs: s.ids, DryRun: true}
	sum, err := rk.All(r.Context(), nil)
	if err != nil {
		return err
	}
	p.fill(sum)
	return c.render(w, http.StatusOK, "rekey", p)
}

// rekeyRun re-encrypts every case the handler can read to the verified
// rosters, accepting only the roster change that was shown.
func (c *Console) rekeyRun(w http.ResponseWriter, r *http.Request) error {
	if err := c.form(w, r, 4<<10); err != nil {
		return err
	}
	if !c.rekeying.TryLock() {
		return &userError{status: http.StatusConflict, heading: hFailed, message: mRekeyRunning}
	}
	defer c.rekeying.Unlock()
	s := c.cfg.Source
	accepted := r.PostFormValue("accept_roster")
	p := rekeyPage{base: c.base(r, "Rekey")}
	team, err := s.teamOfMine(r, accepted)
	if ch, ok := asRosterChange(err); ok {
		p.Checked, p.Change = true, &rosterPage{Description: ch.Description, Digest: digest(ch.Description)}
		return c.render(w, http.StatusConflict, "rekey", p)
	}
	if err != nil {
		return err
	}
	rk := desk.Rekeyer{API: s.api, IDs: s.ids, Team: team,
		Rosters: func(ctx context.Context, teams []string) ([]crypto.Recipient, error) {
			return s.rosters.recipients(ctx, teams, accepted)
		}}
	sum, err := rk.All(r.Context(), nil)
	p.fill(sum)
	if ch, ok := asRosterChange(err); ok {
		// Another team's roster changed: shown, and the rekey goes on
		// only once it is accepted (what was done so far stays done).
		p.Stopped, p.Change = true, &rosterPage{Description: ch.Description, Digest: digest(ch.Description)}
		return c.render(w, http.StatusConflict, "rekey", p)
	}
	if err != nil {
		return err
	}
	p.Done = true
	return c.render(w, http.StatusOK, "rekey", p)
}

// fill copies a run's results into the page, in the page's language.
func (p *rekeyPage) fill(sum desk.RekeySummary) {
	p.Rekeyed, p.Skipped = sum.Rekeyed, sum.Skipped
	for _, cs := range sum.Cases {
		if cs.Outcome == desk.Refused {
			p.Refused = append(p.Refused, cs.Reference)
		}
		for _, l := range cs.Left {
			p.Left = append(p.Left, leftLine{Ref: cs.Reference, What: p.T(leftLabels[l.What], l.ID), Why: p.T(l.Why)})
		}
	}
}

const mRekeyRunning = "A rekey is already running in this console. Wait for its page to show the result."
