// Package notify e-mails the teams when reports arrive, through an SMTP
// relay, without ever carrying report content.
//
// # Design
//
// Alerts go through an outbox: intake writes one row per routed team into
// the alerts table in the same transaction as the report (store.InsertReport),
// so a committed report always has its alerts and an uncommitted one has
// none. A Worker in each server process claims due rows with
// SELECT ... FOR UPDATE SKIP LOCKED under a time-limited lease, sends them,
// and deletes them once the relay has accepted the message. PostgreSQL
// NOTIFY, sent at commit, wakes the workers at once; a poll catches retries
// and anything missed.
//
// We chose this small outbox over a general job queue such as River: it is
// one table and four statements that can be read in a sitting, it adds no
// tables of its own nor a migration tool, it keeps no job payloads (River
// would keep arguments and completed-job rows, which we would then have to
// keep free of content and times), and what alerts need — transactional
// enqueue, leases across several server instances, retries with backoff,
// permanent failure with a reason — is all here.
//
// # Guarantees
//
//   - One alert per routed team per report; a UPR report alerts both teams.
//   - Exactly one delivery in normal operation, also with several server
//     instances (SKIP LOCKED and leases). If a process dies mid-send, another
//     claims the alert when its lease expires and sends it again: at least
//     once, with the same Message-ID, so the duplicate is recognisable.
//   - 4xx replies and network or TLS errors are retried with exponential
//     backoff and jitter, for as long as it takes. 5xx replies mark the alert
//     failed, with the reason, for the operator ('reprisals alerts list',
//     'reprisals alerts retry'). Nothing is dropped silently: every failure
//     is logged and counted.
//   - Retries never wait more than alerts.retry_max (at most a minute), so
//     after a relay outage of any length every alert goes out within a
//     minute of its return; the first connection that works makes every
//     waiting alert due at once, and claims take urgent alerts first.
//   - A flood cannot bury a mailbox: past alerts.flood_budget e-mails per
//     team per alerts.flood_window, alerts are coalesced (floodGate).
//   - An alert for a team no longer configured is marked failed, never sent.
//   - STARTTLS is required by default: a relay that does not offer it gets
//     nothing. Plain SMTP is allowed only to a relay on this machine.
//
// # Content
//
// An alert carries the public reference, the submission day, the routed
// teams, an urgency marker when the reporter said someone is in immediate
// danger, and how to fetch and decrypt the case. Optionally (per team) the
// ciphertext itself, ASCII-armoured, which only the team's identities open.
// Never a name, a country, a narrative or any other field of the report.
package notify
