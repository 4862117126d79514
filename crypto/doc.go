// Package crypto holds every cryptographic operation of the intake service.
//
// Key-handling rules, which the rest of the code relies on:
//
//   - The server only ever holds age recipients (public keys) for the teams.
//     ParseRecipients refuses anything that looks like an identity
//     (AGE-SECRET-KEY-...), and never echoes the refused value.
//   - A report is sealed once, to the union of the routed teams' recipients,
//     after being padded to a size bucket (see PaddedSize), so the stored
//     ciphertext reveals only the bucket, never the exact length.
//   - Plaintext is handled in memory only. Nothing here writes to disk.
//   - A receipt is 125 random bits, shown to the reporter once. The server
//     stores only an HMAC-SHA256 of it under a server secret (the receipt
//     key), which supports lookup and cannot be reversed or brute-forced
//     from a stolen database alone, and the public half of an X25519 reply
//     key derived from it, so only the holder of the receipt can read
//     replies encrypted to that key.
package crypto
