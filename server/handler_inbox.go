package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/casework"
	"github.com/ohchr-reprisals/intake/casework/handlerapi"
)

// inbox answers GET /api/v1/handler/inbox: a page of the team's cases with
// their ciphertexts, so the console loads an inbox in a few requests.
func (s *Server) inbox(c echo.Context) error {
	q := c.QueryParams()
	page, _ := strconv.Atoi(q.Get("page"))
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if page < 1 {
		page = 1
	}
	if perPage < 1 || perPage > casework.MaxInboxPage {
		perPage = casework.MaxInboxPage
	}
	ctx := c.Request().Context()
	list, total, err := s.cases.Inbox(ctx, handlerOf(c), perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	out := handlerapi.InboxPage{Cases: make([]handlerapi.InboxCase, 0, len(list)), Total: total, Page: page, PerPage: perPage}
	for _, cs := range list {
		out.Cases = append(out.Cases, handlerapi.InboxCase{
			Case:      handlerapi.Case{CaseMeta: s.caseJSON(cs.CaseMeta), ReplyRecipient: cs.ReplyRecipient, Ciphertext: cs.Ciphertext},
			FollowUps: cs.FollowUps, LastFollowUp: cs.LastFollowUp,
		})
	}
	return c.JSON(http.StatusOK, out)
}
