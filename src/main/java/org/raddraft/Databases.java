package org.raddraft;

import org.raddraft.store.Database;
import org.raddraft.store.EmbeddedH2;
import org.slf4j.LoggerFactory;

/**
 * The database of a configuration: {@code store.jdbc-url} when set (PostgreSQL for several nodes),
 * else the embedded H2 database in raddraft.home/db ({@link EmbeddedH2}: in-process for the daemon,
 * through its loopback-only server for admin commands while it runs). The state directories are made
 * closed first ({@link StateDirectories}), so no file of the database is ever created readable by others.
 */
public final class Databases {

    private Databases() {
    }

    /** The daemon's database (run, demo): H2 in-process, and the loopback server for admin commands. */
    public static Database forDaemon(Settings s) throws Exception {
        StateDirectories.prepare(s).forEach(w -> LoggerFactory.getLogger(Databases.class).warn("raddraft.home: {}", w));
        if (!s.get("store.jdbc-url").isEmpty()) {
            return Database.open(s.get("store.jdbc-url"), s.get("store.user"), s.get("store.password"));
        }
        return EmbeddedH2.openForDaemon(s.home().resolve("db"), s.get("store.user"), s.get("store.password"));
    }

    /** An admin command's database: the running daemon's, or opened in-process when none runs. */
    public static Database forAdmin(Settings s) throws Exception {
        if (!s.get("store.jdbc-url").isEmpty()) {
            return Database.open(s.get("store.jdbc-url"), s.get("store.user"), s.get("store.password"));
        }
        StateDirectories.prepare(s);
        return EmbeddedH2.openForAdmin(s.home().resolve("db"), s.get("store.user"), s.get("store.password"));
    }
}
