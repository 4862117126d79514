-- Reporters' follow-ups on return visits: stored with notes and replies,
-- encrypted to the case's teams. Their alerts are told apart from the
-- report's own.
ALTER TABLE notes DROP CONSTRAINT notes_kind_check;
ALTER TABLE notes ADD CONSTRAINT notes_kind_check CHECK (kind IN ('note', 'reply', 'followup'));

ALTER TABLE alerts ADD COLUMN kind text NOT NULL DEFAULT 'report' CHECK (kind IN ('report', 'followup'));
ALTER TABLE alerts DROP CONSTRAINT alerts_report_id_team_key;
ALTER TABLE alerts ADD CONSTRAINT alerts_report_id_team_kind_key UNIQUE (report_id, team, kind);
