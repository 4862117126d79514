package handlerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what the Client reads from the server.
const (
	// MaxResponse bounds a JSON response: a case with its ciphertext, or a
	// page of notes.
	MaxResponse = 64 << 20
	// MaxErrorBody bounds an error response.
	MaxErrorBody = 64 << 10
	// maxErrorMessage bounds the server's message kept in an *APIError.
	maxErrorMessage = 300
)

// ErrBadResponse is a response that is not what the API promises: wrong
// content type, malformed or oversized JSON, unknown fields.
var ErrBadResponse = errors.New("the server sent a response that is not what this client expects")

// APIError is an error answer from the server. Message is the server's
// message, shortened and passed through Safe: it is untrusted text.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the server answered HTTP %d", e.Status)
	}
	return fmt.Sprintf("the server says: %s (HTTP %d)", e.Message, e.Status)
}

// Client talks to one server's handler API.
type Client struct {
	origin string
	token  string
	hc     *http.Client
}

// DefaultHTTPClient is used when New is given nil. Its timeout covers a
// whole request, body included; attachment downloads use their own.
var DefaultHTTPClient = &http.Client{Timeout: 2 * time.Minute}

// New returns a client for the server at origin ("https://host[:port]";
// http is accepted for local testing). A path, query, fragment or user
// name is refused: the origin is what a login challenge is bound to.
func New(origin string, hc *http.Client) (*Client, error) {
	o, err := Origin(origin)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = DefaultHTTPClient
	}
	return &Client{origin: o, hc: hc}, nil
}

// Origin normalises a server address to its origin, scheme://host[:port]
// in lower case, and refuses anything else.
func Origin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not a server address: give one like https://report.example.org", Safe(s))
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// Origin is the server's origin as this client knows it.
func (c *Client) Origin() string { return c.origin }

// SetToken sets the session's bearer token.
func (c *Client) SetToken(token string) { c.token = token }

// Token is the session's bearer token.
func (c *Client) Token() string { return c.token }

// do sends a JSON request and decodes the JSON answer into out (nil: the
// answer must be empty).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, q, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, MaxErrorBody))
		return nil
	}
	return decodeJSON(resp, out)
}

// send sends a request and returns a successful response; error answers
// become *APIError.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	u := c.origin + Prefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, readAPIError(resp)
}

// readAPIError turns an error answer into an *APIError, keeping only a
// short, sanitised message.
func readAPIError(resp *http.Response) error {
	e := &APIError{Status: resp.StatusCode}
	var body Error
	if decodeJSONLimit(resp, &body, MaxErrorBody) == nil {
		e.Code = Safe(clip(body.Error.Code, 40))
		e.Message = Safe(clip(body.Error.Message, maxErrorMessage))
	}
	return e
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func decodeJSON(resp *http.Response, out any) error {
	return decodeJSONLimit(resp, out, MaxResponse)
}

// decodeJSONLimit decodes exactly one JSON value of at most limit bytes,
// refusing unknown fields and a content type other than JSON.
func decodeJSONLimit(resp *http.Response, out any, limit int64) error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		return fmt.Errorf("%w (content type %q)", ErrBadResponse, Safe(clip(mt, 60)))
	}
	// An inbox page is megabytes: read it into one buffer of the length
	// the server announces (the limit bounds what that can make us
	// allocate; the length is only a hint, and the limit still applies
	// to what is read) instead of growing one.
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(min(n, limit+1)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	data := buf.Bytes()
	if err != nil {
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("%w (larger than %d bytes)", ErrBadResponse, limit)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w (%s)", ErrBadResponse, Safe(clip(strings.TrimPrefix(err.Error(), "json: "), 120)))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w (more than one JSON value)", ErrBadResponse)
	}
	return nil
}

func casePath(ref string) string { return "/cases/" + url.PathEscape(ref) }

// Challenge asks for a login challenge for the handler called name.
func (c *Client) Challenge(ctx context.Context, name string) (ChallengeResponse, error) {
	var out ChallengeResponse
	err := c.do(ctx, "POST", "/login/challenge", nil, ChallengeRequest{Handler: name}, &out)
	return out, err
}

