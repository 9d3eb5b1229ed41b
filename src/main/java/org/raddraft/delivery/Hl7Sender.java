package org.raddraft.delivery;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.llp.LLPException;
import ca.uhn.hl7v2.llp.MinLLPReader;
import ca.uhn.hl7v2.llp.MinLLPWriter;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.parser.CanonicalModelClassFactory;
import ca.uhn.hl7v2.parser.PipeParser;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HL7 v2 channel: the report as ORU^R01 over MLLP (HAPI's framing) to the RIS, one connection per
 * message, and its ACK read back: AA -> sent; AE, no ACK within the timeout, or an unreadable ACK ->
 * transient (retried); AR -> permanent (DEAD with the RIS's reason).
 */
public final class Hl7Sender implements OutboxSender {

    /** MSH-3..6 (who sends, who receives) and MSH-11 (processing id), from the delivery.hl7.* settings. */
    public record Header(String sendingApplication, String sendingFacility, String receivingApplication,
                         String receivingFacility, String processingId) {
    }

    private final String host;
    private final int port;
    private final int connectTimeoutMs;
    private final int ackTimeoutMs;
    private final OruMessage oru;
    private final PipeParser encoder;
    private final PipeParser ackParser;

    public Hl7Sender(String host, int port, Duration ackTimeout, Header header, java.time.Clock clock) {
        this.host = host;
        this.port = port;
        this.connectTimeoutMs = (int) Math.min(ackTimeout.toMillis(), 10_000);
        this.ackTimeoutMs = (int) ackTimeout.toMillis();
        this.oru = new OruMessage(header, clock);
        encoder = new DefaultHapiContext().getPipeParser();
        // ACKs of any HL7 version read as v2.5.1, without validation: only MSA and ERR matter here
        HapiContext lenient = new DefaultHapiContext(new CanonicalModelClassFactory("2.5.1"));
        lenient.setValidationContext(ValidationContextFactory.noValidation());
        ackParser = lenient.getPipeParser();
    }

    @Override
    public String send(FinalReport report) throws Exception {
        String controlId = OruMessage.controlId(report);
        String message;
        try {
            message = encoder.encode(oru.build(report));
        } catch (HL7Exception | RuntimeException e) {
            // HAPI's message quotes the value it refused (a birth date, a name): never logged or stored
            throw new DeliveryException.Permanent("the ORU^R01 " + controlId + " cannot be built: a value taken from"
                    + " the study's DICOM header or the report is not valid HL7 v2.5.1 (" + e.getClass().getSimpleName()
                    + "); correct the study at the modality or PACS, then raddraft admin outbox --requeue "
                    + report.outboxId());
        }
        String ack;
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), connectTimeoutMs);
            socket.setSoTimeout(ackTimeoutMs);
            new MinLLPWriter(socket.getOutputStream(), StandardCharsets.UTF_8).writeMessage(message);
            ack = new MinLLPReader(socket.getInputStream(), StandardCharsets.UTF_8).getMessage();
        } catch (LLPException e) {
            throw new DeliveryException("the RIS's answer to " + controlId + " is not MLLP-framed", e.getMessage());
        }
        if (ack == null) {
            // HAPI's reader answers null both at end of stream and when the socket's read timeout expires
            long waited = (System.nanoTime() - start) / 1_000_000;
            throw new DeliveryException(waited >= ackTimeoutMs
                    ? "no ACK from the RIS within " + ackTimeoutMs + " ms for " + controlId
                    : "the RIS closed the connection without an ACK for " + controlId, (String) null);
        }
        return acknowledged(controlId, ack);
    }

    /** The ACK's verdict: returns the acknowledged control id on AA/CA, throws otherwise. */
    String acknowledged(String controlId, String ack) throws DeliveryException {
        Terser t;
        String code;
        String ref;
        try {
            Message m = ackParser.parse(ack);
            t = new Terser(m);
            code = t.get("/MSA-1");
            ref = t.get("/MSA-2");
        } catch (HL7Exception e) {
            throw new DeliveryException("unreadable ACK for " + controlId, e.getMessage());
        }
        if (!controlId.equals(ref)) {
            throw new DeliveryException("the ACK answers " + ref + ", not " + controlId, (String) null);
        }
        String detail = reason(t);
        return switch (code == null ? "" : code) {
            case "AA", "CA" -> controlId;
            case "AR", "CR" -> throw new DeliveryException.Permanent("the RIS rejected " + controlId + " (" + code + ")", detail);
            case "AE", "CE" -> throw new DeliveryException("the RIS answered " + code + " (application error) to " + controlId, detail);
            default -> throw new DeliveryException("ACK code '" + code + "' for " + controlId + " is not AA, AE or AR", detail);
        };
    }

    /** MSA-3 text, or the first ERR's diagnostic/user message and error code. */
    private static String reason(Terser t) {
        StringBuilder b = new StringBuilder();
        try {
            append(b, t.get("/MSA-3"));
            append(b, t.get("/ERR-3-1"));
            append(b, t.get("/ERR-3-2"));
            append(b, t.get("/ERR-3-9"));
            append(b, t.get("/ERR-7"));
            append(b, t.get("/ERR-8"));
        } catch (HL7Exception | RuntimeException e) {
            // an ACK without ERR: MSA-3 alone
        }
        return b.toString();
    }

    private static void append(StringBuilder b, String v) {
        if (v != null && !v.isBlank()) {
            b.append(b.isEmpty() ? "" : "; ").append(v.strip());
        }
    }

    @Override
    public String toString() {
        return "HL7 MLLP " + host + ":" + port;
    }
}
