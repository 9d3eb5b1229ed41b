package org.raddraft.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The connection pool, migrated to the current schema by Flyway on open: H2's own pool for the embedded
 * database, HikariCP for PostgreSQL (several nodes on one database, issue 25).
 */
public final class Database implements AutoCloseable {

    /**
     * Where the migrations are: {@code db/migration} holds the portable ones (both databases run them; a new
     * one goes there), {@code db/vendor/h2} and {@code db/vendor/postgresql} the early ones whose SQL differs
     * (AUTO_INCREMENT and CLOB on H2). The vendor folders are outside db/migration because Flyway scans a
     * location with its sub-folders. See docs/decisions.md.
     */
    static String[] locations(String vendor) {
        return new String[] {"classpath:db/migration", "classpath:db/vendor/" + vendor};
    }

    private final DataSource pool;
    private final Runnable dispose;
    private final Runnable onClose;

    private Database(DataSource pool, Runnable dispose, Runnable onClose) {
        this.pool = pool;
        this.dispose = dispose;
        this.onClose = onClose;
    }

    public static Database open(String jdbcUrl, String user, String password) {
        DataSource pool;
        Runnable dispose;
        if (jdbcUrl.startsWith("jdbc:h2:")) {
            JdbcConnectionPool h2 = JdbcConnectionPool.create(jdbcUrl, user, password);
            h2.setMaxConnections(32);
            pool = h2;
            dispose = h2::dispose;
        } else {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl);
            config.setUsername(user);
            config.setPassword(password);
            config.setMaximumPoolSize(32);
            config.setPoolName("raddraft");
            // fail at once with the database's own answer (wrong password, no such database) instead of after 30 s
            config.setInitializationFailTimeout(1);
            config.setConnectionTimeout(10_000);
            try {
                HikariDataSource hikari = new HikariDataSource(config);
                pool = hikari;
                dispose = hikari::close;
            } catch (RuntimeException e) {
                throw trouble(jdbcUrl, e);
            }
        }
        try {
            flyway(pool).load().migrate();
            if (jdbcUrl.startsWith("jdbc:h2:")) {
                refuseReadOnly(jdbcUrl, pool);
            }
        } catch (RuntimeException e) {
            dispose.run();
            throw trouble(jdbcUrl, e);
        }
        return new Database(pool, dispose, () -> { });
    }

    /**
     * For check-config: the database server answers with these credentials, and which schema version it
     * holds; nothing is migrated. Throws, in RadDraft's words, when it cannot be reached or refuses.
     */
    public static String schemaStatus(String jdbcUrl, String user, String password) {
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, user, password)) {
            c.isValid(5);
        } catch (SQLException e) {
            throw server(new IllegalStateException(e));
        }
        FluentConfiguration config = Flyway.configure().dataSource(jdbcUrl, user, password);
        String vendor = vendor(config.getDataSource());
        org.flywaydb.core.api.MigrationInfoService info = config.locations(locations(vendor)).load().info();
        String current = info.current() == null ? "none (an empty database)" : info.current().getVersion().getVersion();
        int pending = info.pending().length;
        return vendor + " database reached as " + user + ", schema version " + current
                + (pending == 0 ? ", up to date" : ", " + pending + " migration(s) to run at the next start");
    }

    /** RadDraft's migrations on this data source (also for check-config's schema version). */
    public static FluentConfiguration flyway(DataSource dataSource) {
        return Flyway.configure().dataSource(dataSource).locations(locations(vendor(dataSource)));
    }

    /** h2 or postgresql: the folder of db/vendor this database's early migrations are in. */
    static String vendor(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName();
            return switch (product) {
                case "H2" -> "h2";
                case "PostgreSQL" -> "postgresql";
                default -> throw new IllegalStateException("RadDraft runs on H2 or PostgreSQL, not " + product);
            };
        } catch (SQLException e) {
            throw new IllegalStateException("database not reachable (SQLState " + e.getSQLState() + ")", e);
        }
    }

    /**
     * A database RadDraft cannot open, in RadDraft's words: which file, and what to do (issue 24). H2's own
     * advice ("use the server mode", "use the recovery tool") is not what an administrator of RadDraft
     * should do; nothing is ever re-initialised.
     */
    static RuntimeException trouble(String jdbcUrl, RuntimeException e) {
        if (!jdbcUrl.startsWith("jdbc:h2:")) {
            return server(e);
        }
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
    private static void refuseReadOnly(String jdbcUrl, DataSource pool) {
        try (Connection c = pool.getConnection()) {
            if (c.isReadOnly()) {
                throw new IllegalStateException("database " + file(jdbcUrl) + " " + READ_ONLY);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database " + file(jdbcUrl) + " cannot be opened (SQLState " + e.getSQLState()
                    + ", code " + e.getErrorCode() + ")", e);
        }
    }

    /**
     * A database server RadDraft cannot use: the driver's SQLState and RadDraft's advice, never the driver's
     * message (it can quote the URL's user or a statement with values).
     */
    private static RuntimeException server(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                String what = state.startsWith("08") ? "cannot be reached: check store.jdbc-url's host and port, and that"
                        + " the server runs"
                        : state.equals("28P01") || state.startsWith("28") ? "refused store.user's password (store.password"
                        + " or STORE_PASSWORD)"
                        : state.equals("3D000") ? "has no such database: create it (createdb -O <store.user> <name>)"
                        : "answered SQLState " + state;
                return new IllegalStateException("database server " + what + " (SQLState " + state + ")");
            }
        }
        return e;
    }

    /** This database, with {@code action} run after the pool is closed (e.g. stopping a server that serves it). */
    Database onClose(Runnable action) {
        return new Database(pool, dispose, () -> {
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

    /**
     * A unique or primary key was violated: H2 throws SQLIntegrityConstraintViolationException for it,
     * PostgreSQL's driver a plain SQLException; both say SQLState 23505.
     */
    public static boolean isDuplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState());
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
        dispose.run();
        onClose.run();
    }
}
