package casework

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store"
)

// Errors the HTTP layer maps to statuses.
var (
	// ErrLoginFailed covers every failed login: unknown or disabled
	// handler, wrong, expired or replayed answer.
	ErrLoginFailed = errors.New("login failed")
	// ErrUnauthenticated is a missing, expired or revoked session.
	ErrUnauthenticated = errors.New("not logged in")
)

// MaxCiphertext bounds a note, a reply or a rekeyed case sent by a client.
const MaxCiphertext = 4 << 20

// Service carries out handlers' actions.
type Service struct {
	db       *store.DB
	cfg      config.Config
	auditKey []byte
	names    map[string]string
	origin   string // this server's origin, which login challenges name
	tokenKey []byte // seals login challenge ids (logintoken.go)
	now      func() time.Time
}

// NewService returns a Service. cfg must have been validated and hold a
// receipt key (the audit key is derived from it).
func NewService(db *store.DB, cfg config.Config) (*Service, error) {
	if len(cfg.ReceiptKey()) == 0 {
		return nil, errors.New("casework: the receipt key is needed for the audit log")
	}
	names := map[string]string{}
	for k, v := range DefaultStatusNames {
		names[k] = v
	}
	for k, v := range cfg.Handlers.StatusNames {
		if !slices.Contains(Statuses, k) {
			return nil, fmt.Errorf("handlers.status_names: %q is not a status (statuses: %v)", k, Statuses)
		}
		names[k] = v
	}
	if err := CheckRetention(cfg.Retention.Days); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("casework: public_url must be the server's address: login challenges name it")
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	return &Service{db: db, cfg: cfg, auditKey: audit.Key(cfg.ReceiptKey()), names: names, origin: origin,
		tokenKey: crypto.DeriveKey(cfg.ReceiptKey(), "reprisals/login-challenge-token/v1"), now: time.Now}, nil
}

// SetClock replaces the service's clock (tests: an expired challenge).
// Call it only while no request is being served.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// StatusNames returns the display name of every status.
func (s *Service) StatusNames() map[string]string { return s.names }

// TeamHandlers returns the names of team's active handlers, sorted: whom
// one of its cases may be assigned to.
func (s *Service) TeamHandlers(ctx context.Context, team string) ([]string, error) {
	all, err := s.db.ListHandlers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range all {
		if h.Team == team && h.Active {
			out = append(out, h.Name)
		}
	}
	return out, nil
}

func (s *Service) audit(h store.Handler, action, ref, detail string) store.Audit {
	return store.Audit{Key: s.auditKey, Actor: "handler:" + h.Name, Action: action, Reference: ref, Detail: detail}
}

// OperatorAudit is the audit record of an operator's command.
func (s *Service) OperatorAudit(operator, action, detail string) store.Audit {
	return store.Audit{Key: s.auditKey, Actor: "operator:" + operator, Action: action, Detail: detail}
}

// Challenge is a login challenge: an envelope.Challenge naming this
// server's origin, the handler, the expiry and a random nonce,
// age-encrypted (armoured) to the handler's recipient. Its ID is a sealed
// token (logintoken.go): nothing about it is stored.
type Challenge struct {
	ID        string
	Encrypted string
	Expires   time.Time
}

