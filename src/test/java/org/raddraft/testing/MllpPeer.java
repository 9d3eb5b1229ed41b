package org.raddraft.testing;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.HL7Service;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A RIS for the tests: a real MLLP listener (HAPI HL7v2's server, which parses and validates what it
 * receives) that records every ORU^R01 and answers as the test says: AA, AE or AR with a reason, or
 * nothing at all (it holds the connection without an ACK). It can go down and come back on the same
 * port.
 */
public final class MllpPeer implements AutoCloseable {

    /** What to answer one message with. */
    public record Answer(AcknowledgmentCode code, String reason, long delayMillis) {
        public static final Answer ACCEPT = new Answer(AcknowledgmentCode.AA, null, 0);

        public static Answer error(String reason) {
            return new Answer(AcknowledgmentCode.AE, reason, 0);
        }

        public static Answer reject(String reason) {
            return new Answer(AcknowledgmentCode.AR, reason, 0);
        }

        /** Answer AA only after this long (longer than the sender's ACK timeout = no ACK). */
        public static Answer acceptAfter(long millis) {
            return new Answer(AcknowledgmentCode.AA, null, millis);
        }
    }

    /** One message as received, with the answer it got. */
    public record Received(String controlId, ORU_R01 message, String encoded, AcknowledgmentCode answer) {
    }

    public final int port;
    private final HapiContext context = new DefaultHapiContext();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Function<ORU_R01, Answer> policy = m -> Answer.ACCEPT;
    private HL7Service server;

    public MllpPeer() throws IOException {
        this.port = DaemonProcess.freePort();
        // ACK control ids from memory, not HAPI's default generator that writes ./id_file
        context.getParserConfiguration().setIdGenerator(new ca.uhn.hl7v2.util.idgenerator.InMemoryIDGenerator());
    }

    public MllpPeer answering(Function<ORU_R01, Answer> policy) {
        this.policy = policy;
        return this;
    }

    public synchronized MllpPeer start() throws InterruptedException {
        server = context.newServer(port, false);
        server.registerApplication("ORU", "R01", new ReceivingApplication<Message>() {
            @Override
            public Message processMessage(Message message, Map<String, Object> metadata) throws HL7Exception {
                ORU_R01 oru = (ORU_R01) message;
                Answer a = policy.apply(oru);
                String encoded;
                try {
                    encoded = oru.encode();
                } catch (HL7Exception e) {
                    throw new IllegalStateException(e);
                }
                received.add(new Received(oru.getMSH().getMessageControlID().getValue(), oru, encoded,
                        a.delayMillis() > 0 ? null : a.code()));
                if (a.delayMillis() > 0) {
                    try {
                        Thread.sleep(a.delayMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                try {
                    return a.code() == AcknowledgmentCode.AA ? message.generateACK()
                            : message.generateACK(a.code(), new HL7Exception(a.reason()));
                } catch (IOException e) {
                    throw new HL7Exception(e);
                }
            }

            @Override
            public boolean canProcess(Message message) {
                return true;
            }
        });
        server.startAndWait();
        return this;
    }

    /** Goes down: the port refuses connections until {@link #start()}. */
    public synchronized void stop() {
        if (server != null) {
            server.stopAndWait();
            server = null;
        }
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Distinct MSH-10 control ids received: what a RIS that discards resent duplicates keeps. */
    public List<String> distinctControlIds() {
        return received.stream().map(Received::controlId).distinct().toList();
    }

    @Override
    public void close() throws IOException {
        stop();
        context.close();
    }
}
