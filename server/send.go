package server

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/intake"
)

// Bounds on the fields of a multipart report form (the last step, which
// can carry files). The fields come before the files in the form, so they
// are read in full before anything is stored.
const (
	maxFormFields = 4000
)

// fileStream is the rest of a multipart report form: its files, not yet
// read.
type fileStream struct {
	g     *uploadGuard // watches the body, as for uploads
	mr    *multipart.Reader
	first *multipart.Part // the first file part, already opened; nil if none
}

// reportRequest reads the report form into the request's PostForm. A
// urlencoded form is read whole (within the route's body limit); a
// multipart one is read up to its first file, and the files are returned
// unread, to be streamed into storage only once the report is stored.
func (s *Server) reportRequest(c echo.Context) (*fileStream, error) {
	req := c.Request()
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, formRequest(c)
	}
	// Until the report is stored, the server's normal read timeout
	// applies; the guard only starts timing the files after that.
	g := &uploadGuard{body: req.Body, rc: http.NewResponseController(c.Response().Writer), lim: s.uploadLimits}
	req.Body = g
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
	}
	form := url.Values{}
	budget := int64(MaxFormBody)
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			req.PostForm = form
			return &fileStream{g: g, mr: mr}, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
		}
		if part.FileName() != "" || part.FormName() == "files" {
			req.PostForm = form
			return &fileStream{g: g, mr: mr, first: part}, nil
		}
		if n >= maxFormFields {
			return nil, &http.MaxBytesError{Limit: MaxFormBody}
		}
		b, err := io.ReadAll(io.LimitReader(part, budget+1))
		if err != nil {
			return nil, &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
		}
		if budget -= int64(len(b)); budget < 0 {
			return nil, &http.MaxBytesError{Limit: MaxFormBody}
		}
		form.Add(part.FormName(), string(b))
	}
}

// limitReportBody bounds the report form's body: a urlencoded form by
// MaxFormBody, a multipart one (with files) by the upload limit.
func (s *Server) limitReportBody(next echo.HandlerFunc) echo.HandlerFunc {
	small, large := limitBody(MaxFormBody)(next), limitBody(s.uploadBodyLimit())(next)
	return func(c echo.Context) error {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
		if mt == "multipart/form-data" {
			return large(c)
		}
		return small(c)
	}
}

// fileResult is what became of the files sent with a report.
type fileResult struct {
	Received []string // names of the files stored
	Failed   string   // the first failure: an error page heading, in English
}

// receiveWithReport stores the files sent with a report, once the report
// itself is committed. Whatever happens to them, the reporter still gets
// the confirmation and the receipt: a failure is described on it.
func (s *Server) receiveWithReport(c echo.Context, files *fileStream, caseID string) fileResult {
	markStored(c)
	var out fileResult
	if files == nil || files.first == nil {
		return out
	}
	ctx := c.Request().Context()
	rcase, err := s.svc.CaseByID(ctx, caseID)
	if err != nil {
		p := classify(err)
		s.metrics.failedAfterStore(c.Path(), p.code)
		out.Failed = p.heading
		return out
	}
	// Only now, with the report stored, may the request take long, in
	// one of the upload slots.
	select {
	case s.uploadSlots <- struct{}{}:
		defer func() { <-s.uploadSlots }()
	default:
		p := classify(errUploadsBusy)
		s.metrics.failedAfterStore(c.Path(), p.code)
		out.Failed = p.heading
		return out
	}
	end := files.g.start(s.opts.EndUploads)
	defer end()
	added, err := s.receiveFiles(ctx, files.g, files.mr, files.first, rcase)
	for _, m := range added {
		out.Received = append(out.Received, m.Name)
	}
	if err != nil {
		// The report is stored: a log line's time would date it, so the
		// failure is counted by day instead.
		p := classify(err)
		s.metrics.failedAfterStore(c.Path(), p.code)
		out.Failed = p.heading
	}
	return out
}
