package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// commandFlags is every command and subcommand of both binaries with the
// flags its -h must list: its own, no more, no fewer. A command added to
// a binary's help but not here, or here but not in the help, fails
// TestHelpWalk.
var commandFlags = map[string]map[string][]string{
	"reprisals": {
		"serve":                   {"config"},
		"dev":                     {"config", "dir", "listen", "mail-listen"},
		"migrate":                 {"config"},
		"config":                  {"config"},
		"handler add":             {"config", "name", "recipient", "team"},
		"handler list":            {"config"},
		"handler disable":         {"config"},
		"handler enable":          {"config"},
		"handler set-recipient":   {"config"},
		"handler revoke-sessions": {"config"},
		"audit verify":            {"config"},
		"retention":               {"config", "dry-run"},
		"alerts list":             {"config", "state"},
		"alerts retry":            {"all", "config"},
		"org add":                 {"config", "name", "slug"},
		"staff add":               {"config", "org", "username"},
		"staff reset-password":    {"config", "username"},
		"staff reset-totp":        {"config", "username"},
		"staff unlock":            {"config", "username"},
		"staff disable":           {"config", "username"},
		"staff enable":            {"config", "username"},
		"staff code":              {},
		"keygen":                  {"o", "pq", "receipt-key"},
		"verify-receipt":          {"config", "key", "print-key"},
	},
	"casectl": {
		"login":          {"handler", "i", "pins", "server", "session"},
		"logout":         {"pins", "session"},
		"console":        {"i", "idle", "lang", "open", "pins", "port", "session", "templates"},
		"cases":          {"assignee", "page", "pins", "session", "sort", "status", "urgency"},
		"show":           {"i", "json", "pins", "session"},
		"triage":         {"assignee", "deadline", "detail", "pins", "session", "status", "urgency"},
		"note":           {"i", "m", "pins", "session"},
		"reply":          {"i", "m", "org-may-read", "pins", "session", "trust-server-reply-key"},
		"notes":          {"i", "pins", "session"},
		"export":         {"i", "out", "pins", "session"},
		"paper":          {"i", "lang", "out", "pins", "session", "to"},
		"rekey":          {"dry-run", "i", "pins", "session"},
		"signing-key":    {"i", "pins", "recipient", "session"},
		"action add":     {"date", "i", "kind", "m", "pins", "session", "symbol"},
		"action list":    {"i", "pins", "session"},
		"response add":   {"date", "i", "m", "pins", "session", "stance"},
		"published add":  {"annex", "date", "i", "paragraph", "pins", "report", "session"},
		"link":           {"i", "pins", "session"},
		"unlink":         {"i", "pins", "session"},
		"annex":          {"from", "i", "lang", "out", "pins", "session", "to", "year"},
		"keygen":         {"out", "pins", "pq", "session"},
		"roster fetch":   {"out", "pins", "session", "team"},
		"roster show":    {"pins", "session", "team"},
		"roster pin":     {"key", "pins", "require", "session", "team"},
		"roster keygen":  {"out", "pins", "session"},
		"roster sign":    {"add", "from", "key", "label", "out", "pins", "remove", "session", "set-signer", "signer", "team", "valid"},
		"roster renew":   {"from", "key", "out", "pins", "session", "valid"},
		"roster publish": {"pins", "session"},
	},
}

// groups are the commands that have subcommands.
var groups = map[string][]string{
	"reprisals": {"handler", "audit", "alerts", "org", "staff"},
	"casectl":   {"roster", "action", "response", "published"},
}

func binPath(name string) string {
	if name == "casectl" {
		return casectl
	}
	return bin
}

