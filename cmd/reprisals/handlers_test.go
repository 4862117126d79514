package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/roster"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestHandlerAdminAndAudit drives the operator's handler commands and the
// audit verification through the real binary.
func TestHandlerAdminAndAudit(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	keyFile := filepath.Join(t.TempDir(), "receipt.key")
	os.WriteFile(keyFile, []byte(crypto.NewReceiptKey()), 0o600)
	env := cleanEnv(
		"DATABASE_URL="+db.URL,
		"REPRISALS_RECEIPT_KEY_FILE="+keyFile,
		"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS="+teams.UPR.Recipient().String(),
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS="+teams.Reprisals.Recipient().String(),
	)
	id, _ := age.GenerateX25519Identity()
	next, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()

	ok := func(words string, args ...string) {
		t.Helper()
		out, stderr, err := runBin(t, env, args...)
		if err != nil || !strings.Contains(out, words) {
			t.Fatalf("%v: %v\n%s%s", args, err, out, stderr)
		}
	}
	bad := func(words string, args ...string) {
		t.Helper()
		out, stderr, err := runBin(t, env, args...)
		if err == nil || !strings.Contains(stderr, words) {
			t.Fatalf("%v should fail saying %q: %v\n%s%s", args, words, err, out, stderr)
		}
		if strings.Contains(stderr+out, strings.TrimPrefix(id.String(), "AGE-SECRET-KEY-1")) {
			t.Fatalf("%v printed a private key", args)
		}
	}

	ok("Registered amal (reprisals-team) for login", "handler", "add", "-name", "amal", "-team", "reprisals-team", "-recipient", id.Recipient().String())
	bad("already exists", "handler", "add", "-name", "amal", "-team", "reprisals-team", "-recipient", next.Recipient().String())
	bad("private key", "handler", "add", "-name", "bad", "-team", "reprisals-team", "-recipient", id.String())
	bad("not a configured team", "handler", "add", "-name", "x", "-team", "nobody", "-recipient", next.Recipient().String())
	bad("cannot be mixed", "handler", "add", "-name", "x", "-team", "reprisals-team", "-recipient", pq.Recipient().String())
	bad("-name", "handler", "add", "-name", "Bad Name", "-team", "reprisals-team", "-recipient", next.Recipient().String())
	ok("amal", "handler", "list")
	ok("amal now logs in with "+next.Recipient().String(), "handler", "set-recipient", "amal", next.Recipient().String())
	ok("Disabled amal: they can no longer log in", "handler", "disable", "amal")
	out, _, _ := runBin(t, env, "handler", "list")
	if !strings.Contains(out, "false") || !strings.Contains(out, next.Recipient().String()) {
		t.Errorf("handler list after changes:\n%s", out)
	}
	ok("Enabled amal", "handler", "enable", "amal")
	ok("Ended amal's sessions", "handler", "revoke-sessions", "amal")
	bad("no handler called ghost", "handler", "disable", "ghost")

	// A team with roster keys: registration is for login; the roster
	// decides who reads new reports, and the operator is told how.
	rk, _ := roster.GenerateKey()
	rosterEnv := append(env, "REPRISALS_TEAM_UPR_SECRETARIAT_ROSTER_KEYS="+rk.Public().String())
	rout, rerr, rosterErr := runBin(t, rosterEnv, "handler", "add", "-name", "ines", "-team", "upr-secretariat", "-recipient", id.Recipient().String())
	if rosterErr != nil || !strings.Contains(rout, "Registered ines (upr-secretariat) for login") || !strings.Contains(rout, "casectl roster sign -key custodian.key -team upr-secretariat -add "+id.Recipient().String()) {
		t.Fatalf("handler add on a roster team: %v\n%s%s", rosterErr, rout, rerr)
	}

	ok("Would purge 0 cases.", "retention", "-dry-run")
	ok("Added organisation nhri-x", "org", "add", "-slug", "nhri-x", "-name", "National Commission X")
	out, _, err := runBin(t, env, "staff", "add", "-org", "nhri-x", "-username", "layla")
	if err != nil || !strings.Contains(out, "Password: ") || !strings.Contains(out, "otpauth://totp/") {
		t.Fatalf("staff add: %v\n%s", err, out)
	}
	bad("no such staff account or organisation", "staff", "add", "-org", "nowhere", "-username", "x")
	ok("Password: ", "staff", "reset-password", "layla")
	ok("TOTP secret: ", "staff", "reset-totp", "layla")
	ok("Done: unlock layla", "staff", "unlock", "layla")
	ok("Done: disable layla", "staff", "disable", "layla")
	ok("The audit log verifies: 12 entries", "audit", "verify")
	if _, err := db.Pool().Exec(t.Context(), `UPDATE audit_log SET detail = 'amal team=upr-secretariat' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	bad("audit log broken at entry 1", "audit", "verify")
}
