package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// inbox answers GET /api/v1/handler/inbox: a page of the team's cases with
// their ciphertexts, so the console loads an inbox in a few requests. A
// page is bounded by count (per_page) and by bytes of ciphertext
// (handlers.inbox_page_bytes); its "next" is the cursor of the page that
// follows (?after=), "" on the last.
func (s *Server) inbox(c echo.Context) error {
	_, perPage := pageParams(c, config.MaxInboxCases, config.MaxInboxCases)
	ctx := c.Request().Context()
	p, err := s.cases.Inbox(ctx, handlerOf(c), c.QueryParam("after"), perPage)
	if err != nil {
		return err
	}
	out := handlerapi.InboxPage{Cases: make([]handlerapi.InboxCase, 0, len(p.Cases)), Total: p.Total,
		PerPage: perPage, MaxBytes: s.cases.InboxPageBytes(), Next: p.Next}
	for _, cs := range p.Cases {
		out.Cases = append(out.Cases, handlerapi.InboxCase{
			Case:      handlerapi.Case{CaseMeta: s.caseJSON(cs.CaseMeta), ReplyRecipient: cs.ReplyRecipient, Ciphertext: cs.Ciphertext},
			FollowUps: cs.FollowUps, LastFollowUp: cs.LastFollowUp, CiphertextOmitted: cs.Omitted,
		})
	}
	// Encoded whole and sent with its length: a page is megabytes (bounded
	// by inbox_page_bytes), and a client that knows the length reads it
	// into one buffer instead of growing one chunk after chunk.
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// teamNotes answers GET /api/v1/handler/notes: a page of the notes feed,
// every note the handler may read on any of the team's cases (the access
// rule of GET /cases/{ref}/notes), each with its case's reference, by
// note id, so the console reads all its team's notes in a few requests.
// A page is bounded by count (per_page) and by bytes of ciphertext
// (handlers.inbox_page_bytes); its "next" is the cursor of the page that
// follows (?after=), "" on the last.
func (s *Server) teamNotes(c echo.Context) error {
	_, perPage := pageParams(c, config.MaxFeedNotes, config.MaxFeedNotes)
	p, err := s.cases.TeamNotes(c.Request().Context(), handlerOf(c), c.QueryParam("after"), perPage)
	if err != nil {
		return err
	}
	out := handlerapi.NotesPage{Notes: make([]handlerapi.FeedNote, 0, len(p.Notes)), PerPage: perPage,
		MaxBytes: s.cases.InboxPageBytes(), Next: p.Next}
	for _, n := range p.Notes {
		out.Notes = append(out.Notes, handlerapi.FeedNote{
			Note: handlerapi.Note{ID: n.ID, Kind: n.Kind, Team: n.Team, Author: n.Author,
				CreatedOn: n.CreatedOn.Format(time.DateOnly), Ciphertext: n.Ciphertext},
			Reference: n.Reference, CiphertextOmitted: n.Omitted,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// maxPage bounds the page number a client may ask for, so that the offset
// it makes can never overflow.
const maxPage = 1_000_000

// pageParams reads the page and per_page query parameters: page 1 when
// missing, malformed or out of range; def cases a page when per_page is
// missing or malformed, at most max.
func pageParams(c echo.Context, def, max int) (page, perPage int) {
	q := c.QueryParams()
	page, _ = strconv.Atoi(q.Get("page"))
	perPage, _ = strconv.Atoi(q.Get("per_page"))
	if page < 1 || page > maxPage {
		page = 1
	}
	if perPage < 1 || perPage > max {
		perPage = def
	}
	return page, perPage
}
