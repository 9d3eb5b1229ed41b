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
        Flyway.configure().dataSource(pool).load().migrate();
        return new Database(pool, () -> { });
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
