package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// Why a triage change is refused before it is sent (CheckChange); a
// *ChangeError carries one and what may be chosen instead. The server
// checks again.
var (
	ErrNoChange     = errors.New("nothing to change")
	ErrNoStatus     = errors.New("a status to move the case to is needed")
	ErrTransition   = errors.New("a case in this status cannot move to the one chosen")
	ErrNeedReason   = errors.New("closing a case needs one of the team's closing reasons")
	ErrNeedOriginal = errors.New("marking a duplicate needs the reference of another case, the original")
	ErrBadUrgency   = errors.New("the urgency is not one of the team's")
	ErrBadDeadline  = errors.New("the deadline is not a date (YYYY-MM-DD)")
	ErrBadAssignee  = errors.New("the assignee is not a handler of the team")
)

// ChangeError is a triage change refused by CheckChange.
type ChangeError struct {
	Err     error    // one of the Err values above
	From    string   // the case's status now (for ErrTransition)
	To      string   // the status or value asked for
	Allowed []string // what may be chosen instead ("" for none left out)
}

func (e *ChangeError) Error() string { return e.Err.Error() }
func (e *ChangeError) Unwrap() error { return e.Err }

// CheckChange checks a change of a case's workflow fields against the
// team's workflow (wf, as the server sends it at /team) and the case's
// fields now (cur): a status only by a transition the workflow allows
// from the case's status, closing with one of the team's reasons, a
// duplicate naming another case by a well-formed reference, an urgency
// of the team's, a deadline that is a date, an assignee among the team's
// handlers (or the one assigned now) when the server names them. An empty
// urgency, assignee or deadline clears it.
func CheckChange(wf handlerapi.Team, cur handlerapi.CaseMeta, ch handlerapi.Change) error {
	if ch == (handlerapi.Change{}) {
		return &ChangeError{Err: ErrNoChange}
	}
	if ch.Status != nil {
		to := *ch.Status
		if to == "" {
			return &ChangeError{Err: ErrNoStatus, From: cur.Status, Allowed: Transitions(wf, cur.Status)}
		}
		if !slices.Contains(Transitions(wf, cur.Status), to) {
			return &ChangeError{Err: ErrTransition, From: cur.Status, To: to, Allowed: Transitions(wf, cur.Status)}
		}
		detail := ""
		if ch.StatusDetail != nil {
			detail = *ch.StatusDetail
		}
		switch to {
		case "closed":
			if !slices.Contains(wf.ClosureReasons, detail) {
				return &ChangeError{Err: ErrNeedReason, To: detail, Allowed: wf.ClosureReasons}
			}
		case "duplicate":
			if !envelope.ValidReference(detail) || detail == cur.Reference {
				return &ChangeError{Err: ErrNeedOriginal, To: detail}
			}
		}
	}
	if u := ch.Urgency; u != nil && *u != "" && !slices.Contains(wf.Urgencies, *u) {
		return &ChangeError{Err: ErrBadUrgency, To: *u, Allowed: wf.Urgencies}
	}
	if dl := ch.NextDeadline; dl != nil && *dl != "" && !isDate(*dl) {
		return &ChangeError{Err: ErrBadDeadline, To: *dl}
	}
	if a := ch.Assignee; a != nil && *a != "" && len(wf.Handlers) > 0 && !slices.Contains(wf.Handlers, *a) && *a != cur.Assignee {
		return &ChangeError{Err: ErrBadAssignee, To: *a, Allowed: wf.Handlers}
	}
	return nil
}

// Transitions returns the statuses a case in status from may move to.
func Transitions(wf handlerapi.Team, from string) []string {
	for _, st := range wf.Statuses {
		if st.Key == from {
			return st.Transitions
		}
	}
	return nil
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// Triage checks a change of case ref's workflow fields (CheckChange,
// against wf and cur, the case's fields now) and sends it. The server's
// answer must be case ref (ErrMoved otherwise); it is returned.
func (d Desk) Triage(ctx context.Context, wf handlerapi.Team, cur handlerapi.CaseMeta, ch handlerapi.Change) (handlerapi.CaseMeta, error) {
	if err := CheckChange(wf, cur, ch); err != nil {
		return handlerapi.CaseMeta{}, err
	}
	m, err := d.API.Triage(ctx, cur.Reference, ch)
	if err != nil {
		return handlerapi.CaseMeta{}, err
	}
	if m.Reference != cur.Reference {
		return handlerapi.CaseMeta{}, fmt.Errorf("changed case %s, the server answered with %s: it %w: the server's data has been tampered with",
			cur.Reference, handlerapi.Safe(m.Reference), ErrMoved)
	}
	return m, nil
}

// TriageCase is Triage for a case not loaded: the team's workflow and
// case ref's fields now are fetched first (the answer must be case ref,
// CheckAnswer).
func (d Desk) TriageCase(ctx context.Context, ref string, ch handlerapi.Change) (handlerapi.CaseMeta, error) {
	if ch == (handlerapi.Change{}) {
		return handlerapi.CaseMeta{}, &ChangeError{Err: ErrNoChange}
	}
	wf, err := d.API.Team(ctx)
	if err != nil {
		return handlerapi.CaseMeta{}, err
	}
	cs, err := d.API.Case(ctx, ref)
	if err != nil {
		return handlerapi.CaseMeta{}, err
	}
	if err := CheckAnswer(cs, ref); err != nil {
		return handlerapi.CaseMeta{}, err
	}
	return d.Triage(ctx, wf, cs.CaseMeta, ch)
}
