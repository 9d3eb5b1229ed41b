package org.raddraft.delivery;

/**
 * One outbox row as the deliver route carries it: which report, to which channel, and how many
 * attempts have started (this one included).
 */
public record OutboxItem(long id, long draftId, String channel, int revision, boolean correction, int attempts) {
}
