// Package envelope holds the sealed formats: the plaintexts that are
// encrypted with age before anything is stored (a case's report, a
// reporter's follow-up, a handler's note or reply, an attachment's
// manifest), each versioned (Version) and bound to its case by kind and
// reference; and the login challenge a server seals to a handler
// (Challenge), bound by its context line to the server, the handler and an
// expiry.
//
// It is a leaf: it imports nothing of the server (no configuration,
// store, database driver or intake service), so both the server, which
// seals, and the handler's client, which opens, import it.
package envelope
