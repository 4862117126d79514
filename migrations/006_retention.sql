-- The day a case's status last changed (the day only, like received_on),
-- so that retention can count from a closure.
ALTER TABLE reports ADD COLUMN status_changed_on date;
