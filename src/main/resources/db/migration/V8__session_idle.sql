-- Server-side idle timeout of people's sessions (auth.session-idle-minutes): when each session was
-- last used. Authenticator moves it forward at most once a minute, so that the column is precise to a
-- minute without a database write on every request. Existing sessions count as used when created.
ALTER TABLE app_session ADD COLUMN last_used_at TIMESTAMP WITH TIME ZONE;
UPDATE app_session SET last_used_at = created_at;
ALTER TABLE app_session ALTER COLUMN last_used_at SET NOT NULL;
