package org.raddraft.inference;

/** The result for one study of a batch: a draft, or the reason it could not be drafted. */
public record DraftOutcome(long studyId, Draft draft, String failure) {

    public static DraftOutcome drafted(long studyId, Draft draft) {
        return new DraftOutcome(studyId, draft, null);
    }

    public static DraftOutcome failed(long studyId, String reason) {
        return new DraftOutcome(studyId, null, reason);
    }

    public boolean ok() {
        return draft != null;
    }
}
