package handlerapi

import (
	"context"
	"net/url"
	"strconv"
)

// InboxCase is a case with its ciphertext, and the clear facts about the
// reporter's follow-ups (how many, and the id of the newest, 0 if none).
type InboxCase struct {
	Case
	FollowUps    int   `json:"followups"`
	LastFollowUp int64 `json:"last_followup"`
}

// InboxPage is a page of the inbox (GET /inbox): the team's cases with
// their ciphertexts, newest first.
type InboxPage struct {
	Cases   []InboxCase `json:"cases"`
	Total   int         `json:"total"`
	Page    int         `json:"page"`
	PerPage int         `json:"per_page"`
}

// Inbox fetches a page (from 1) of the team's cases with their
// ciphertexts; perPage is at most 500 (0: the server's default).
func (c *Client) Inbox(ctx context.Context, page, perPage int) (InboxPage, error) {
	v := url.Values{"page": {strconv.Itoa(page)}}
	if perPage > 0 {
		v.Set("per_page", strconv.Itoa(perPage))
	}
	var out InboxPage
	err := c.do(ctx, "GET", "/inbox", v, nil, &out)
	return out, err
}
