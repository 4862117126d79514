// Package desk is the handler-side core: what a case handler's client
// does with cases (fetch and open a case, its thread and its files,
// rekey), written once as a Go API, with every rule that treats the
// server as hostile. casectl (flags, prompts, printing) and the console
// (desk/console, a local web face) both call it.
//
// The server is treated as hostile: each thing is decrypted only if it
// proves to be what it should be (the case asked for, a follow-up, note,
// reply or file manifest sealed for this case: envelope's Open and Check,
// against the reference the handler asked for, never one the server
// answers with), is encrypted only to recipients verified against pinned
// rosters (never a list the server names), and anything else is refused
// or left as it is and reported. Nothing decrypted is ever sent back in
// the clear.
//
// desk imports the handler API client, the sealed formats, crypto and
// rosters; never the server's packages (a test in cmd/casectl checks the
// client's whole dependency list).
package desk
