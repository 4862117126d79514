package console

import (
	"testing"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestEveryChoiceHasALabel: every value a report may hold has a
// handler-facing label in the console.
func TestEveryChoiceHasALabel(t *testing.T) { intaketest.CheckChoiceLabels(t, choiceLabels) }
