package org.raddraft.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error answers (its own refusals of a URI, a path no servlet serves, a servlet's
 * {@code sendError}) as a FHIR R4 OperationOutcome in JSON instead of Jetty's HTML page: clients of
 * this port get one error format, and the message says what was refused.
 */
final class OutcomeErrorHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OutcomeErrorHandler() {
    }

    /** The OperationOutcome for an HTTP error status. */
    static byte[] outcome(int status, String message) {
        ObjectNode oo = JSON.createObjectNode().put("resourceType", "OperationOutcome");
        String code = switch (status) {
            case 401 -> "login";
            case 403 -> "forbidden";
            case 404, 410 -> "not-found";
            case 405, 501 -> "not-supported";
            case 429 -> "throttled";
            default -> status >= 500 ? "exception" : "invalid";
        };
        oo.putArray("issue").addObject().put("severity", "error").put("code", code)
                .put("diagnostics", message == null || message.isBlank() ? "HTTP " + status : message);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(oo);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final String MEDIA_TYPE = "application/fhir+json;charset=utf-8";

    /** Errors outside the servlet context: a request Jetty refuses before routing it. */
    static final class Server extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message,
                Throwable cause, Callback callback) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, MEDIA_TYPE);
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, ByteBuffer.wrap(outcome(code, message)), callback);
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason,
                org.eclipse.jetty.http.HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, MEDIA_TYPE);
            return ByteBuffer.wrap(outcome(status, reason));
        }
    }

    /** Errors inside the servlet context: unmapped paths and servlets' {@code sendError}. */
    static final class Context extends org.eclipse.jetty.ee10.servlet.ErrorHandler {
        @Override
        protected void generateAcceptableResponse(ServletContextRequest baseRequest, HttpServletRequest request,
                HttpServletResponse response, int code, String message) throws IOException {
            response.setContentType(MEDIA_TYPE);
            response.setHeader("Cache-Control", "no-store");
            byte[] body = outcome(code, message);
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        }
    }
}
