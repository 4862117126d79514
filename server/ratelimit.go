package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// No limit in this server is keyed on a client's address. Behind Tor every
// client reaches the onion service from 127.0.0.1, and behind an office NAT
// a whole office shares one address, so a limit on an address is a lock
// that anyone there can turn on everyone else. Instead:
//
//   - Login challenges are stateless (casework/logintoken.go): issuing one
//     stores nothing and needs no budget; challengeSlots bounds the CPU and
//     database connections they take, and a flood only queues.
//   - Receipt lookups: receiptLookups at once, the rest queue (visit.go).
//   - Staff sign-ins: a wrong password is refused by a cheap keyed check
//     before any Argon2id work and is never counted against the account;
//     only second-factor attempts after the right password are counted,
//     per account, in PostgreSQL (intermediary).
//   - On the onion service, the circuit id that Tor passes on
//     (HiddenServiceExportCircuitID) slows one noisy circuit a little,
//     without refusing it (circuit.go).
const (
	// receiptLookups bounds receipt lookups running at once, so a flood
	// of wrong receipts cannot take every database connection.
	receiptLookups = 4
	// challengeSlots bounds login challenges being made at once (one
	// handler lookup and one age encryption each, about a millisecond), so
	// a flood of them cannot take every database connection.
	challengeSlots = 4
)

// setRetryAfter tells the client when to try again, in whole seconds.
func setRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
}
