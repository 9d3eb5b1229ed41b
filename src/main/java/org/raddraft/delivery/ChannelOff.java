package org.raddraft.delivery;

/**
 * The sender of a channel that is off (no address configured). Rows queued for it while it was on
 * go DEAD with a reason that says how to turn it back on; requeue them after that.
 */
public final class ChannelOff implements OutboxSender {

    private final String channel;
    private final String setting;

    public ChannelOff(String channel, String setting) {
        this.channel = channel;
        this.setting = setting;
    }

    @Override
    public String send(FinalReport report) throws DeliveryException {
        throw new DeliveryException.Permanent("the " + channel + " channel is off (" + setting
                + " is empty); set it, restart, and requeue with raddraft admin outbox --requeue " + report.outboxId());
    }
}
