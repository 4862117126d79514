package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/envelope"
)

// A handler links two cases as the same person or event (corroborating
// sources): desk.Link seals a link entry as a team note on each case. The
// case page shows the linked cases side by side with it, each fetched and
// opened like any case (desk.Sources: the reference from the sealed link,
// checked against the server's answer and the sealed report).

const (
	mLinkOther = "Give the reference of another of the team's cases, such as ABCD-2345."
	mNotLinked = "These cases are not linked (any more): nothing was changed."
	// maxSources bounds the linked cases shown on a case page.
	maxSources = 20
)

// link links the case to another one.
func (c *Console) link(w http.ResponseWriter, r *http.Request) error {
	return c.changeLink(w, r, false)
}

// unlink undoes the link of the case with another one (desk.Unlink: an
// undoing sealed on each case), from the button beside each linked case.
func (c *Console) unlink(w http.ResponseWriter, r *http.Request) error {
	return c.changeLink(w, r, true)
}

// changeLink links the case to the form's other case, or with undo
// undoes their link, and goes back to the case's sources.
func (c *Console) changeLink(w http.ResponseWriter, r *http.Request, undo bool) error {
	ref, err := caseRef(r)
	if err != nil {
		return err
	}
	if err := c.form(w, r, maxFormBody); err != nil {
		return err
	}
	other := strings.ToUpper(strings.TrimSpace(r.PostFormValue("other")))
	if !refPattern.MatchString(other) || other == ref {
		return invalid(mLinkOther)
	}
	s := c.cfg.Source
	if _, ok := s.Lookup(ref); !ok {
		return &userError{status: http.StatusNotFound, heading: hNotFound, message: mNotFound}
	}
	err = s.withDesk(r.PostFormValue("accept_roster"), func(d desk.Desk) error {
		if undo {
			_, err := d.Unlink(r.Context(), ref, other)
			return err
		}
		_, err := d.Link(r.Context(), ref, other)
		return err
	})
	if ch, ok := asRosterChange(err); ok {
		return c.confirmRoster(w, r, ch)
	}
	switch {
	case errors.Is(err, desk.ErrNotLinked):
		return invalid(mNotLinked)
	case errors.Is(err, desk.ErrLinkSelf), errors.Is(err, desk.ErrLinkReference):
		return invalid(mLinkOther)
	case err != nil:
		return s.refusal(err)
	}
	// The other case's entries changed too: read again when next needed.
	if o, ok := s.Lookup(other); ok {
		s.mu.Lock()
		o.entriesOK = false
		s.mu.Unlock()
	}
	done := "link"
	if undo {
		done = "unlink"
	}
	return c.backToCase(w, r, ref, done, "sources-title")
}

// linkedTo returns the cases linked to case cs as the same person or
// event, in force: the links and undoings sealed on it and on every
// loaded case (a link is sealed on both cases; the server may withhold
// one side) folded by envelope.LinkSet, at most maxSources.
func (s *Source) linkedTo(cs *Case) []string {
	ref := cs.Meta.Reference
	var ls envelope.LinkSet
	s.mu.RLock()
	for _, e := range cs.entries {
		if e.Link != nil {
			ls.Add(ref, *e.Link)
		}
	}
	for _, o := range s.cases {
		if o == cs {
			continue
		}
		for _, e := range o.entries {
			if e.Link != nil && e.Link.Kind == envelope.LinkSame && e.Link.Other == ref {
				ls.Add(o.Meta.Reference, *e.Link)
			}
		}
	}
	s.mu.RUnlock()
	out := ls.Others(envelope.LinkSame, ref)
	return out[:min(len(out), maxSources)]
}

// sourceColumn is one case of the side-by-side view.
type sourceColumn struct {
	Ref                                                              string
	This                                                             bool   // the case the page is about
	Problem                                                          string // why it is not shown
	Received, State, Who, Types, Dates, Body, Publication, Narrative string
}

// sources fetches and opens the cases linked to cs (desk.Sources) and
// returns the columns of the side-by-side view, cs first; none when cs
// has no links.
func (s *Source) sources(ctx context.Context, b base, cs *Case) []sourceColumn {
	refs := s.linkedTo(cs)
	if len(refs) == 0 {
		return nil
	}
	out := []sourceColumn{column(b, cs.Meta.Reference, cs.Meta.ReceivedOn, &cs.Env)}
	out[0].This = true
	for _, src := range s.desk().Sources(ctx, refs) {
		if src.Err != nil {
			out = append(out, sourceColumn{Ref: src.Reference, Problem: problemOf(src.Err)})
			continue
		}
		out = append(out, column(b, src.Reference, src.Meta.ReceivedOn, &src.Case))
	}
	return out
}

// column is what the side-by-side view shows of a case.
func column(b base, ref, received string, env *envelope.Case) sourceColumn {
	r := &env.Report
	sum := summarise(r)
	col := sourceColumn{Ref: ref, Received: received, State: b.StateName(r.StateConcerned), Body: b.L("un_body", r.Cooperation.Body),
		Publication: b.L("publication", r.Consent.Publication), Types: b.Ls("incident_type", sum.IncidentTypes)}
	var who, dates, stories []string
	for _, v := range r.Victims {
		who = append(who, v.Name)
	}
	for _, in := range r.Incidents {
		dates = append(dates, in.Date)
		stories = append(stories, in.Narrative)
	}
	col.Who, col.Dates = strings.Join(who, "; "), strings.Join(dates, "; ")
	col.Narrative = strings.Join(stories, "\n\n")
	if rs := []rune(col.Narrative); len(rs) > 600 {
		col.Narrative = string(rs[:599]) + "…"
	}
	return col
}
