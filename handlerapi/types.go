package handlerapi

import (
	"time"

	"github.com/ohchr-reprisals/intake/roster"
)

// Prefix is where the handler API lives on the server.
const Prefix = "/api/v1/handler"

// ChallengeRequest starts a login (POST /login/challenge).
type ChallengeRequest struct {
	Handler string `json:"handler"`
}

// ChallengeResponse is a login challenge: an armoured age file encrypted
// to the handler's recipient.
type ChallengeResponse struct {
	ChallengeID string    `json:"challenge_id"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// LoginRequest answers a challenge (POST /login).
type LoginRequest struct {
	ChallengeID string `json:"challenge_id"`
	Answer      string `json:"answer"`
}

// LoginResponse is an opened session.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Handler   string    `json:"handler"`
	Team      string    `json:"team"`
}

// SignedRoster is a team's signed roster (GET /rosters/{team}, POST
// /rosters). Clients verify it with package roster before encrypting to
// it; see roster.Pins.
type SignedRoster = roster.Signed

// StatusInfo describes one workflow status.
type StatusInfo struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Transitions []string `json:"transitions"`
}

// Team is the handler's team and workflow (GET /team).
type Team struct {
	Handler string `json:"handler"`
	Team    string `json:"team"`
	// Handlers are the team's active handlers, by name: whom one of its
	// cases may be assigned to (the server refuses anyone else).
	Handlers       []string     `json:"handlers"`
	Statuses       []StatusInfo `json:"statuses"`
	Urgencies      []string     `json:"urgencies"`
	ClosureReasons []string     `json:"closure_reasons"`
}

// CaseMeta is a case's clear metadata.
type CaseMeta struct {
	Reference    string   `json:"reference"`
	ReceivedOn   string   `json:"received_on"`
	Status       string   `json:"status"`
	StatusName   string   `json:"status_name"`
	StatusDetail string   `json:"status_detail,omitempty"`
	Urgency      string   `json:"urgency,omitempty"`
	Assignee     string   `json:"assignee,omitempty"`
	NextDeadline string   `json:"next_deadline,omitempty"`
	SizeBucket   int      `json:"size_bucket"`
	Channel      string   `json:"channel"`
	Teams        []string `json:"routed_teams"`
}

// CaseList is a page of cases (GET /cases).
type CaseList struct {
	Cases   []CaseMeta `json:"cases"`
	Total   int        `json:"total"`
	Page    int        `json:"page"`
	PerPage int        `json:"per_page"`
}

// CaseQuery filters and pages GET /cases. Zero fields are left out.
type CaseQuery struct {
	Status, Urgency, Assignee, Sort string
	Page, PerPage                   int
}

// Case is a fetched case (GET /cases/{ref}). The recipients to encrypt
// it to come from its routed teams' signed rosters (desk.Rosters.Case), never
// from the server.
type Case struct {
	CaseMeta
	ReplyRecipient string     `json:"reply_recipient"`
	Ciphertext     Ciphertext `json:"ciphertext"`
}

// Change is a triage change (PATCH /cases/{ref}); nil fields stay.
type Change struct {
	Status       *string `json:"status"`
	StatusDetail *string `json:"status_detail"`
	Urgency      *string `json:"urgency"`
	Assignee     *string `json:"assignee"`
	NextDeadline *string `json:"next_deadline"`
}

// Note is an encrypted note ("note"), reply ("reply") or reporter's
// follow-up ("followup").
type Note struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Team       string `json:"team"`
	Author     string `json:"author"`
	CreatedOn  string `json:"created_on"`
	Ciphertext []byte `json:"ciphertext"`
}

// NoteList is a case's notes (GET /cases/{ref}/notes).
type NoteList struct {
	Notes []Note `json:"notes"`
}

// NewNote adds a note or reply (POST /cases/{ref}/notes).
type NewNote struct {
	Kind       string `json:"kind"`
	Ciphertext []byte `json:"ciphertext"`
}

// Created is the id of something added.
type Created struct {
	ID int64 `json:"id"`
}

// Rekey replaces a case's ciphertexts (POST /cases/{ref}/rekey): the case,
// notes by id and attachment manifests by attachment id.
type Rekey struct {
	Ciphertext  []byte            `json:"ciphertext"`
	Notes       map[int64][]byte  `json:"notes"`
	Attachments map[string][]byte `json:"attachments"`
}

// Attachment is a listed attachment: its padded size and sealed manifest.
type Attachment struct {
	ID         string `json:"id"`
	SizeBucket int64  `json:"size_bucket"`
	Manifest   []byte `json:"manifest"`
}

// AttachmentList is a case's attachments (GET /cases/{ref}/attachments).
type AttachmentList struct {
	Attachments []Attachment `json:"attachments"`
}

// Error is the body of every API error.
type Error struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is an error's code, message for people, and per-field
// messages.
type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}
