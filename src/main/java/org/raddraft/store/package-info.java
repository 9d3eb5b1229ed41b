/**
 * Database access: the pool and Flyway migrations (resources/db/migration). H2 by default.
 * Holds no business rules; each stage owns the SQL for its own tables.
 */
package org.raddraft.store;
