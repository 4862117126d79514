package casework

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ohchr-reprisals/intake/store"
)

// CheckRetention reports a retention policy that names an unknown status.
func CheckRetention(days map[string]int) error {
	for s := range days {
		if !slices.Contains(Statuses, s) {
			return fmt.Errorf("retention.days: %q is not a status (statuses: %v)", s, Statuses)
		}
	}
	return nil
}

// ApplyRetention deletes the cases whose retention period has run out, with
// an audit entry for each, and returns them. With dryRun it only returns
// them.
func (s *Service) ApplyRetention(ctx context.Context, days map[string]int, dryRun bool) ([]store.PurgeCandidate, error) {
	if err := CheckRetention(days); err != nil {
		return nil, err
	}
	list, err := s.db.PurgeCandidates(ctx, days)
	if err != nil || dryRun {
		return list, err
	}
	var done []store.PurgeCandidate
	for _, c := range list {
		a := store.Audit{Key: s.auditKey, Actor: "system:retention", Action: "retention.purge", Reference: c.Reference,
			Detail: fmt.Sprintf("status %s since %s, kept %d days", c.Status, c.Since.Format(time.DateOnly), days[c.Status])}
		ok, err := s.db.Purge(ctx, c.Reference, c.Status, a)
		if err != nil {
			return done, err
		}
		if ok {
			done = append(done, c)
		}
	}
	return done, nil
}