// NewChallenge starts a login for the handler called name. For a name that
// is unknown or disabled it returns a challenge that looks the same, to a
// throwaway key of a type chosen as real handlers' keys are (see
// decoyRecipient), so neither the stanza type nor the size tells anyone
// which names exist. It stores nothing.
func (s *Service) NewChallenge(ctx context.Context, name string) (Challenge, error) {
	if name == "" || len(name) > tokenNameBytes {
		return Challenge{}, &InvalidError{Field: "handler", Message: "give your handler name"}
	}
	var recipient crypto.Recipient
	var tag [8]byte
	h, err := s.db.HandlerByName(ctx, name)
	switch {
	case err == nil && h.Active:
		if recipient, err = crypto.ParseRecipient(h.Recipient); err != nil {
			return Challenge{}, fmt.Errorf("casework: handler %s has an unusable recipient: %w", h.Name, err)
		}
		tag = recipientTag(h.Recipient)
	case err == nil: // disabled: a throwaway key of the same type as theirs
		if recipient, err = crypto.ThrowawayRecipient(crypto.RecipientKind(h.Recipient)); err != nil {
			return Challenge{}, err
		}
		rand.Read(tag[:])
	case errors.Is(err, store.ErrNotFound):
		if recipient, err = s.decoyRecipient(ctx, name); err != nil {
			return Challenge{}, err
		}
		rand.Read(tag[:])
	default:
		return Challenge{}, err
	}
	t := loginToken{expires: s.now().Add(s.cfg.Handlers.ChallengeTTL.Duration).Truncate(time.Second), recipientTag: tag, name: name}
	rand.Read(t.nonce[:])
	nonce := base64.RawURLEncoding.EncodeToString(t.nonce[:])
	c := Challenge{Expires: t.expires}
	if c.Encrypted, err = envelope.SealChallenge(envelope.Challenge{Origin: s.origin, Handler: name, Expires: c.Expires, Nonce: nonce}, recipient); err != nil {
		return Challenge{}, err
	}
	if c.ID, _, err = sealToken(s.tokenKey, s.origin, t); err != nil {
		return Challenge{}, err
	}
	return c, nil
}

// decoyRecipient returns a throwaway recipient for an unknown name, of a
// key type drawn from the active handlers' key types in proportion, by a
// keyed hash of the name: the same name always gets the same type, and
// the types unknown names get are distributed like real handlers'.
func (s *Service) decoyRecipient(ctx context.Context, name string) (crypto.Recipient, error) {
	byTeam, err := s.db.ActiveRecipients(ctx)
	if err != nil {
		return crypto.Recipient{}, err
	}
	var kinds []string
	for _, list := range byTeam {
		for _, r := range list {
			kinds = append(kinds, crypto.RecipientKind(r))
		}
	}
	kind := crypto.KindX25519
	if len(kinds) > 0 {
		slices.Sort(kinds)
		m := hmac.New(sha256.New, s.auditKey)
		m.Write([]byte("login-decoy-kind\x00" + name))
		kind = kinds[binary.BigEndian.Uint64(m.Sum(nil))%uint64(len(kinds))]
	}
	return crypto.ThrowawayRecipient(kind)
}

// Session is a successful login.
type Session struct {
	Token   string
	Expires time.Time
	Handler store.Handler
}

// Login checks the answer to a challenge and opens a session. A challenge
// can be answered once, right or wrong: a replayed answer fails. Nothing
// is counted against the handler: a challenge id that does not open (a
// guess, a forgery) costs no database work at all, and no number of wrong
// answers stops the handler's own.
func (s *Service) Login(ctx context.Context, challengeID, answer string) (Session, error) {
	t, err := openToken(s.tokenKey, s.origin, challengeID)
	if err != nil || !s.now().Before(t.expires) {
		return Session{}, ErrLoginFailed
	}
	// Spend the challenge first, in one statement, so that two answers
	// sent at once cannot both be checked.
	switch err := s.db.SpendChallenge(ctx, t.id[:], t.expires); {
	case errors.Is(err, store.ErrDuplicate):
		return Session{}, ErrLoginFailed
	case err != nil:
		return Session{}, err
	}
	want := base64.RawURLEncoding.EncodeToString(t.nonce[:])
	if subtle.ConstantTimeCompare([]byte(answer), []byte(want)) != 1 {
		return Session{}, ErrLoginFailed
	}
	h, err := s.db.HandlerByName(ctx, t.name)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrLoginFailed
	}
	if err != nil {
		return Session{}, err
	}
	if tag := recipientTag(h.Recipient); !h.Active || subtle.ConstantTimeCompare(tag[:], t.recipientTag[:]) != 1 {
		return Session{}, ErrLoginFailed
	}
	tok := make([]byte, 32)
	rand.Read(tok)
	sess := Session{Token: base64.RawURLEncoding.EncodeToString(tok), Expires: s.now().Add(s.cfg.Handlers.SessionTTL.Duration), Handler: h}
	th := sha256.Sum256([]byte(sess.Token))
	if err := s.db.CreateSession(ctx, th[:], h.ID, sess.Expires, s.audit(h, "login", "", "")); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// Authenticate returns the handler of a valid session token.
