package org.raddraft.fhir;

import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import java.sql.SQLException;

/**
 * A database failure while serving the FHIR API, in RadDraft's words: the SQLState and vendor code
 * only. The driver's message can quote SQL with values in it (patient data), and HAPI writes both the
 * diagnostics and the cause of a 500 to its log, so neither is passed on.
 */
final class DatabaseError {

    private DatabaseError() {
    }

    static InternalErrorException of(SQLException e) {
        return new InternalErrorException("database error (SQLState " + e.getSQLState() + ", code " + e.getErrorCode()
                + "); see the daemon's health at /health/ready");
    }
}
