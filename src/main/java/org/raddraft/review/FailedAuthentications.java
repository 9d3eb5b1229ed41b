package org.raddraft.review;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Aggregates failed authentications (bad or missing bearer tokens, refused request paths) per source
 * address and reason, so that a client sending garbage cannot make every request write and fsync an
 * audit row. The first failure of a kind from a source in a {@link #WINDOW} is recorded; the rest of
 * that window is counted, and the count goes into the next recorded row of that source and reason
 * ("and N more ..."). Counts live in memory: at most {@link #MAX_SOURCES} keys; beyond that every
 * failure is recorded (memory stays bounded, nothing goes unrecorded).
 */
final class FailedAuthentications {

    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_SOURCES = 10_000;

    private static final class Window {
        final Instant start;
        int suppressed;

        Window(Instant start) {
            this.start = start;
        }
    }

    private final Clock clock;
    private final Map<String, Window> windows = new HashMap<>();

    FailedAuthentications(Clock clock) {
        this.clock = clock;
    }

    /**
     * Whether this failure gets its own row: null = no (counted), otherwise the note for the row's
     * detail about earlier failures it stands for ("" when none).
     */
    synchronized String due(String sourceIp, String reason) {
        String key = sourceIp + "|" + reason;
        Instant now = clock.instant();
        Window w = windows.get(key);
        if (w != null && now.isBefore(w.start.plus(WINDOW))) {
            w.suppressed++;
            return null;
        }
        if (windows.size() >= MAX_SOURCES) {
            windows.values().removeIf(x -> !now.isBefore(x.start.plus(WINDOW)) && x.suppressed == 0);
        }
        if (w != null || windows.size() < MAX_SOURCES) {
            windows.put(key, new Window(now));
        }
        return w == null || w.suppressed == 0 ? ""
                : "; and " + w.suppressed + " more such failure(s) from this address in the " + WINDOW.toSeconds()
                        + " s after " + w.start + ", not recorded one by one";
    }
}
