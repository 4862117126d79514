// Package intermediary lets NHRI and NGO staff log cases on behalf of
// victims who cannot safely use the public form, with accountability and
// consent on record, and without ever reading a case back.
//
// Staff sign in with a password (Argon2id, a bounded number of hashes at
// once) and a mandatory TOTP code. Passwords are made by the server (about
// 100 bits), so guessing one is hopeless and a wrong password is never
// counted against the account: knowing a username is not enough to lock
// anyone out. A wrong password is refused by a keyed 32-bit quick check
// before any Argon2id work, so no flood of wrong passwords (from one
// address or many) can fill the hash queue in front of the right one. Once the password is right, second-factor attempts are
// admitted and counted in one SQL statement, so concurrent attempts cannot
// exceed the limit; after MaxFailures the account is locked for LockFor,
// which keeps a six-digit code out of reach of someone who has the
// password. Every failure, whatever its cause (unknown name, locked or
// disabled account, wrong password or code), gets the same answer after
// the same pause; a wrong password (for a known name or not) takes the
// same work, and only a right one adds an Argon2id hash, which tells
// nothing to anyone who does not already have it. (An account from before
// quick checks, and while one exists an unknown name, is hashed in a single
// slot of its own, so it never delays accounts that have a check.) Sessions are random tokens in secure, HttpOnly,
// SameSite=Strict cookies, stored only as hashes, with an idle and an
// absolute expiry. What staff can see of their organisation's cases is
// their reference, day and status: never content or replies.
package intermediary

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ohchr-reprisals/intake/audit"
	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/store"
)

// Sign-in policy.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
	IdleTTL     = 30 * time.Minute
	// failurePause slows every failed sign-in alike.
	failurePause = 300 * time.Millisecond
	AbsoluteTTL  = 8 * time.Hour
)

// MaxUsername bounds a username, in bytes.
const MaxUsername = 64

// ValidUsername reports whether s can be a username: at most MaxUsername
// bytes of UTF-8 text without NUL. A sign-in with any other name is
// answered as one with an unknown name, with the same work, and never
// reaches the database (PostgreSQL refuses NUL and bytes that are not
// UTF-8).
func ValidUsername(s string) bool {
	return s != "" && len(s) <= MaxUsername && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// ErrSignInFailed covers every failed sign-in: an unknown username, a
// locked or disabled account, a wrong password or code, a code used before.
var ErrSignInFailed = errors.New("sign-in failed")

// Service manages staff accounts and their sign-ins.
type Service struct {
	db       *store.DB
	sealKey  []byte
	checkKey []byte // keys the passwords' quick checks (passwordCheck)
	auditKey []byte
	issuer   string
	now      func() time.Time
	// pause is how long every failed sign-in waits before answering.
	pause time.Duration
}

// New returns a Service. cfg must hold a receipt key (the TOTP sealing and
// audit keys are derived from it).
func New(db *store.DB, cfg config.Config) *Service {
	return &Service{
		db: db, sealKey: crypto.DeriveKey(cfg.ReceiptKey(), "reprisals/totp-seal/v1"),
		checkKey: crypto.DeriveKey(cfg.ReceiptKey(), "reprisals/password-check/v1"),
		auditKey: audit.Key(cfg.ReceiptKey()), issuer: "Reprisals reporting", now: time.Now,
		pause: failurePause,
	}
}

func (s *Service) operatorAudit(operator, action, detail string) store.Audit {
	return store.Audit{Key: s.auditKey, Actor: "operator:" + operator, Action: action, Detail: detail}
}

// Channel is the clear channel of the cases an organisation logs.
func Channel(st store.Staff) string { return "org:" + st.OrgSlug }

// AddOrganisation creates an organisation.
func (s *Service) AddOrganisation(ctx context.Context, slug, name, operator string) error {
	return s.db.AddOrganisation(ctx, slug, name, s.operatorAudit(operator, "org.add", slug))
}

// Credentials are what an operator hands to a new or reset staff member,
// over a safe channel.
type Credentials struct {
	Password   string
	TOTPSecret string // base32, for entering by hand
	TOTPURI    string // otpauth:// URI, for a QR code
}

func (s *Service) newTOTP(username string) (secret []byte, c Credentials) {
	secret = make([]byte, 20)
	rand.Read(secret)
	c.TOTPSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	c.TOTPURI = fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&digits=6&period=30",
		url.PathEscape(s.issuer), url.PathEscape(username), c.TOTPSecret, url.QueryEscape(s.issuer))
	return secret, c
}

