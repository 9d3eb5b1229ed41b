package org.raddraft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.PgCluster;

/**
 * The migrations in their vendor layout (db/migration portable, db/vendor/{h2,postgresql} where the SQL
 * differs): an H2 database migrated before the split (every file in one folder, as up to V17) still
 * validates and moves on; PostgreSQL gets the same tables and columns as H2.
 */
class MigrationLayoutTest {

    @TempDir
    Path tmp;

    /** The layout before issue 25: every migration of H2 in one folder. */
    private Path flatH2Layout() throws Exception {
        Path flat = Files.createDirectories(tmp.resolve("flat"));
        for (String folder : new String[] {"db/migration", "db/vendor/h2"}) {
            URL url = getClass().getClassLoader().getResource(folder);
            try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
                for (Path f : files.filter(f -> f.toString().endsWith(".sql")).toList()) {
                    String name = f.getFileName().toString();
                    int version = Integer.parseInt(name.substring(1, name.indexOf('_')));
                    if (version <= 17) {
                        try (InputStream in = Files.newInputStream(f)) {
                            Files.copy(in, flat.resolve(name));
                        }
                    }
                }
            }
        }
        return flat;
    }

    @Test
    void anH2DatabaseMigratedInTheOldLayoutValidatesAndMigrates() throws Exception {
        String url = "jdbc:h2:file:" + tmp.resolve("db/old");
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "sa", "");
        try {
            Flyway.configure().dataSource(pool).locations("filesystem:" + flatH2Layout()).load().migrate();
        } finally {
            pool.dispose();
        }
        try (Database db = Database.open(url, "sa", "")) {
            var info = Database.flyway(db.dataSource()).load().info();
            // every migration applied, up to the newest this build has (V18 was the first after the old layout)
            assertEquals(0, info.pending().length);
            assertTrue(info.current().getVersion().isAtLeast("18"), info.current().getVersion().getVersion());
            JdbcConnectionPool again = JdbcConnectionPool.create(url, "sa", "");
            try {
                Database.flyway(again).load().validate(); // throws on a checksum or description mismatch
            } finally {
                again.dispose();
            }
            assertTrue(columns(db, "").contains("study.lease_until"), "V18 ran on the old database");
        }
    }

    @Test
    void postgresqlHasTheSameTablesAndColumnsAsH2() throws Exception {
        try (PgCluster pg = PgCluster.start();
             Database h2 = Database.open("jdbc:h2:file:" + tmp.resolve("db/h2"), "sa", "");
             Database postgres = Database.open(pg.createDatabase("layout"), PgCluster.USER, pg.password())) {
            Set<String> onH2 = columns(h2, "PUBLIC");
            Set<String> onPg = columns(postgres, "public");
            assertTrue(onH2.size() > 100, "H2 columns read: " + onH2.size());
            assertEquals(onH2, onPg);
        }
    }

    /** table.column of every table in the schema, lower case, Flyway's history table left out. */
    private static Set<String> columns(Database db, String schema) throws SQLException {
        Set<String> out = new TreeSet<>();
        try (Connection c = db.connection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT table_schema, table_name, column_name FROM information_schema.columns")) {
            while (rs.next()) {
                String table = rs.getString(2).toLowerCase(Locale.ROOT);
                if ((schema.isEmpty() ? rs.getString(1).equalsIgnoreCase("public") : rs.getString(1).equals(schema))
                        && !table.equals("flyway_schema_history")) {
                    out.add(table + "." + rs.getString(3).toLowerCase(Locale.ROOT));
                }
            }
        }
        return out;
    }
}
