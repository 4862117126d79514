package server

import (
	"testing"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestEveryChoiceHasALabel: every value the report form offers has a
// label on the reporter's pages.
func TestEveryChoiceHasALabel(t *testing.T) { intaketest.CheckChoiceLabels(t, choiceLabels) }
