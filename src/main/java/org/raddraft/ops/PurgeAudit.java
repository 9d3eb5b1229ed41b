package org.raddraft.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import org.raddraft.review.AuditEntry;
import org.raddraft.review.AuditLog;

/**
 * Each study a purge removed something of, in the audit trail (action {@code study-files-purge} for
 * its images, once they are deleted; {@code study-purge} for its rows, in the transaction that deletes
 * them; served as "DICOM Study Deleted"). Internal ids and figures only.
 */
final class PurgeAudit {

    private static final AuditLog AUDIT = new AuditLog(Clock.systemUTC());

    private PurgeAudit() {
    }

    /** @param by who purged: {@code cli:USER} for {@code admin purge}, {@code daemon} for the schedule */
    static void record(Connection c, String by, String action, long studyId, String detail) throws SQLException {
        AUDIT.record(c, new AuditEntry(null, by, "admin", null, action, "Study", String.valueOf(studyId), studyId,
                null, AuditEntry.SUCCESS, null, detail));
    }

    /** Who runs a purge from the command line, as the audit trail names command-line admins. */
    static String commandLine() {
        return "cli:" + System.getProperty("user.name");
    }
}
