-- Retention (issue 25): when `raddraft admin purge` removed an instance's spool file (its study was
-- delivered on every channel, rejected or out of scope longer than retention.spool-days ago). The row
-- stays (worklist, audit, delivery history); only the image is gone.
ALTER TABLE instance ADD COLUMN purged_at TIMESTAMP WITH TIME ZONE;
