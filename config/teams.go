// Teams: who receives which reports, their keys and roster keys.

package config

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/roster"
)

// Routing values for Team.Receives.
const (
	ReceivesAll = "all" // every report
	ReceivesUPR = "upr" // reports whose UN cooperation is the Universal Periodic Review
)

// Team is one team that receives reports.
type Team struct {
	// Name is a short identifier, stored in clear with each routed report.
	Name string `toml:"name"`
	// Address is where the team's alerts go.
	Address string `toml:"address" env:"ADDRESS"`
	// Receives is "all" (every report) or "upr" (UPR-related reports only).
	Receives string `toml:"receives"`
	// Recipients are age recipients (age1...); RecipientsFile is a file of
	// them, one per line. Both may be given; the union is used.
	Recipients     []string `toml:"recipients" env:"RECIPIENTS"`
	RecipientsFile string   `toml:"recipients_file" env:"RECIPIENTS_FILE"`
	// Digest, when set (such as "1h"), sends this team one digest e-mail per
	// interval instead of one e-mail per report. Reports flagged "immediate
	// danger" are always alerted at once.
	Digest Duration `toml:"digest"`
	// AttachCiphertext attaches the report's ciphertext to the alert as an
	// ASCII-armoured .age file, for teams that work from e-mail alone.
	AttachCiphertext bool `toml:"attach_ciphertext"`
	// DisplayNames are the team's name as reporters read it, by language
	// (ar, en, es, fr, ru, zh), such as "OHCHR reprisals team". Pages fall
	// back to English, then to Name.
	DisplayNames map[string]string `toml:"display_names"`
	// RosterKeys are the team's roster public keys
	// (reprisals-roster-key-ed25519:...), whose private halves the team's
	// key custodians hold offline. Once a roster signed by one of them is
	// published, it alone decides the recipients of the team's new reports.
	RosterKeys []string `toml:"roster_keys" env:"ROSTER_KEYS"`

	keys       []crypto.Recipient
	rosterKeys []roster.PublicKey
}

// DisplayName returns the team's name for reporters in lang.
func (t Team) DisplayName(lang string) string {
	for _, l := range []string{lang, "en"} {
		if n := t.DisplayNames[l]; n != "" {
			return n
		}
	}
	return t.Name
}

// RosterPublicKeys returns the team's parsed roster keys.
func (t Team) RosterPublicKeys() []roster.PublicKey { return t.rosterKeys }

// Keys returns the team's parsed recipients. Valid after Validate.
func (t Team) Keys() []crypto.Recipient { return t.keys }

var teamName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

func (c *Config) validateTeams() []error {
	var errs []error
	if len(c.Teams) == 0 {
		return []error{errors.New("teams: at least one team is required")}
	}
	seen := map[string]bool{}
	receivesAll := false
	var all []crypto.Recipient
	for i := range c.Teams {
		t := &c.Teams[i]
		key := fmt.Sprintf("teams[%d]", i)
		if t.Name != "" {
			key = fmt.Sprintf("teams.%s", t.Name)
		}
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
		}
		if !teamName.MatchString(t.Name) {
			bad("name", "must be 1-40 lower-case letters, digits or hyphens")
		} else if seen[t.Name] {
			bad("name", "appears twice")
		}
		seen[t.Name] = true
		if a, err := mail.ParseAddress(t.Address); err != nil || a.Address != t.Address {
			bad("address", "%q is not a plain e-mail address", t.Address)
		}
		if t.Digest.Duration < 0 || (t.Digest.Duration > 0 && t.Digest.Duration < time.Second) {
			bad("digest", "must be at least one second, or unset for one e-mail per report")
		}
		for lang, n := range t.DisplayNames {
			if !slices.Contains([]string{"ar", "en", "es", "fr", "ru", "zh"}, lang) {
				bad("display_names", "%q is not one of the languages ar, en, es, fr, ru, zh", lang)
			} else if n == "" || len(n) > 200 || strings.ContainsAny(n, "\x00\r\n") {
				bad("display_names."+lang, "must be 1-200 bytes on one line")
			}
		}
		switch t.Receives {
		case ReceivesAll:
			receivesAll = true
		case ReceivesUPR:
		default:
			bad("receives", "must be %q or %q", ReceivesAll, ReceivesUPR)
		}
		t.keys = nil
		hadErr := false
		seenKey := map[string]bool{}
		add := func(r crypto.Recipient) {
			if !seenKey[r.String()] {
				seenKey[r.String()] = true
				t.keys = append(t.keys, r)
			}
		}
		for j, s := range t.Recipients {
			r, err := crypto.ParseRecipient(s)
			if err != nil {
				bad(fmt.Sprintf("recipients[%d]", j), "%v", err)
				hadErr = true
				continue
			}
			add(r)
		}
		if t.RecipientsFile != "" {
			f, err := os.Open(t.RecipientsFile)
			if err != nil {
				bad("recipients_file", "cannot open %s: %v", t.RecipientsFile, errors.Unwrap(err))
				hadErr = true
			} else {
				recs, err := crypto.ParseRecipientsFile(f)
				f.Close()
				if err != nil {
					bad("recipients_file", "%s: %v", t.RecipientsFile, err)
					hadErr = true
				}
				for _, r := range recs {
					add(r)
				}
			}
		}
		t.rosterKeys = nil
		for j, k := range t.RosterKeys {
			pk, err := roster.ParsePublicKey(k)
			if err != nil {
				bad(fmt.Sprintf("roster_keys[%d]", j), "%v", err)
				continue
			}
			t.rosterKeys = append(t.rosterKeys, pk)
		}
		if len(t.keys) == 0 && !hadErr {
			bad("recipients", "the team has no age recipient: set recipients or recipients_file (for a trial, use 'reprisals dev')")
		}
		all = append(all, t.keys...)
	}
	if !receivesAll {
		errs = append(errs, errors.New(`teams: at least one team must have receives = "all", or non-UPR reports would reach nobody`))
	}
	if len(all) > 0 {
		if err := crypto.CheckCompatible(all); err != nil {
			errs = append(errs, fmt.Errorf("teams: %w", err))
		}
	}
	return errs
}
