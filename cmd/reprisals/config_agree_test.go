package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestConfigAndServeAgree: every check of the configuration is in one
// place, so 'reprisals config' refuses what 'serve' refuses, with the same
// lines in the same order (an unknown status in retention.days used to
// pass 'config' and stop 'serve').
func TestConfigAndServeAgree(t *testing.T) {
	t.Parallel()
	teams := intaketest.NewTeams(t)
	configFile := filepath.Join(t.TempDir(), "reprisals.toml")
	os.WriteFile(configFile, []byte(`
shutdown_grace = "2h"
[retention.days]
closed = 730
archived = 30
zzz = 1
[handlers.status_names]
done = "Done"
`), 0o600)
	env := cleanEnv(
		"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS="+teams.UPR.Recipient().String(),
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS="+teams.Reprisals.Recipient().String(),
	)
	want := []string{"shutdown_grace:", "retention.days.archived:", "retention.days.zzz:", "handlers.status_names.done:"}
	for _, cmd := range []string{"config", "serve", "config", "serve"} {
		_, stderr, err := runBin(t, env, cmd, "-config", configFile)
		if err == nil {
			t.Fatalf("%s accepted the configuration", cmd)
		}
		var got []string
		for _, line := range strings.Split(stderr, "\n") {
			for _, w := range want {
				if strings.HasPrefix(strings.TrimSpace(line), w) {
					got = append(got, w)
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: problems %v, want %v in that order:\n%s", cmd, got, want, stderr)
		}
	}
}
