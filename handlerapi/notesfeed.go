package handlerapi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/ohchr-reprisals/intake/envelope"
)

// FeedNote is a note of the notes feed: a Note, the reference of the case
// the server files it under, and CiphertextOmitted when the note's
// ciphertext alone is larger than a page may carry (Ciphertext is empty:
// the client reads that case's notes with Client.Notes). The reference is
// the server's word: a client opens the note only as a note of that case
// (desk.OpenThread checks the case sealed inside it).
type FeedNote struct {
	Note
	Reference         string `json:"reference"`
	CiphertextOmitted bool   `json:"ciphertext_omitted,omitempty"`
}

// NotesPage is a page of the notes feed (GET /notes): every note the
// handler may read on any of the team's cases (what GET
// /cases/{ref}/notes lists for each), by note id. A page is bounded by
// count (PerPage) and by bytes: it carries at most MaxBytes of
// ciphertext. Next is the cursor of the following page (the id of the
// page's last note), "" on the last: the client asks for
// /notes?after=<next> until Next is "".
type NotesPage struct {
	Notes    []FeedNote `json:"notes"`
	PerPage  int        `json:"per_page"`
	MaxBytes int64      `json:"max_bytes"`
	Next     string     `json:"next,omitempty"`
}

// TeamNotes fetches a page of the notes feed: the first page with after
// "", then the page after each page's Next. perPage is at most 5,000 (0:
// the server's default). A page that could make a client loop or misread
// is refused with ErrBadResponse: notes not in increasing id order or not
// after the cursor, a cursor other than the page's last note, a next page
// promised after an empty one, a malformed reference or note, a note both
// omitted and sent.
func (c *Client) TeamNotes(ctx context.Context, after string, perPage int) (NotesPage, error) {
	var from int64
	if after != "" {
		var err error
		if from, err = strconv.ParseInt(after, 10, 64); err != nil || from < 1 {
			return NotesPage{}, fmt.Errorf("handlerapi: a notes cursor %q", Safe(clip(after, maxCursor)))
		}
	}
	v := url.Values{}
	if after != "" {
		v.Set("after", after)
	}
	if perPage > 0 {
		v.Set("per_page", strconv.Itoa(perPage))
	}
	var out NotesPage
	if err := c.do(ctx, "GET", "/notes", v, nil, &out); err != nil {
		return NotesPage{}, err
	}
	if err := out.check(from); err != nil {
		return NotesPage{}, err
	}
	return out, nil
}

func (p *NotesPage) check(after int64) error {
	last := after
	for i := range p.Notes {
		n := &p.Notes[i]
		if n.ID <= last {
			return fmt.Errorf("%w (a notes page out of order)", ErrBadResponse)
		}
		last = n.ID
		if !envelope.ValidReference(n.Reference) {
			return fmt.Errorf("%w (a note's case reference)", ErrBadResponse)
		}
		if n.CiphertextOmitted && len(n.Ciphertext) > 0 {
			return fmt.Errorf("%w (a note both omitted and sent)", ErrBadResponse)
		}
		if err := n.Check(); err != nil {
			return err
		}
	}
	if p.Next != "" && (len(p.Notes) == 0 || p.Next != strconv.FormatInt(last, 10)) {
		return fmt.Errorf("%w (a notes page that does not move on)", ErrBadResponse)
	}
	return nil
}
