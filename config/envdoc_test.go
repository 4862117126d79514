package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsListEveryEnvVar: every environment variable the configuration
// reads (each named once, in its field's env tag) is in the README's
// configuration table or in docs/deployment.md, a team's as
// REPRISALS_TEAM_<NAME>_….
func TestDocsListEveryEnvVar(t *testing.T) {
	t.Parallel()
	var docs strings.Builder
	for _, f := range []string{"../README.md", "../docs/deployment.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	vars := EnvVars()
	if len(vars) < 25 {
		t.Fatalf("EnvVars lists %d variables; are the env tags read?", len(vars))
	}
	// No variable is read anywhere but through an env tag.
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if b, _ := os.ReadFile(f); !strings.HasSuffix(f, "_test.go") && regexp.MustCompile(`getenv\("`).Match(b) {
			t.Errorf("%s reads an environment variable by name; give its field an env tag instead", f)
		}
	}
	seen := map[string]bool{}
	for _, name := range vars {
		if seen[name] {
			t.Errorf("%s is named by two fields", name)
		}
		seen[name] = true
		if !strings.Contains(docs.String(), "`"+name+"`") {
			t.Errorf("%s is not documented (as `%s`) in README.md or docs/deployment.md", name, name)
		}
	}
}
