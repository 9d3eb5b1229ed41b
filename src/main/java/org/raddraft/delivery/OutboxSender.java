package org.raddraft.delivery;

/**
 * One delivery channel's sender, called by {@code routes/deliver.yaml} for each due outbox row of
 * its channel. A new channel is one more implementation bound under its own bean name and one more
 * {@code when} in the route.
 */
public interface OutboxSender {

    /**
     * Sends the report and returns only once the peer confirmed it.
     *
     * @return what identifies the delivery at the peer (stored as outbox.peer_message_id)
     * @throws DeliveryException.Permanent when the peer refused it for good (the row goes DEAD at once)
     * @throws Exception                   anything else is transient: retried with backoff
     */
    String send(FinalReport report) throws Exception;
}
