package org.raddraft;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import org.slf4j.LoggerFactory;

/** Switches logback to JSON lines when log.format=json (logback-json.xml); text is the default. */
final class Logs {

    private Logs() {
    }

    static void configure(String format) {
        if (!"json".equals(format) || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        try {
            ctx.reset();
            JoranConfigurator c = new JoranConfigurator();
            c.setContext(ctx);
            c.doConfigure(Logs.class.getResource("/logback-json.xml"));
        } catch (Exception e) {
            System.err.println("log.format=json: cannot configure JSON logging: " + e.getMessage());
        }
    }
}
