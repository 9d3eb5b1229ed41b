package org.raddraft.inference;

/**
 * The result for one study of a batch: a draft, or the reason it could not be drafted. A study that
 * {@code waits} could not be drafted for a reason outside it (every remote engine is down): it is
 * retried on the usual schedule without using up its attempts, so nothing is lost however long the
 * engines are away.
 */
public record DraftOutcome(long studyId, Draft draft, String failure, boolean waits) {

    public DraftOutcome(long studyId, Draft draft, String failure) {
        this(studyId, draft, failure, false);
    }

    public static DraftOutcome drafted(long studyId, Draft draft) {
        return new DraftOutcome(studyId, draft, null);
    }

    public static DraftOutcome failed(long studyId, String reason) {
        return new DraftOutcome(studyId, null, reason);
    }

    /** The engine, not the study, failed: retried without counting an attempt. */
    public static DraftOutcome waiting(long studyId, String reason) {
        return new DraftOutcome(studyId, null, reason, true);
    }

    public boolean ok() {
        return draft != null;
    }
}
