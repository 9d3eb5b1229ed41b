package org.raddraft.fhir;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class DatabaseErrorTest {

    @Test
    void aDatabaseFailureAnswersWithTheSqlStateAndNeverTheDriversMessage() {
        // H2 quotes the statement with its values in its messages
        SQLException e = new SQLException("Value too long for column \"PATIENT_NAME\": \"'DOE^JANE' (8)\"; SQL statement:"
                + " INSERT INTO study VALUES ('DOE^JANE', '1980-02-03')", "22001", 22001);
        InternalErrorException x = DatabaseError.of(e);
        assertTrue(x.getMessage().contains("SQLState 22001"), x.getMessage());
        assertFalse(x.getMessage().contains("DOE^JANE"), x.getMessage());
        assertFalse(x.getMessage().contains("1980"), x.getMessage());
        assertNull(x.getCause(), "HAPI logs the cause of a 500 with its message");
    }
}