func newSalt() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}

// AddStaff creates a staff account with a random password and TOTP secret.
func (s *Service) AddStaff(ctx context.Context, org, username, operator string) (Credentials, error) {
	if !ValidUsername(username) {
		return Credentials{}, fmt.Errorf("intermediary.AddStaff: a username is 1 to %d bytes of text, without NUL", MaxUsername)
	}
	secret, c := s.newTOTP(username)
	c.Password = newPassword()
	salt := newSalt()
	hash, err := hashPassword(ctx, c.Password, salt)
	if err != nil {
		return c, err
	}
	err = s.db.AddStaff(ctx, org, username, salt, hash, passwordCheck(s.checkKey, c.Password, salt), sealSecret(s.sealKey, secret),
		s.operatorAudit(operator, "staff.add", username+" org="+org))
	return c, err
}

// ResetPassword gives a staff account a new random password.
func (s *Service) ResetPassword(ctx context.Context, username, operator string) (Credentials, error) {
	c := Credentials{Password: newPassword()}
	salt := newSalt()
	hash, err := hashPassword(ctx, c.Password, salt)
	if err != nil {
		return c, err
	}
	return c, s.db.UpdateStaff(ctx, username, salt, hash, passwordCheck(s.checkKey, c.Password, salt), nil, true, nil,
		s.operatorAudit(operator, "staff.reset-password", username))
}

// ResetTOTP gives a staff account a new TOTP secret.
func (s *Service) ResetTOTP(ctx context.Context, username, operator string) (Credentials, error) {
	secret, c := s.newTOTP(username)
	return c, s.db.UpdateStaff(ctx, username, nil, nil, nil, sealSecret(s.sealKey, secret), true, nil,
		s.operatorAudit(operator, "staff.reset-totp", username))
}

// Unlock clears an account's failed sign-ins.
func (s *Service) Unlock(ctx context.Context, username, operator string) error {
	return s.db.UpdateStaff(ctx, username, nil, nil, nil, nil, true, nil, s.operatorAudit(operator, "staff.unlock", username))
}

// SetActive enables or disables an account (and ends its sessions).
func (s *Service) SetActive(ctx context.Context, username string, active bool, operator string) error {
	action := map[bool]string{true: "staff.enable", false: "staff.disable"}[active]
	return s.db.UpdateStaff(ctx, username, nil, nil, nil, nil, false, &active, s.operatorAudit(operator, action, username))
}

// dummySalt and dummyCheck make a sign-in for an unknown name cost as much
// as any other.
var dummySalt, dummyCheck = newSalt(), newSalt()[:checkBytes]