// Answer answers a challenge and, on success, keeps the session's token.
func (c *Client) Answer(ctx context.Context, challengeID, answer string) (LoginResponse, error) {
	var out LoginResponse
	err := c.do(ctx, "POST", "/login", nil, LoginRequest{ChallengeID: challengeID, Answer: answer}, &out)
	if err == nil {
		c.token = out.Token
	}
	return out, err
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, "POST", "/logout", nil, struct{}{}, nil)
}

// Team returns the handler's team and the workflow.
func (c *Client) Team(ctx context.Context) (Team, error) {
	var out Team
	err := c.do(ctx, "GET", "/team", nil, nil, &out)
	return out, err
}

// Cases lists a page of the team's cases.
func (c *Client) Cases(ctx context.Context, q CaseQuery) (CaseList, error) {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "urgency": q.Urgency, "assignee": q.Assignee, "sort": q.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PerPage > 0 {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	var out CaseList
	if err := c.do(ctx, "GET", "/cases", v, nil, &out); err != nil {
		return out, err
	}
	for _, m := range out.Cases {
		if err := m.Check(); err != nil {
			return CaseList{}, err
		}
	}
	return out, nil
}

// Case fetches a case with its ciphertext.
func (c *Client) Case(ctx context.Context, ref string) (Case, error) {
	var out Case
	if err := c.do(ctx, "GET", casePath(ref), nil, nil, &out); err != nil {
		return out, err
	}
	if err := out.Check(); err != nil {
		return Case{}, err
	}
	return out, nil
}

// Triage changes a case's workflow fields.
func (c *Client) Triage(ctx context.Context, ref string, ch Change) (CaseMeta, error) {
	var out CaseMeta
	if err := c.do(ctx, "PATCH", casePath(ref), nil, ch, &out); err != nil {
		return out, err
	}
	if err := out.Check(); err != nil {
		return CaseMeta{}, err
	}
	return out, nil
}

// Notes lists a case's notes, replies and follow-ups; a note whose
// fixed-format fields are malformed fails the list (ErrBadResponse).
func (c *Client) Notes(ctx context.Context, ref string) ([]Note, error) {
	var out NoteList
	if err := c.do(ctx, "GET", casePath(ref)+"/notes", nil, nil, &out); err != nil {
		return nil, err
	}
	for _, n := range out.Notes {
		if err := n.Check(); err != nil {
			return nil, err
		}
	}
	return out.Notes, nil
}

// AddNote stores an encrypted note or reply and returns its id.
func (c *Client) AddNote(ctx context.Context, ref string, n NewNote) (int64, error) {
	var out Created
	err := c.do(ctx, "POST", casePath(ref)+"/notes", nil, n, &out)
	return out.ID, err
}

// Rekey replaces a case's ciphertexts.
func (c *Client) Rekey(ctx context.Context, ref string, r Rekey) error {
	return c.do(ctx, "POST", casePath(ref)+"/rekey", nil, r, nil)
}

// RecordExport records, in the audit log, that the case is being written
// to disk decrypted.
func (c *Client) RecordExport(ctx context.Context, ref string) error {
	return c.do(ctx, "POST", casePath(ref)+"/export", nil, struct{}{}, nil)
}

// Attachments lists a case's attachments.
func (c *Client) Attachments(ctx context.Context, ref string) ([]Attachment, error) {
	var out AttachmentList
	err := c.do(ctx, "GET", casePath(ref)+"/attachments", nil, nil, &out)
	return out.Attachments, err
}

// Roster returns a team's latest signed roster, unverified: check it with
// roster.Pins.Check before using it.
func (c *Client) Roster(ctx context.Context, team string) (SignedRoster, error) {
	var out SignedRoster
	err := c.do(ctx, "GET", "/rosters/"+url.PathEscape(team), nil, nil, &out)
	return out, err
}

// PublishRoster publishes a signed roster of the handler's team.
func (c *Client) PublishRoster(ctx context.Context, s SignedRoster) error {
	return c.do(ctx, "POST", "/rosters", nil, s, nil)
}

// AttachmentContent streams an attachment's ciphertext. The caller closes
// it and bounds what it reads (the manifest says how much is real). hc,
// if not nil, replaces the client's HTTP client for this long download.
func (c *Client) AttachmentContent(ctx context.Context, ref, id string, hc *http.Client) (io.ReadCloser, error) {
	cc := *c
	if hc != nil {
		cc.hc = hc
	}
	resp, err := cc.send(ctx, "GET", casePath(ref)+"/attachments/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
