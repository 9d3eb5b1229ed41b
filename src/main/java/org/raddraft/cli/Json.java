package org.raddraft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The JSON the admin commands print: indented, field names as the records spell them, java.time
 * values (Instant, OffsetDateTime, LocalDate) as ISO-8601 text such as {@code 2026-12-07T17:10:06Z}.
 */
final class Json {
    static final ObjectMapper PRETTY = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Json() {
    }
}