func (s *Service) Authenticate(ctx context.Context, token string) (store.Handler, error) {
	if token == "" || len(token) > 100 {
		return store.Handler{}, ErrUnauthenticated
	}
	th := sha256.Sum256([]byte(token))
	h, err := s.db.SessionHandler(ctx, th[:])
	if errors.Is(err, store.ErrNotFound) {
		return h, ErrUnauthenticated
	}
	return h, err
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, h store.Handler, token string) error {
	th := sha256.Sum256([]byte(token))
	return s.db.RevokeSession(ctx, th[:], s.audit(h, "logout", "", ""))
}

// ListCases returns a page of the cases routed to the handler's team.
func (s *Service) ListCases(ctx context.Context, h store.Handler, f store.CaseFilter) ([]store.CaseMeta, int, error) {
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, 0, invalidf("status", "%q is not a status", f.Status)
	}
	if f.Urgency != "" && !slices.Contains(Urgencies, f.Urgency) {
		return nil, 0, invalidf("urgency", "must be %s", inWords(Urgencies))
	}
	if !store.ValidCaseSort(f.Sort) {
		return nil, 0, invalidf("sort", "must be received, -received, urgency, deadline or status")
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	if f.Offset < 0 || f.Offset > 1_000_000 {
		return nil, 0, invalidf("page", "out of range")
	}
	detail := fmt.Sprintf("status=%s urgency=%s assignee=%s sort=%s offset=%d", f.Status, f.Urgency, f.Assignee, f.Sort, f.Offset)
	return s.db.ListCases(ctx, h.Team, f, s.audit(h, "case.list", "", detail))
}

// Roster returns team's latest signed roster as stored. Clients verify
// it against the keys they pinned; the server only relays it.
func (s *Service) Roster(ctx context.Context, team string) (roster.Signed, error) {
	all, err := s.db.LatestRosters(ctx)
	if err != nil {
		return roster.Signed{}, err
	}
	sr, ok := all[team]
	if !ok {
		return roster.Signed{}, fmt.Errorf("casework.Roster(%s): %w", team, store.ErrNotFound)
	}
	return sr, nil
}

// PublishRoster stores a signed roster of the handler's own team after
// checking it against the team's configured roster keys and the other
// teams' key kinds (a report routed to two teams is one age file), with a
// version above the current one. The server cannot make such a roster
// itself: it holds no roster key.
func (s *Service) PublishRoster(ctx context.Context, h store.Handler, sr roster.Signed) error {
	var team *config.Team
	for i := range s.cfg.Teams {
		if s.cfg.Teams[i].Name == h.Team {
			team = &s.cfg.Teams[i]
		}
	}
	if team == nil || len(team.RosterPublicKeys()) == 0 {
		return invalidf("roster", "this server has no roster keys for team %s: the operator adds them to the team's roster_keys first", h.Team)
	}
	r, err := roster.Verify(sr, team.RosterPublicKeys(), 1)
	if err != nil {
		return invalidf("roster", "not a roster signed by a roster key of team %s: %v", h.Team, err)
	}
	if r.Team != h.Team {
		return invalidf("roster", "you can publish only your own team's roster")
	}
	recs, err := r.Recipients()
	if err != nil {
		return invalidf("roster", "%v", err)
	}
	for _, t := range s.cfg.Teams {
		if t.Name != r.Team {
			recs = append(recs, t.Keys()...)
		}
	}
	if err := crypto.CheckCompatible(recs); err != nil {
		return invalidf("roster", "%v", err)
	}
	err = s.db.PublishRoster(ctx, r.Team, r.Version, sr, s.audit(h, "roster.publish", "",
		fmt.Sprintf("team %s version %d, %d recipients", r.Team, r.Version, len(r.Entries))))
	if errors.Is(err, store.ErrRosterVersion) {
		return invalidf("roster", "version %d is not above team %s's current roster", r.Version, r.Team)
	}
	return err
}