// SignIn checks a password and a TOTP code and opens a session, returning
// its token. Every failure is ErrSignInFailed after the same pause, so the
// answer tells nobody whether the name exists or the account is locked.
//
// A wrong password is refused by its quick check (passwordCheck), before
// any Argon2id work: a flood of wrong passwords, for any names, never
// takes a hash slot, so it cannot keep the account's owner waiting; an
// unknown name is checked against a random check, with the same work. A
// password that passes its quick check (the right one, or one wrong
// password in 2^32) is checked with Argon2id. Only attempts with the right
// password are counted towards the lock. If ctx ends (the client has gone)
// while waiting for a hash slot, it returns ctx's error without hashing.
func (s *Service) SignIn(ctx context.Context, username, password, code string) (string, store.Staff, error) {
	var salt, hash, check []byte
	var legacy bool
	var err error
	if ValidUsername(username) {
		salt, hash, check, legacy, err = s.db.StaffPassword(ctx, username)
	} else {
		// No account can have this name: never sent to the database.
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		// Unknown: the same work as a wrong password for an account that
		// exists. While some account has no quick check, that is a dummy
		// Argon2id hash in the legacy slot, as for that account.
		salt, hash, check = dummySalt, nil, dummyCheck
		if legacy {
			check = nil
		}
	} else if err != nil {
		return "", store.Staff{}, err
	}
	if check != nil && subtle.ConstantTimeCompare(passwordCheck(s.checkKey, password, salt), check) != 1 {
		return "", store.Staff{}, s.failed(ctx)
	}
	// A password its quick check let through takes a shared hash slot;
	// one with no check (a legacy account, or an unknown name while one
	// exists) takes the single legacy slot, so a flood there never starves
	// accounts that have a check.
	sem := hashSem
	if check == nil {
		sem = legacySem
	}
	passOK, err := checkPassword(ctx, sem, password, salt, hash)
	if err != nil {
		return "", store.Staff{}, err
	}
	if !passOK {
		return "", store.Staff{}, s.failed(ctx)
	}
	now := s.now()
	st, err := s.db.StaffSignInAttempt(ctx, username, now, MaxFailures, now.Add(LockFor))
	if errors.Is(err, store.ErrNotFound) {
		return "", store.Staff{}, s.failed(ctx) // locked
	}
	if err != nil {
		return "", st, err
	}
	if subtle.ConstantTimeCompare(st.PasswordHash, hash) != 1 {
		return "", st, s.failed(ctx) // the password was reset meanwhile
	}
	var step uint64
	if secret, err := openSecret(s.sealKey, st.TOTPSealed); err == nil {
		step = matchTOTP(secret, code, now)
	}
	if step == 0 || !st.Active {
		return "", st, s.failed(ctx) // already counted by StaffSignInAttempt
	}
	tok := make([]byte, 32)
	rand.Read(tok)
	token := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(tok)
	th := sha256.Sum256([]byte(token))
	err = s.db.StaffSignedIn(ctx, st.ID, int64(step), th[:], now.Add(IdleTTL), now.Add(AbsoluteTTL),
		store.Audit{Key: s.auditKey, Actor: "staff:" + st.Username, Action: "staff.signin", Detail: st.OrgSlug})
	if errors.Is(err, store.ErrDuplicate) {
		return "", st, s.failed(ctx) // the code was already used
	}
	if err == nil && check == nil {
		// An account from before quick checks gets one now.
		err = s.db.SetStaffPasswordCheck(ctx, st.ID, hash, passwordCheck(s.checkKey, password, salt))
	}
	return token, st, err
}

// failed waits the failure pause (less if ctx ends) and returns
// ErrSignInFailed.
func (s *Service) failed(ctx context.Context) error {
	t := time.NewTimer(s.pause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return ErrSignInFailed
}

// Session returns the staff account of a live session token, extending its
// idle expiry.
func (s *Service) Session(ctx context.Context, token string) (store.Staff, error) {
	if token == "" || len(token) > 100 {
		return store.Staff{}, store.ErrNotFound
	}
	th := sha256.Sum256([]byte(token))
	return s.db.StaffSession(ctx, th[:], s.now().Add(IdleTTL))
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	th := sha256.Sum256([]byte(token))
	return s.db.EndStaffSession(ctx, th[:])
}

// Cases lists the organisation's cases: reference, day and status only.
func (s *Service) Cases(ctx context.Context, st store.Staff) ([]store.OrgCase, error) {
	return s.db.OrgCases(ctx, Channel(st))
}

// Case returns one of the organisation's cases, or store.ErrNotFound for
// any other.
func (s *Service) Case(ctx context.Context, st store.Staff, ref string) (store.OrgCase, error) {
	return s.db.OrgCase(ctx, Channel(st), ref)
}
