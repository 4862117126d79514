package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/internal/plural"
	"github.com/ohchr-reprisals/intake/roster"
)

// maxRosterFile bounds a signed roster file read from disk.
const maxRosterFile = 2 * roster.MaxText

// pinsPath is the pin store: -pins, CASECTL_PINS, or pins.json next to the
// session file.
func (c *cli) pinsPath() string {
	if c.pinsFile != "" {
		return c.pinsFile
	}
	return filepath.Join(filepath.Dir(c.sessionFile), "pins.json")
}

// confirm asks a yes/no question on the terminal; only "yes" agrees.
func (c *cli) confirm(question string) bool {
	fmt.Fprintf(c.out, "%s Type yes to agree: ", question)
	line, _ := c.stdin().ReadString('\n')
	fmt.Fprintln(c.out)
	return strings.TrimSpace(strings.ToLower(line)) == "yes"
}

// stdin is the command's standard input, buffered once so that a question
// and the text of a note can share it.
func (c *cli) stdin() *bufio.Reader {
	if c.inbuf == nil {
		c.inbuf = bufio.NewReader(c.in)
	}
	return c.inbuf
}

// rosters verifies team rosters for this invocation, asking on the
// terminal before a roster the handler has not seen is used.
func (c *cli) rosters() (*desk.Rosters, error) {
	if c.rosterBook != nil {
		return c.rosterBook, nil
	}
	api, err := c.client()
	if err != nil {
		return nil, err
	}
	c.rosterBook = &desk.Rosters{API: api, PinsPath: c.pinsPath(), Confirm: func(d string) bool {
		fmt.Fprint(c.out, d)
		return c.confirm("Encrypt to this roster from now on?")
	}}
	if c.name == "rekey" && c.dryRun {
		// A dry run shows the change and counts with it, but accepts
		// nothing: the real rekey asks.
		c.rosterBook.Preview = true
		c.rosterBook.Confirm = func(d string) bool {
			fmt.Fprint(c.out, d)
			fmt.Fprintln(c.out, "(dry run: this roster is not accepted; rekey without -dry-run asks you)")
			return true
		}
	}
	return c.rosterBook, nil
}

// teamRoster returns the verified recipients of team's roster.
func (c *cli) teamRoster(team string) ([]crypto.Recipient, error) {
	rs, err := c.rosters()
	if err != nil {
		return nil, err
	}
	return rs.Team(c.ctx, team)
}

// caseRecipients are the union of the verified rosters of every team a
// case is routed to.
func (c *cli) caseRecipients(teams []string) ([]crypto.Recipient, error) {
	rs, err := c.rosters()
	if err != nil {
		return nil, err
	}
	return rs.Case(c.ctx, teams)
}

// rosterCmd runs 'casectl roster ACTION'.
func (c *cli) rosterCmd() error {
	switch c.name {
	case "roster keygen":
		return c.rosterKeygen()
	case "roster sign", "roster renew":
		return c.rosterSign()
	case "roster publish":
		return c.rosterPublish()
	case "roster pin":
		return c.rosterPin()
	case "roster show":
		return c.rosterShow()
	case "roster fetch":
		return c.rosterFetch()
	}
	return errors.New(rosterUsage)
}

// rosterCommands are the subcommands of 'casectl roster'.
var rosterCommands = []string{"fetch", "show", "pin", "keygen", "sign", "renew", "publish"}

const rosterUsage = `usage: casectl roster COMMAND [flags]   ('casectl roster COMMAND -h' for each)

  casectl roster fetch -team TEAM -out current.json   save the team's current signed roster (checked against your pins)
  casectl roster show [-team TEAM]                    verify and show a team's roster
  casectl roster pin -team TEAM -key KEY              pin a team's roster key (confirm its fingerprint out of band)
  casectl roster keygen -out FILE                     (key custodians, offline) make a roster key
  casectl roster sign -key FILE (-team TEAM | -from current.json) [-add age1... -label NAME -signer KEY]... [-set-signer age1...=KEY]... [-remove age1...]... -out next.json
                                                      (key custodians) sign the next version, or co-sign one
  casectl roster renew -key FILE -from current.json -out next.json [-valid 4320h]
                                                      (key custodians) sign the same recipients again as the next version, with a new expiry
  casectl roster publish next.json                    send a signed roster to the server`

// rosterKeygen creates a roster key for a key custodian.
func (c *cli) rosterKeygen() error {
	if c.outFile == "" {
		return errors.New("name the new key's file with -out (keep it on an offline machine)")
	}
	k, err := roster.GenerateKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(c.outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# Roster key of a key custodian. Keep it offline; anyone holding it can\n# change who can read the team's reports.\n# public key: %s\n%s\n", k.Public(), k)
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Wrote the roster key to %s.\nPublic key:  %s\nFingerprint: %s\n"+
		"Give the public key to the operator (the team's roster_keys) and read the fingerprint to each handler when they pin it.\n",
		c.outFile, k.Public(), k.Public().Fingerprint())
	return nil
}

