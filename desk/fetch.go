package desk

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// ErrNotForYou is a case not encrypted to the handler's identity.
var ErrNotForYou = errors.New("not encrypted to your identity")

// ErrMoved is a case whose ciphertext is not its own report (another
// case's, or not a report at all), or a server that answers a request for
// one case with another.
var ErrMoved = envelope.ErrForeign

// ErrBroken is a case whose ciphertext does not decrypt: not an age file,
// cut short, or damaged. (One that decrypts but is not this case's report
// is ErrMoved: only someone who chose to encrypt it to the team wrote it.)
var ErrBroken = envelope.ErrBroken

// Fetch gets case ref and decrypts it in memory, checking that the
// server's answer and the sealed report are both case ref: the reference
// the handler asked for, never the one the server answers with. The
// caller clears the plaintext.
func Fetch(ctx context.Context, api *handlerapi.Client, ref string, ids []age.Identity) (handlerapi.Case, envelope.Case, []byte, error) {
	cs, err := api.Case(ctx, ref)
	if err != nil {
		return cs, envelope.Case{}, nil, err
	}
	if err := CheckAnswer(cs, ref); err != nil {
		return cs, envelope.Case{}, nil, err
	}
	env, plain, err := OpenReport(cs.Ciphertext, ref, ids)
	return cs, env, plain, err
}

// OpenReport decrypts the ciphertext the server gives as case ref's
// report and checks it is that (envelope.ParseCase): the one path by
// which casectl and the console open a report. ref is the reference the
// client asked for or listed, never one the server answers with. A
// refusal wraps exactly one of ErrNotForYou, ErrMoved and ErrBroken
// (Refusal tells which). The caller clears the plaintext.
func OpenReport(ciphertext []byte, ref string, ids []age.Identity) (envelope.Case, []byte, error) {
	plain, err := crypto.Open(ciphertext, ids...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return envelope.Case{}, nil, fmt.Errorf("case %s is %w yet: a colleague who can read it runs 'casectl rekey'", ref, ErrNotForYou)
	}
	if err != nil {
		return envelope.Case{}, nil, fmt.Errorf("case %s is %w (%w)", ref, ErrBroken, err)
	}
	env, err := envelope.ParseCase(plain, ref)
	if err != nil {
		clear(plain)
		var fe *envelope.ForeignError
		if errors.As(err, &fe) && fe.Kind == envelope.KindReport {
			return envelope.Case{}, nil, fmt.Errorf("case %s %w (%s): the server's data has been tampered with", ref, ErrMoved, handlerapi.Safe(fe.Reference))
		}
		return envelope.Case{}, nil, fmt.Errorf("case %s decrypted but is not a report: it %w: the server's data has been tampered with", ref, ErrMoved)
	}
	return env, plain, nil
}

// CheckAnswer checks that the server answered a request for case ref with
// case ref (the check that needs no identity; Fetch also opens the sealed
// report and checks its reference).
func CheckAnswer(cs handlerapi.Case, ref string) error {
	if cs.Reference != ref {
		return fmt.Errorf("asked for case %s, the server answered with %s: it %w: the server's data has been tampered with", ref, handlerapi.Safe(cs.Reference), ErrMoved)
	}
	return nil
}

// Refusal returns the class of an error of OpenReport or Fetch:
// ErrNotForYou, ErrMoved or ErrBroken, or nil for any other error (the
// server's or the network's) and for none.
func Refusal(err error) error {
	for _, class := range []error{ErrNotForYou, ErrMoved, ErrBroken} {
		if errors.Is(err, class) {
			return class
		}
	}
	return nil
}
