-- Several nodes on one database (issue 25): the node that claimed a study for drafting, or an outbox row
-- for delivery, and until when its claim holds. Another node takes the work over only after lease_until
-- (the claiming node died or hangs); a node settles only work it still holds. NULL = not claimed.
ALTER TABLE study ADD COLUMN lease_node VARCHAR(100);
ALTER TABLE study ADD COLUMN lease_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE outbox ADD COLUMN lease_node VARCHAR(100);
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMP WITH TIME ZONE;
-- which node drafted a draft and delivered a row (admins, and the failover test's duplicate count)
ALTER TABLE draft ADD COLUMN drafted_by VARCHAR(100);
ALTER TABLE outbox ADD COLUMN sent_by VARCHAR(100);
CREATE INDEX study_lease ON study(state, lease_until);
