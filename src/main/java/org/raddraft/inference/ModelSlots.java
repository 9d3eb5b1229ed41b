package org.raddraft.inference;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's drafter: the ACTIVE model drafts what radiologists see; a SHADOW model, when one is
 * assigned, drafts the same studies afterwards without showing them ({@link ShadowDrafting}). Which
 * model is in which slot is read from {@code model_assignment} ({@link ModelAssignments}) by
 * {@link #refresh}, which the draft route calls before it claims a batch, in the drafting thread, so
 * the active model is never swapped while it drafts. Each draft records the model that made it.
 */
public final class ModelSlots implements Drafter {

    private static final Logger log = LoggerFactory.getLogger(ModelSlots.class);

    /** A loaded model. */
    public record Loaded(Drafter drafter, String name, String version, String intendedUse) {
    }

    /** Opens a model directory; {@code shadow} asks for the lighter shadow options (fewer threads, no flags). */
    @FunctionalInterface
    public interface Loader {
        Loaded open(Path dir, boolean shadow) throws Exception;
    }

    private final Database db;
    private final Clock clock;
    private final Loader loader;
    private final ShadowDrafting shadowRunner;
    private final Duration checkEvery;
    private final Set<Long> failed = new HashSet<>();
    private volatile Loaded active;
    private long activeId;
    private Loaded shadow;
    private long shadowId = -1;
    private long lastCheck;

    /**
     * @param configured the model of {@code model.dir}, already loaded (start-up fails early on a wrong one)
     */
    public ModelSlots(Database db, Clock clock, Loader loader, Loaded configured, Path configuredDir,
            ShadowDrafting shadowRunner, Duration checkEvery) throws SQLException {
        this.db = db;
        this.clock = clock;
        this.loader = loader;
        this.shadowRunner = shadowRunner;
        this.checkEvery = checkEvery;
        this.active = configured;
        ModelAssignments.Assignment now = ModelAssignments.atStart(db, configured.name(), configured.version(),
                configuredDir.toString(), clock);
        this.activeId = now.sameModel(configured.name(), configured.version()) ? now.id() : -1;
        refreshNow();
    }

    /** The model that drafts what radiologists see. */
    public Loaded active() {
        return active;
    }

    /** The shadow model, or null. */
    public synchronized Loaded shadow() {
        return shadow;
    }

    /** Route step before each claim: applies a promotion, rollback or shadow change (at most every few seconds). */
    public void refresh() {
        long now = clock.millis();
        if (now - lastCheck < checkEvery.toMillis()) {
            return;
        }
        lastCheck = now;
        try {
            refreshNow();
        } catch (SQLException e) {
            log.warn("models: cannot read the model assignments (SQLState {}); drafting goes on with {} {}",
                    e.getSQLState(), active.name(), active.version());
        }
    }

    private void refreshNow() throws SQLException {
        ModelAssignments.Assignment a;
        ModelAssignments.Assignment s;
        try (Connection c = db.connection()) {
            a = ModelAssignments.current(c, ModelAssignments.Slot.ACTIVE);
            s = ModelAssignments.current(c, ModelAssignments.Slot.SHADOW);
        }
        if (a != null && a.id() != activeId && !a.empty() && !failed.contains(a.id())) {
            if (a.sameModel(active.name(), active.version())) {
                activeId = a.id();
            } else {
                Loaded next = load(a, false);
                if (next != null) {
                    Loaded old = active;
                    active = next;
                    activeId = a.id();
                    log.info("models: {} {} now drafts (was {} {}; {} by {})", next.name(), next.version(), old.name(),
                            old.version(), a.action(), a.assignedBy());
                    old.drafter().close();
                }
            }
        }
        long wantShadow = s == null || s.empty() || s.sameModel(active.name(), active.version()) ? -1 : s.id();
        if (wantShadow != shadowId && !failed.contains(wantShadow)) {
            Loaded next = wantShadow == -1 ? null : load(s, true);
            if (wantShadow == -1 || next != null) {
                Loaded old;
                synchronized (this) {
                    old = shadow;
                    shadow = next;
                    shadowId = wantShadow;
                }
                if (next != null) {
                    log.info("models: {} {} drafts in shadow beside {} {} (its drafts are not shown)", next.name(),
                            next.version(), active.name(), active.version());
                } else if (old != null) {
                    log.info("models: shadow drafting with {} {} stopped", old.name(), old.version());
                }
                if (old != null) {
                    shadowRunner.retire(old.drafter());
                }
            }
        }
    }

    private Loaded load(ModelAssignments.Assignment a, boolean asShadow) throws SQLException {
        try {
            Loaded l = loader.open(Path.of(a.dir()), asShadow);
            if (!l.name().equals(a.name()) || !l.version().equals(a.version())) {
                l.drafter().close();
                throw new InferenceException("the directory now holds " + l.name() + " " + l.version() + ", not "
                        + a.name() + " " + a.version());
            }
            ModelRecords.record(db, l.name(), l.version(), l.intendedUse(), clock);
            return l;
        } catch (Exception e) {
            String why = e instanceof InferenceException ? e.getMessage()
                    : e.getClass().getSimpleName() + " (see the daemon log)";
            failed.add(a.id());
            ModelAssignments.loadFailed(db, a.id(), why);
            log.warn("models: cannot load {} {} from {} for the {} slot: {}; {} {} keeps drafting", a.name(),
                    a.version(), a.dir(), a.slot(), why, active.name(), active.version());
            return null;
        }
    }

    @Override
    public List<DraftOutcome> draft(List<StudyImages> studies) throws InferenceException {
        return active.drafter().draft(studies);
    }

    /** The active model drafts and stores the batch; then the shadow model gets the studies, if it keeps up. */
    @Override
    public void draft(List<StudyImages> studies, OutcomeSink done) throws Exception {
        active.drafter().draft(studies, done);
        Loaded s = shadow();
        if (s != null) {
            shadowRunner.offer(studies, s);
        }
    }

    @Override
    public void close() {
        shadowRunner.close();
        Loaded s = shadow();
        if (s != null) {
            s.drafter().close();
        }
        active.drafter().close();
    }
}