// help runs NAME ARGS... -h and returns its output; it must exit 0.
func help(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binPath(name), append(args, "-h")...)
	cmd.Env = cleanEnv("HOME=" + t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("%s %s -h: %v (want exit 0)\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

var (
	helpCommand = regexp.MustCompile(`(?m)^  ([a-z][a-z-]+)\s`)
	helpFlag    = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)
)

// TestHelpWalk walks every command and subcommand of both binaries: each
// -h exits 0 and lists exactly that command's own flags, and the top-level
// and group helps list every command.
func TestHelpWalk(t *testing.T) {
	t.Parallel()
	for name, want := range commandFlags {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var found []string
			for _, m := range helpCommand.FindAllStringSubmatch(help(t, name), -1) {
				found = append(found, m[1])
			}
			for _, g := range groups[name] {
				if !slices.Contains(found, g) {
					t.Errorf("%s -h does not list %s", name, g)
				}
				out := help(t, name, g)
				for _, m := range regexp.MustCompile(`(?m)^\s+(?:`+name+` )?`+g+` ([a-z][a-z-]+)`).FindAllStringSubmatch(out, -1) {
					found = append(found, g+" "+m[1])
				}
			}
			var got []string
			for _, c := range found {
				if !slices.Contains(groups[name], c) && !slices.Contains(got, c) {
					got = append(got, c)
				}
			}
			var wantCmds []string
			for c := range want {
				wantCmds = append(wantCmds, c)
			}
			sort.Strings(got)
			sort.Strings(wantCmds)
			if !slices.Equal(got, wantCmds) {
				t.Errorf("%s: the helps list commands\n  %v\nwant\n  %v", name, got, wantCmds)
			}
			for cmd, flags := range want {
				out := help(t, name, strings.Fields(cmd)...)
				var listed []string
				for _, m := range helpFlag.FindAllStringSubmatch(out, -1) {
					listed = append(listed, m[1])
				}
				sort.Strings(listed)
				if !slices.Equal(listed, flags) {
					t.Errorf("%s %s -h lists flags %v, want %v\n%s", name, cmd, listed, flags, out)
				}
				if !strings.Contains(out, "usage: "+name+" "+cmd) {
					t.Errorf("%s %s -h does not start with its usage line:\n%s", name, cmd, out)
				}
			}
		})
	}
}

// TestReadmeFlagsExist checks that every command the README names exists
// and that every flag it gives one is that command's own.
func TestReadmeFlagsExist(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var code []string // code spans, indented and fenced lines
	span := regexp.MustCompile("`([^`]+)`")
	fenced, binary := false, ""
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			fenced = !fenced
			continue
		case fenced || strings.HasPrefix(line, "    "):
			code = append(code, line)
			continue
		case strings.HasPrefix(line, "`reprisals` ("):
			binary = "reprisals"
		case strings.HasPrefix(line, "`casectl` ("):
			binary = "casectl"
		case !strings.HasPrefix(line, "|") && strings.TrimSpace(line) != "":
			if !strings.HasPrefix(line, "| command") {
				binary = ""
			}
		}
		for _, m := range span.FindAllStringSubmatch(line, -1) {
			text := m[1]
			if binary != "" && strings.HasPrefix(line, "| `") && strings.Index(line, m[0]) < strings.Index(line[1:], "|")+1 {
				text = binary + " " + text // a row of a command table
			}
			code = append(code, text)
		}
	}
	invocation := regexp.MustCompile(`(?:^|[\s(])(?:go run \./cmd/)?(reprisals|casectl) ([a-z].*)`)
	flagRE := regexp.MustCompile(`^[\[(]*-([a-z][a-z0-9-]*)`)
	checked := 0
	for _, text := range code {
		m := invocation.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		name, rest := m[1], m[2]
		// Stop at the shell: pipes (unescaped), sequences, redirections.
		for _, sep := range []string{" | ", " && ", "; ", " > ", " < "} {
			if i := strings.Index(rest, sep); i >= 0 {
				rest = rest[:i]
			}
		}
		words := strings.Fields(rest)
		if len(words) == 0 {
			continue
		}
		var paths []string
		for _, alt := range strings.Split(strings.ReplaceAll(words[0], `\|`, "|"), "|") {
			paths = append(paths, alt)
		}
		sub := []string{""}
		if slices.Contains(groups[name], words[0]) && len(words) > 1 {
			sub = strings.Split(strings.ReplaceAll(words[1], `\|`, "|"), "|")
			words = words[1:]
		}
		for _, p := range paths {
			for _, s := range sub {
				cmd := strings.TrimSpace(p + " " + s)
				flags, ok := commandFlags[name][cmd]
				if !ok {
					if slices.Contains(groups[name], cmd) {
						continue // the group alone, as in "the handler commands"
					}
					t.Errorf("README names %s %s, which does not exist: %q", name, cmd, text)
					continue
				}
				checked++
				for _, w := range words[1:] {
					if fm := flagRE.FindStringSubmatch(w); fm != nil && fm[1] != "h" && !slices.Contains(flags, fm[1]) {
						t.Errorf("README gives %s %s the flag -%s, which it does not have: %q", name, cmd, fm[1], text)
					}
				}
			}
		}
	}
	if checked < 40 {
		t.Errorf("checked only %d commands in the README; is the parser still finding them?", checked)
	}
}
