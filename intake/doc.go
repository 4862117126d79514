// Package intake turns a reporter's submission into a stored, sealed report.
//
// The steps, in Service.Submit: validate every field (Validator, with
// messages written for the reporter), route the report to its teams (Route:
// UPR-related reports to the UPR Secretariat and the reprisals team, all
// others to the reprisals team), wrap it in a versioned envelope.Case carrying
// the exact received time, pad and encrypt it once to the union of the
// routed teams' age recipients (package crypto), and store the ciphertext
// with minimal clear metadata and one alert per routed team (packages store
// and notify) in one transaction.
//
// The plaintext report exists only in memory, for the duration of the
// request. Nothing in this package logs.
package intake
