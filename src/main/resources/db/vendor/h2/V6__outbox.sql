-- Delivery: the durable outbox. An approval (or a correction) inserts one PENDING row per enabled
-- channel in its own transaction (org.raddraft.delivery.Outbox.enqueue), so nothing approved is lost
-- between review and delivery; the deliver route sends each row and records the peer's answer.

-- Which channels are on. The daemon writes this at start from the delivery.* settings (a channel
-- without an address is off), so Outbox.enqueue needs nothing but the caller's connection.
CREATE TABLE delivery_channel (
    name        VARCHAR(16)  PRIMARY KEY,   -- FHIR, HL7 (DICOM_SR comes with V7)
    enabled     BOOLEAN      NOT NULL,
    destination VARCHAR(500),               -- where it sends (URL, host:port), for admins; never a secret
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE outbox (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    draft_id        BIGINT       NOT NULL REFERENCES draft(id),
    channel         VARCHAR(16)  NOT NULL,
    revision        INT          NOT NULL,   -- 1 for the approval, +1 for each correction
    correction      BOOLEAN      NOT NULL,   -- HL7 OBR-25 C, FHIR status corrected
    state           VARCHAR(10)  NOT NULL,   -- PENDING, RETRYING, SENT, DEAD
    attempts        INT          DEFAULT 0 NOT NULL,  -- started attempts (each may include in-process redeliveries)
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_error      VARCHAR(1000),           -- why the last attempt failed, or why the row is DEAD
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    sent_at         TIMESTAMP WITH TIME ZONE,
    peer_message_id VARCHAR(200),            -- what the peer answered: FHIR resource version, HL7 MSH-10 acknowledged
    CONSTRAINT outbox_once UNIQUE (draft_id, channel, revision)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
