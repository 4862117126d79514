package handlerapi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"unicode"
)

// InboxCase is a case with its ciphertext, and the clear facts about the
// reporter's follow-ups (how many, and the id of the newest, 0 if none).
// CiphertextOmitted says that the case's ciphertext alone is larger than a
// page of the inbox may carry: Ciphertext is empty, and the client fetches
// it with Client.Case (or Client.FillOmitted).
type InboxCase struct {
	Case
	FollowUps         int   `json:"followups"`
	LastFollowUp      int64 `json:"last_followup"`
	CiphertextOmitted bool  `json:"ciphertext_omitted,omitempty"`
}

// InboxPage is a page of the inbox (GET /inbox): the team's cases with
// their ciphertexts, newest first. A page is bounded by count (PerPage)
// and by bytes: it carries at most MaxBytes of ciphertext. Next is the
// cursor of the following page, "" on the last: the client asks for
// /inbox?after=<next> until Next is "". A cursor names a place in the
// inbox's order, not an offset, so cases that arrive while a client pages
// through never make a case appear twice or go missing (a new case is on
// the first page of the next load). Total counts the team's cases.
type InboxPage struct {
	Cases    []InboxCase `json:"cases"`
	Total    int         `json:"total"`
	PerPage  int         `json:"per_page"`
	MaxBytes int64       `json:"max_bytes"`
	Next     string      `json:"next,omitempty"`
}

// maxCursor bounds the cursor a server may send.
const maxCursor = 64

// Inbox fetches a page of the team's cases with their ciphertexts: the
// first page with after "", then the page after each page's Next. perPage
// is at most 500 (0: the server's default). A page that a hostile server
// could use to make a client loop or misread (a cursor that is not short
// printable text, a next page promised after an empty one, a case whose
// ciphertext is both omitted and sent) is refused with ErrBadResponse;
// each case's fields are left to the caller to check (CaseMeta.Check).
func (c *Client) Inbox(ctx context.Context, after string, perPage int) (InboxPage, error) {
	v := url.Values{}
	if after != "" {
		v.Set("after", after)
	}
	if perPage > 0 {
		v.Set("per_page", strconv.Itoa(perPage))
	}
	var out InboxPage
	if err := c.do(ctx, "GET", "/inbox", v, nil, &out); err != nil {
		return InboxPage{}, err
	}
	if err := out.check(after); err != nil {
		return InboxPage{}, err
	}
	return out, nil
}

func (p *InboxPage) check(after string) error {
	if len(p.Next) > maxCursor {
		return fmt.Errorf("%w (an inbox cursor of %d bytes)", ErrBadResponse, len(p.Next))
	}
	for _, r := range p.Next {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' {
			return fmt.Errorf("%w (an inbox cursor that is not plain text)", ErrBadResponse)
		}
	}
	if p.Next != "" && (len(p.Cases) == 0 || p.Next == after) {
		return fmt.Errorf("%w (an inbox page that does not move on)", ErrBadResponse)
	}
	for i := range p.Cases {
		cs := &p.Cases[i]
		if cs.CiphertextOmitted && len(cs.Ciphertext) > 0 {
			return fmt.Errorf("%w (a case both omitted and sent)", ErrBadResponse)
		}
		// Each case's fields are checked by the console, which lists a
		// malformed case apart instead of refusing the whole page.
	}
	return nil
}

// FillOmitted fetches, one by one, the ciphertexts that a page left out
// (CiphertextOmitted) because each alone is larger than a page may carry,
// and puts them in place. A case that cannot be fetched is an error; the
// page keeps what was filled before it.
func (c *Client) FillOmitted(ctx context.Context, p *InboxPage) error {
	for i := range p.Cases {
		cs := &p.Cases[i]
		if !cs.CiphertextOmitted {
			continue
		}
		full, err := c.Case(ctx, cs.Reference)
		if err != nil {
			return err
		}
		if full.Reference != cs.Reference {
			return fmt.Errorf("%w (case %s answered for %s)", ErrBadResponse, Safe(full.Reference), Safe(cs.Reference))
		}
		cs.Ciphertext, cs.CiphertextOmitted = full.Ciphertext, false
	}
	return nil
}