// readKeyFile reads a roster private key file (comments allowed).
func readKeyFile(path string) (roster.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return roster.PrivateKey{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return roster.ParsePrivateKey(line)
		}
	}
	return roster.PrivateKey{}, fmt.Errorf("%s holds no roster key", path)
}

// readSigned reads a signed roster file, strictly.
func readSigned(path string) (handlerapi.SignedRoster, error) {
	var s handlerapi.SignedRoster
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, maxRosterFile))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%s is not a signed roster file", path)
	}
	return s, nil
}

// rosterSign makes the next version of a roster with recipients added or
// removed, or co-signs one unchanged, and writes it to -out.
func (c *cli) rosterSign() error {
	renew := c.name == "roster renew"
	if renew && (c.keyFile == "" || c.fromFile == "" || c.outFile == "") {
		return errors.New("usage: casectl roster renew -key KEYFILE -from SIGNED.json -out SIGNED.json [-valid DURATION]")
	}
	if c.valid <= 0 || c.valid > roster.MaxValidity {
		return fmt.Errorf("-valid must be more than 0 and at most %s", roster.MaxValidity)
	}
	if c.keyFile == "" || c.outFile == "" {
		return errors.New("usage: casectl roster sign -key KEYFILE [-from SIGNED.json | -team TEAM] [-add age1... -label NAME -signer KEY]... [-set-signer age1...=KEY]... [-remove age1...]... -out SIGNED.json")
	}
	key, err := readKeyFile(c.keyFile)
	if err != nil {
		return err
	}
	var r roster.Roster
	var prev handlerapi.SignedRoster
	switch {
	case c.fromFile != "":
		if prev, err = readSigned(c.fromFile); err != nil {
			return err
		}
		if r, err = roster.Parse([]byte(prev.Roster)); err != nil {
			return fmt.Errorf("%s: %w", c.fromFile, err)
		}
	case c.team != "":
		r = roster.Roster{Team: c.team}
	default:
		return errors.New("start from the current roster (-from) or name the team of a first roster (-team)")
	}
	if len(c.labels) > 0 && len(c.labels) != len(c.adds) {
		return errors.New("give one -label per -add, in the same order, or none")
	}
	if len(c.signers) > 0 && len(c.signers) != len(c.adds) {
		return errors.New("give one -signer per -add, in the same order, or none")
	}
	old := r
	r.Entries = slices.Clone(r.Entries)
	for i, a := range c.adds {
		rec, err := crypto.ParseRecipient(a)
		if err != nil {
			return fmt.Errorf("-add %d: %w", i+1, err)
		}
		e := roster.Entry{Recipient: rec.String()}
		if len(c.labels) > 0 {
			e.Label = c.labels[i]
		}
		if len(c.signers) > 0 && c.signers[i] != "-" {
			pub, err := crypto.ParseSigningPublicKey(strings.TrimSpace(c.signers[i]))
			if err != nil {
				return fmt.Errorf("-signer %d: %w", i+1, err)
			}
			e.Signer = pub.String()
		}
		r.Entries = append(r.Entries, e)
	}
	for i, set := range c.setSigners {
		rec, key, ok := strings.Cut(strings.TrimSpace(set), "=")
		pub, err := crypto.ParseSigningPublicKey(key)
		if !ok || err != nil {
			return fmt.Errorf("-set-signer %d: give age1...=reprisals-signing-key-ed25519:...", i+1)
		}
		j := slices.IndexFunc(r.Entries, func(e roster.Entry) bool { return e.Recipient == rec })
		if j < 0 {
			return fmt.Errorf("-set-signer: %s is not in the roster", handlerapi.Safe(rec))
		}
		r.Entries[j].Signer = pub.String()
	}
	for _, rm := range c.removes {
		n := len(r.Entries)
		r.Entries = slices.DeleteFunc(r.Entries, func(e roster.Entry) bool { return e.Recipient == strings.TrimSpace(rm) })
		if len(r.Entries) == n {
			return fmt.Errorf("-remove: %s is not in the roster", handlerapi.Safe(rm))
		}
	}
	var out handlerapi.SignedRoster
	if len(c.adds) == 0 && len(c.removes) == 0 && len(c.setSigners) == 0 && c.fromFile != "" && !renew {
		// No change: co-sign the same version.
		if out, err = prev.AddSignature(key); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "Co-signed team %s's roster version %d.\n", r.Team, r.Version)
	} else {
		r.Version++
		r.Signed = time.Now().UTC().Truncate(time.Second)
		r.Expires = r.Signed.Add(c.valid)
		if out, err = roster.Sign(r, key); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "Valid until %s: renew it before then (casectl roster renew), or every client refuses it.\n", r.Expires.Format(time.DateOnly))
		added, removed := roster.Diff(old, r)
		fmt.Fprintf(c.out, "Signed team %s's roster version %d (%d recipients).\n", r.Team, r.Version, len(r.Entries))
		for _, e := range added {
			fmt.Fprintf(c.out, "  ADDED:   %s\n", e)
		}
		for _, e := range removed {
			fmt.Fprintf(c.out, "  REMOVED: %s\n", e)
		}
		for _, e := range r.Entries {
			if i := slices.IndexFunc(old.Entries, func(p roster.Entry) bool { return p.Recipient == e.Recipient }); i >= 0 && old.Entries[i].Signer != e.Signer {
				fmt.Fprintf(c.out, "  SIGNING: %s signs replies with %s\n", e, e.Signer)
			} else if i < 0 && e.Signer != "" {
				fmt.Fprintf(c.out, "  SIGNING: %s signs replies with %s\n", e, e.Signer)
			}
		}
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(c.outFile, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Wrote %s. Publish it with: casectl roster publish %s\n", c.outFile, c.outFile)
	return nil
}

