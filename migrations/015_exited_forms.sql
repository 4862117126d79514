-- The quick exit ("Leave this site quickly") on a report form names the
-- form's one-time submission token; its nonce's SHA-256 is kept here until
-- the token would have expired anyway, so that the same answers, posted
-- again from the browser's history (Back, then reload), are refused and an
-- empty form is shown. Nothing else is kept: no time finer than the day the
-- token expires, no address, no content.
CREATE TABLE exited_forms (
	form_key   bytea PRIMARY KEY CHECK (length(form_key) = 32),
	expires_on date NOT NULL
);
