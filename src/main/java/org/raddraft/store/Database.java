package org.raddraft.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;

/** The connection pool, migrated to the current schema by Flyway on open. */
public final class Database implements AutoCloseable {

    private final JdbcConnectionPool pool;
    private final Runnable onClose;

    private Database(JdbcConnectionPool pool, Runnable onClose) {
        this.pool = pool;
        this.onClose = onClose;
    }

    public static Database open(String jdbcUrl, String user, String password) {
        JdbcConnectionPool pool = JdbcConnectionPool.create(jdbcUrl, user, password);
        pool.setMaxConnections(32);
        try {
            Flyway.configure().dataSource(pool).load().migrate();
            refuseReadOnly(jdbcUrl, pool);
        } catch (RuntimeException e) {
            pool.dispose();
            throw trouble(jdbcUrl, e);
        }
        return new Database(pool, () -> { });
    }

    /**
     * A database RadDraft cannot open, in RadDraft's words: which file, and what to do (issue 24). H2's own
     * advice ("use the server mode", "use the recovery tool") is not what an administrator of RadDraft
     * should do; nothing is ever re-initialised.
     */
    static RuntimeException trouble(String jdbcUrl, RuntimeException e) {
        String file = file(jdbcUrl);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String what = switch (sql.getErrorCode()) {
                    case 90020 -> "is in use by another process (another RadDraft on the same raddraft.home?): stop it, "
                            + "then start RadDraft again";
                    case 90030 -> "is corrupt; RadDraft does not re-initialise it: stop RadDraft, keep a copy of the file, "
                            + "restore the last backup (or recover it with H2's Recover tool), then start again";
                    case 90097 -> READ_ONLY;
                    default -> null;
                };
                if (what != null) {
                    return new IllegalStateException("database " + file + " " + what, e);
                }
            }
        }
        return e;
    }

    private static final String READ_ONLY = "is read-only: give the service user write access to it and its directory "
            + "(and mount its file system read-write), then start RadDraft again";

    private static String file(String jdbcUrl) {
        return jdbcUrl.replaceFirst("^jdbc:h2:(file:)?", "").replaceAll(";.*", "") + ".mv.db";
    }

    /**
     * H2 opens a file it cannot write (a read-only file system, a file the service user may only read)
     * read-only without a word, and when no migration is due Flyway writes nothing either: the daemon would
     * start and lose its first acknowledged instance's row. Refused here, in the same words as H2's 90097.
     */
    private static void refuseReadOnly(String jdbcUrl, JdbcConnectionPool pool) {
        try (Connection c = pool.getConnection()) {
            if (c.isReadOnly()) {
                throw new IllegalStateException("database " + file(jdbcUrl) + " " + READ_ONLY);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database " + file(jdbcUrl) + " cannot be opened (SQLState " + e.getSQLState()
                    + ", code " + e.getErrorCode() + ")", e);
        }
    }

    /** This database, with {@code action} run after the pool is closed (e.g. stopping a server that serves it). */
    Database onClose(Runnable action) {
        return new Database(pool, () -> {
            onClose.run();
            action.run();
        });
    }

    public DataSource dataSource() {
        return pool;
    }

    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /** Readiness: the database answers a trivial query. */
    public boolean isUp() {
        try (Connection c = pool.getConnection(); var st = c.createStatement()) {
            return st.execute("SELECT 1");
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.dispose();
        onClose.run();
    }
}
