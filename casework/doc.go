// Package casework is what case handlers do through the server: log in by
// proving they hold their age identity, list and fetch the cases routed to
// their team, move them through the workflow, and add notes and replies
// that their own client has already encrypted. The server never sees a
// handler's identity or any plaintext.
//
// Every action is appended to the audit log (package audit) in the same
// transaction as the action itself. A case routed elsewhere is reported
// exactly like one that does not exist.
package casework
