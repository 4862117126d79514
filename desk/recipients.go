package desk

import (
	"errors"
	"slices"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
)

// Why a note or reply is not encrypted (casectl and the console word them
// for their handler).
var (
	// ErrNotInRoster: the verified roster of the team the server says is
	// the handler's does not list a key of the handler's.
	ErrNotInRoster = errors.New("that team's signed roster does not list your key")
	// ErrReplyKeySwapped: the server names a reply key other than the one
	// sealed in the report.
	ErrReplyKeySwapped = errors.New("the server names a reply key that is not the one sealed in the report")
	// ErrReplyKeyUnsealed: the report predates reply keys sealed in it,
	// so the reply key is only the server's word.
	ErrReplyKeyUnsealed = errors.New("the case predates reply keys sealed in the report")
)

// CheckTeamOfMine checks the verified roster of the team the server says
// is the handler's: it must list one of the handler's own keys (mine, as
// recorded at login), so a server cannot send the handler's notes to
// another pinned team. With no known key of the handler's (plugin
// identities), the roster is taken as it is.
func CheckTeamOfMine(team []crypto.Recipient, mine []string) error {
	if len(mine) == 0 {
		return nil
	}
	for _, r := range team {
		if slices.Contains(mine, r.String()) {
			return nil
		}
	}
	return ErrNotInRoster
}

// ReplyKey returns the reporter's reply key for case env, given the one
// the server names: it must be the one sealed in the report
// (ErrReplyKeySwapped otherwise). A report from before reply keys were
// sealed is ErrReplyKeyUnsealed unless the handler said to trust the
// server's key (trustServer).
func ReplyKey(env envelope.Case, named string, trustServer bool) (crypto.Recipient, error) {
	switch {
	case env.ReplyRecipient != "" && env.ReplyRecipient != named:
		return crypto.Recipient{}, ErrReplyKeySwapped
	case env.ReplyRecipient == "" && !trustServer:
		return crypto.Recipient{}, ErrReplyKeyUnsealed
	}
	r, err := crypto.ParseRecipient(named)
	if err != nil {
		return crypto.Recipient{}, ErrReplyKeySwapped
	}
	return r, nil
}