// FetchCase returns a case routed to the handler's team, with its
// ciphertext.
func (s *Service) FetchCase(ctx context.Context, h store.Handler, ref string) (store.Case, error) {
	return s.db.FetchCase(ctx, h.Team, ref, s.audit(h, "case.fetch", ref, ""))
}

// Change is a triage change requested by a handler; nil fields stay.
type Change = handlerapi.Change

// Triage applies a change to a case, enforcing the workflow.
func (s *Service) Triage(ctx context.Context, h store.Handler, ref string, ch Change) (store.CaseMeta, error) {
	if ch.Status == nil && ch.StatusDetail == nil && ch.Urgency == nil && ch.Assignee == nil && ch.NextDeadline == nil {
		return store.CaseMeta{}, invalidf("change", "nothing to change")
	}
	if ch.Urgency != nil && *ch.Urgency != "" && !slices.Contains(Urgencies, *ch.Urgency) {
		return store.CaseMeta{}, invalidf("urgency", "must be %s, or empty", inWords(Urgencies))
	}
	if ch.NextDeadline != nil {
		if err := checkDeadline(*ch.NextDeadline); err != nil {
			return store.CaseMeta{}, err
		}
	}
	if ch.StatusDetail != nil && ch.Status == nil {
		return store.CaseMeta{}, invalidf("status_detail", "goes with a status change")
	}
	if ch.Assignee != nil && *ch.Assignee != "" {
		a, err := s.db.HandlerByName(ctx, *ch.Assignee)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (!a.Active || a.Team != h.Team)) {
			return store.CaseMeta{}, invalidf("assignee", "%q is not an active handler of %s", *ch.Assignee, h.Team)
		}
		if err != nil {
			return store.CaseMeta{}, err
		}
	}
	if ch.Status != nil && *ch.Status == "duplicate" && ch.StatusDetail != nil {
		ok, err := s.db.CaseVisible(ctx, h.Team, *ch.StatusDetail)
		if err != nil {
			return store.CaseMeta{}, err
		}
		if !ok || *ch.StatusDetail == ref {
			return store.CaseMeta{}, invalidf("status_detail", "%q is not another case of your team", *ch.StatusDetail)
		}
	}
	var detail []string
	check := func(cur store.CaseMeta) error {
		if ch.Status != nil {
			d := ""
			if ch.StatusDetail != nil {
				d = *ch.StatusDetail
			}
			d, err := checkStatusChange(cur.Status, *ch.Status, d)
			if err != nil {
				return err
			}
			ch.StatusDetail = &d
			detail = append(detail, fmt.Sprintf("status %s -> %s %s", cur.Status, *ch.Status, d))
		}
		if ch.Urgency != nil {
			detail = append(detail, fmt.Sprintf("urgency %s -> %s", dash(cur.Urgency), dash(*ch.Urgency)))
		}
		if ch.Assignee != nil {
			detail = append(detail, fmt.Sprintf("assignee %s -> %s", dash(cur.Assignee), dash(*ch.Assignee)))
		}
		if ch.NextDeadline != nil {
			detail = append(detail, fmt.Sprintf("deadline -> %s", dash(*ch.NextDeadline)))
		}
		return nil
	}
	a := s.audit(h, "case.triage", ref, "")
	// The detail is filled in by check, inside the transaction, before the
	// audit entry is written.
	return s.db.UpdateCase(ctx, h.Team, ref, store.CaseChange{
		Status: ch.Status, StatusDetail: ch.StatusDetail, Urgency: ch.Urgency, Assignee: ch.Assignee, NextDeadline: ch.NextDeadline,
	}, func(cur store.CaseMeta) error {
		if err := check(cur); err != nil {
			return err
		}
		a.Detail = strings.Join(detail, "; ")
		return nil
	}, &a)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkCiphertext accepts only a binary age file of bounded size: the
