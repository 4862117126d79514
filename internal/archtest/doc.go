// Package archtest holds the test of the house's import rules (see
// docs/architecture.md): no package imports one of a higher layer, and
// the handler's client imports nothing of the server.
package archtest
