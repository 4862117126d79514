package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/roster"
)

// ErrRosterVersion is a roster whose version is not above the team's
// latest.
var ErrRosterVersion = errors.New("the roster's version must be higher than the team's current roster")

// PublishRoster stores a team's signed roster at version, which must be
// above every stored version of the team's roster: the check and the
// insert are one statement. The caller has verified the signatures.
func (db *DB) PublishRoster(ctx context.Context, team string, version int64, s roster.Signed, a Audit) error {
	sigs, err := json.Marshal(s.Signatures)
	if err != nil {
		return err
	}
	return db.Audited(ctx, a, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO rosters (team, version, body, signatures)
			SELECT $1, $2, $3, $4
			WHERE $2 > COALESCE((SELECT max(version) FROM rosters WHERE team = $1), 0)
			ON CONFLICT DO NOTHING`, team, version, s.Roster, sigs)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrRosterVersion
		}
		return nil
	})
}

// LatestRosters returns the latest signed roster of every team that has one.
func (db *DB) LatestRosters(ctx context.Context) (map[string]roster.Signed, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT DISTINCT ON (team) team, body, signatures FROM rosters ORDER BY team, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("store.LatestRosters: %w", classify(err))
	}
	defer rows.Close()
	out := map[string]roster.Signed{}
	for rows.Next() {
		var team string
		var s roster.Signed
		var sigs []byte
		if err := rows.Scan(&team, &s.Roster, &sigs); err != nil {
			return nil, fmt.Errorf("store.LatestRosters: %w", classify(err))
		}
		if err := json.Unmarshal(sigs, &s.Signatures); err != nil {
			return nil, fmt.Errorf("store.LatestRosters: team %s: %w", team, err)
		}
		out[team] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.LatestRosters: %w", classify(err))
	}
	return out, nil
}