// server cannot read it, but it can refuse anything that is not one.
func checkCiphertext(ct []byte) error {
	if len(ct) == 0 || len(ct) > MaxCiphertext {
		return invalidf("ciphertext", "must be an age file of at most %d bytes", MaxCiphertext)
	}
	if !bytes.HasPrefix(ct, []byte("age-encryption.org/v1\n")) {
		return invalidf("ciphertext", "must be a binary age file (not armoured, not plaintext)")
	}
	return nil
}

// AddNote stores a note (kind "note", encrypted by the client to the team's
// recipients) or a reply (kind "reply", encrypted to the reporter's reply
// key and the case's recipients).
func (s *Service) AddNote(ctx context.Context, h store.Handler, ref, kind string, ciphertext []byte) (int64, error) {
	if kind != "note" && kind != "reply" {
		return 0, invalidf("kind", "must be note or reply")
	}
	if err := checkCiphertext(ciphertext); err != nil {
		return 0, err
	}
	return s.db.AddNote(ctx, h.Team, ref, store.Note{Kind: kind, Team: h.Team, Author: h.Name, Ciphertext: ciphertext},
		s.audit(h, "case."+kind, ref, ""))
}

// ListNotes returns the team's notes on a case and every reply.
func (s *Service) ListNotes(ctx context.Context, h store.Handler, ref string) ([]store.Note, error) {
	return s.db.ListNotes(ctx, h.Team, ref, s.audit(h, "case.notes", ref, ""))
}

// Rekey replaces a case's ciphertext, its notes' and its attachments'
// manifests with versions the client re-encrypted to the current
// recipients. Attachment contents stay as they are: their keys live in the
// manifests.
func (s *Service) Rekey(ctx context.Context, h store.Handler, ref string, ciphertext []byte, notes map[int64][]byte, manifests map[string][]byte) error {
	if err := checkCiphertext(ciphertext); err != nil {
		return err
	}
	if len(notes) > 10_000 || len(manifests) > 10_000 {
		return invalidf("notes", "too many")
	}
	for _, ct := range notes {
		if err := checkCiphertext(ct); err != nil {
			return err
		}
	}
	for _, ct := range manifests {
		if err := checkCiphertext(ct); err != nil {
			return err
		}
	}
	return s.db.Rekey(ctx, h.Team, ref, ciphertext, notes, manifests,
		s.audit(h, "case.rekey", ref, fmt.Sprintf("%d notes, %d attachments", len(notes), len(manifests))))
}

// Attachments lists a case's attachments (padded size and sealed manifest).
func (s *Service) Attachments(ctx context.Context, h store.Handler, ref string) ([]store.Attachment, error) {
	return s.db.CaseAttachments(ctx, h.Team, ref, s.audit(h, "case.attachments", ref, ""))
}

// AttachmentContent writes an attachment's ciphertext to w, after
// auditing the fetch. Only a fetch of an attachment the handler's team
// can see is audited: a refused one names no case.
func (s *Service) AttachmentContent(ctx context.Context, h store.Handler, ref, id string, w io.Writer) error {
	if err := s.db.AuditAttachmentFetch(ctx, h.Team, ref, id, s.audit(h, "case.attachment.fetch", ref, id)); err != nil {
		return err
	}
	return s.db.AttachmentContent(ctx, h.Team, ref, id, w)
}

// RecordExport audits that the handler's client exported a case.
func (s *Service) RecordExport(ctx context.Context, h store.Handler, ref string) error {
	ok, err := s.db.CaseVisible(ctx, h.Team, ref)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return s.db.Audited(ctx, s.audit(h, "case.export", ref, ""), nil)
}