// rosterPublish sends a signed roster to the server.
func (c *cli) rosterPublish() error {
	if len(c.args) != 1 {
		return errors.New("usage: casectl roster publish SIGNED.json")
	}
	s, err := readSigned(c.args[0])
	if err != nil {
		return err
	}
	r, err := roster.Parse([]byte(s.Roster))
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	if err := api.PublishRoster(c.ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Published team %s's roster version %d. New reports are encrypted to its %s; handlers see the change and agree before they rekey.\n",
		r.Team, r.Version, plural.Noun(len(r.Entries), "recipient", "recipients"))
	return nil
}

// rosterPin pins a team's roster key after the handler confirms its
// fingerprint.
func (c *cli) rosterPin() error {
	if c.team == "" || c.key == "" {
		return errors.New("usage: casectl roster pin -team TEAM -key reprisals-roster-key-ed25519:...")
	}
	k, err := roster.ParsePublicKey(c.key)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Roster key for team %s\n  fingerprint: %s\n", handlerapi.Safe(c.team), k.Fingerprint())
	if !c.confirm("Does this fingerprint match, group by group, the one your security focal point gave you in person or by phone?") {
		return errors.New("not pinned")
	}
	pins, err := roster.LoadPins(c.pinsPath())
	if err != nil {
		return err
	}
	pins.Pin(c.team, k)
	if c.threshold > 0 {
		tp := pins.Teams[c.team]
		if c.threshold > len(tp.Keys) {
			return fmt.Errorf("-require %d: team %s has only %s pinned; pin the others first", c.threshold, handlerapi.Safe(c.team), plural.Noun(len(tp.Keys), "roster key", "roster keys"))
		}
		tp.Threshold = c.threshold
	}
	if err := pins.Save(c.pinsPath()); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Pinned. casectl now encrypts to team %s only what a roster signed by %d of its %s lists.\n",
		handlerapi.Safe(c.team), max(1, pins.Teams[c.team].Threshold), plural.Noun(len(pins.Teams[c.team].Keys), "pinned roster key", "pinned roster keys"))
	return nil
}

// rosterShow verifies and shows a team's roster, and asks before
// accepting a change.
func (c *cli) rosterShow() error {
	team := c.team
	if team == "" {
		team = c.sess.Team
	}
	recs, err := c.teamRoster(team)
	if err != nil {
		return err
	}
	pins, err := roster.LoadPins(c.pinsPath())
	if err != nil {
		return err
	}
	r, err := roster.Parse([]byte(pins.Teams[team].Accepted))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Team %s's roster, version %d, verified: %s.\n", r.Team, r.Version, plural.Noun(len(recs), "recipient", "recipients"))
	for _, e := range r.Entries {
		fmt.Fprintf(c.out, "  %s\n", e)
	}
	return nil
}

// rosterFetch saves a team's current signed roster, for a custodian to
// sign the next version from. It is checked against the handler's pins
// first (signatures, and no older than the version accepted), so a server
// cannot hand a custodian an old roster to re-sign with a removed key
// back on it. Fetching accepts nothing.
func (c *cli) rosterFetch() error {
	team := c.team
	if team == "" {
		team = c.sess.Team
	}
	if c.outFile == "" || len(c.args) > 0 {
		return errors.New("usage: casectl roster fetch [-team TEAM] -out current.json")
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	sr, checked, stale, err := desk.FetchForSigning(c.ctx, api, c.pinsPath(), team)
	if err != nil {
		return err
	}
	if stale {
		r := checked.Roster
		fmt.Fprintf(c.out, "Team %s's roster, version %d: %s. Nothing will be encrypted to it; renew it: casectl roster renew -key KEYFILE -from %s -out next.json\n",
			r.Team, r.Version, r.Age(time.Now()), c.outFile)
	}
	b, _ := json.MarshalIndent(sr, "", "  ")
	if err := os.WriteFile(c.outFile, append(b, '\n'), 0o644); err != nil {
		return err
	}
	r := checked.Roster
	fmt.Fprintf(c.out, "Team %s's roster, version %d, verified against your pinned roster keys: %s.\n", r.Team, r.Version, plural.Noun(len(r.Entries), "recipient", "recipients"))
	for _, e := range r.Entries {
		fmt.Fprintf(c.out, "  %s\n", e)
	}
	if checked.Changed {
		fmt.Fprintln(c.out, "It differs from the version you accepted; casectl asks you before it encrypts to it.")
	}
	fmt.Fprintf(c.out, "Wrote %s. Sign the next version from it: casectl roster sign -key KEYFILE -from %s ... -out next.json\n", c.outFile, c.outFile)
	return nil
}
