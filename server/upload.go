package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/intake"
)

// uploadTime is how long one upload request may take: evidence such as
// phone video can take hours over Tor.
const uploadTime = 6 * time.Hour

// maxFilesPerRequest bounds the files of one upload request.
const maxFilesPerRequest = 4

// uploadBodyLimit is the largest upload request.
func (s *Server) uploadBodyLimit() int64 {
	return s.opts.Attach.MaxFileBytes*maxFilesPerRequest + 1<<20
}

// upload is POST /attachments (the web form) and POST /api/v1/attachments.
// It reads the multipart stream itself, part by part, and never calls
// ParseMultipartForm or FormFile, which would buffer files in memory or in
// plaintext temporary files. The first part must be the visit token (from
// the confirmation page, a return visit, or the API's upload_token);
// every "files" part after it is encrypted and stored as it arrives.
func (s *Server) upload(c echo.Context) error {
	api := strings.HasPrefix(c.Request().URL.Path, "/api/")
	req := c.Request()
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return errUnsupportedMedia
	}
	rc := http.NewResponseController(c.Response().Writer)
	rc.SetReadDeadline(time.Now().Add(uploadTime))
	rc.SetWriteDeadline(time.Now().Add(uploadTime))

	mr, err := req.MultipartReader()
	if err != nil {
		return &intake.DecodeError{Message: "The upload could not be read."}
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "visit" {
		return &intake.DecodeError{Message: "The upload must start with the visit token (the \"visit\" field), before any file."}
	}
	tok, _ := io.ReadAll(io.LimitReader(part, 1024))
	ctx := req.Context()
	id, err := s.svc.OpenVisitToken(string(tok))
	if err != nil {
		return errVisitExpired
	}
	rcase, err := s.svc.CaseByID(ctx, id)
	if err != nil {
		return err
	}

	var added []intake.Manifest
	for files := 0; ; {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return &intake.DecodeError{Message: "The upload was cut off before it was complete. Files before the cut were kept."}
		}
		if part.FormName() != "files" || part.FileName() == "" {
			io.Copy(io.Discard, io.LimitReader(part, 1<<20)) // an empty file input, or another field
			continue
		}
		if files++; files > maxFilesPerRequest {
			return fmt.Errorf("%w: at most %d files at a time", intake.ErrTooManyFiles, maxFilesPerRequest)
		}
		m, err := s.svc.Attach(ctx, rcase, part.FileName(), part.Header.Get("Content-Type"), part, s.opts.Attach)
		if err != nil {
			return fmt.Errorf("%s: %w", clipName(part.FileName()), err)
		}
		added = append(added, m)
	}
	if len(added) == 0 {
		return &intake.DecodeError{Message: "Choose at least one file to attach."}
	}
	if api {
		out := []map[string]any{}
		for _, m := range added {
			out = append(out, map[string]any{"name": m.Name, "size": m.Size})
		}
		return c.JSON(http.StatusCreated, map[string]any{"attachments": out})
	}
	page := s.visitPage(c, rcase, nil)
	for _, m := range added {
		page.Attached = append(page.Attached, m.Name)
	}
	return s.r.render(c, http.StatusOK, "visit", page)
}

func clipName(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// errVisitExpired is a visit token that is forged or older than 30 minutes.
var errVisitExpired = errors.New("visit expired")
